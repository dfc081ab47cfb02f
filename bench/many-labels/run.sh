#!/usr/bin/env bash
# Many-labels benchmark: `classify train` (linear engine, no grid search) on a synthetic CSV of 50,000 rows and 2,000
# classes (make_dataset.py, fixed seed), measuring wall time and max RSS (/usr/bin/time -v) and the run folder size
# (du -sb), with the largest files. Prints a Markdown block for docs/benchmarks.md.
# Usage: bench/many-labels/run.sh [source-tree]   (default: this repository; pass e.g. an exported main to measure "before")
# Environment: ROWS (50000), CLASSES (2000), SEED (7), TIMEOUT (900 s; the run is stopped after it), KEEP=1 keeps the work folder,
# EXTRA_SET: more --set overrides, space-separated (e.g. "linear.tfidf.max_features=2000").
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$(cd "${1:-$here/../..}" && pwd)"
rows="${ROWS:-50000}" classes="${CLASSES:-2000}" seed="${SEED:-7}" timeout_s="${TIMEOUT:-900}"
work="$(mktemp -d /tmp/classify-many-labels.XXXXXX)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "building $src …" >&2
dotnet build "$src/src/Classify.Cli" -c Release --artifacts-path "$work/artifacts" -v quiet -nologo >/dev/null
cli="$(find "$work/artifacts/bin/Classify.Cli" -name 'classify.dll' -o -name 'Classify.Cli.dll' | head -1)"
python3 "$here/make_dataset.py" "$work/data.csv" --rows "$rows" --classes "$classes" --seed "$seed"

sets=(--set linear.search.grid={})
for s in ${EXTRA_SET:-}; do sets+=(--set "$s"); done
cmd=(dotnet "$cli" train --data "$work/data.csv" --name many-labels --runs-dir "$work/runs" "${sets[@]}")
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
started="$(date -u '+%Y-%m-%d %H:%M UTC')"
set +e
timeout --signal=TERM "$timeout_s" /usr/bin/time -v "${cmd[@]}" >"$work/stdout.txt" 2>"$work/time.txt"
status=$?
set -e
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
run="$work/runs/many-labels"

wall="$(grep 'Elapsed (wall clock)' "$work/time.txt" | sed 's/.*: //')"
rss_kb="$(grep 'Maximum resident set size' "$work/time.txt" | awk '{print $NF}')"
user="$(grep 'User time' "$work/time.txt" | awk '{print $NF}')"
sys="$(grep 'System time' "$work/time.txt" | awk '{print $NF}')"
size="$( [ -d "$run" ] && du -sb "$run" | cut -f1 || echo 0)"
{
  echo "* Date: $started. Machine: $(nproc --all) cores ($(lscpu | grep 'Model name' | sed 's/.*: *//')), $(free -h | awk '/Mem:/ {print $2}') RAM."
  echo "* Source: \`$(git -C "$src" rev-parse --short HEAD 2>/dev/null || cat "$src/COMMIT" 2>/dev/null || echo "$src")\`. Data: \`make_dataset.py --rows $rows --classes $classes --seed $seed\` ($(du -h "$work/data.csv" | cut -f1))."
  echo "* Command: \`classify train --data data.csv --name many-labels ${sets[*]}\` under \`/usr/bin/time -v\` (timeout ${timeout_s} s)."
  echo "* Load average (1/5/15 min): before $load_before, after $load_after."
  echo "* Exit status: $status$( [ "$status" = 124 ] && echo ' (stopped by the timeout)')."
  echo
  echo "| wall | user + sys CPU s | max RSS | run folder |"
  echo "|---|---:|---:|---:|"
  printf '| %s | %.0f | %.2f GiB | %.1f MB |\n' "$wall" "$(echo "$user + $sys" | bc)" "$(echo "$rss_kb / 1048576" | bc -l)" "$(echo "$size / 1000000" | bc -l)"
  echo
  if [ -d "$run" ]; then
    echo "Largest files: $(find "$run" -type f -printf '%s %P\n' | sort -rn | head -8 | awk '{printf "%s`%s` %.1f MB", (NR>1?", ":""), $2, $1/1e6}')."
    echo
    timings="$(python3 -c 'import json,sys; t=json.load(open(sys.argv[1])).get("timings",{}); print(", ".join("%s %.1f s" % (k.replace("_seconds", ""), v) for k, v in t.items()))' "$run/run.json" 2>/dev/null || true)"
    report_line="$(grep -hoE 'report: .*\(([0-9]+ charts, [0-9.]+ s)\)' "$work/stdout.txt" "$work/time.txt" | sed 's/.*(/(/' | head -1 || true)"
    echo "Phases: run.json timings ${timings:-none}; report.html ${report_line:-not written}."
  fi
} | tee "$work/section.md"
echo "work folder: $work" >&2
if [ "${KEEP:-0}" != 1 ]; then rm -rf "$work/artifacts"; fi
