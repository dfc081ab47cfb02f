#!/usr/bin/env bash
# Runs the tweet-sentiment TF-IDF + logistic-regression grid search in Classify and in scikit-learn on the same cleaned
# splits, one after the other (never concurrently, so each gets the whole machine), and appends a dated section to
# docs/benchmarks.md. Needs Debian's python3-sklearn (apt-get install python3-sklearn) for /usr/bin/python3.
# Usage: bench/run-linear-bench.sh [split-dir]   (split-dir with train_ids.csv/val_ids.csv/test_ids.csv is optional)
# CLASSIFY_BENCH_MODE=ovr (default: one-vs-rest with liblinear's objective, as sklearn's liblinear) | multinomial | both.
# CLASSIFY_BENCH_REPEAT=3 (default): runs per tool, alternating; the section reports the median runs and every run.
# Both sides report wall-clock and CPU seconds (user + system, all threads / joblib workers): on a shared machine the
# CPU figures are the fairer comparison, so the load average around each run is recorded too.
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
data="${CLASSIFY_TWEETS:-$repo/../shared/data/tweet-sentiment-extraction/train.csv}"
work="$(mktemp -d /tmp/classify-linear-bench.XXXXXX)"
split_args=()
if [[ $# -ge 1 ]]; then split_args=(--split-dir "$1"); fi

dotnet build "$repo/bench/Classify.Bench.Linear" -c Release --artifacts-path "$work/artifacts" -v quiet -nologo >/dev/null
# Each tool runs CLASSIFY_BENCH_REPEAT times (default 3), alternating, so that both meet the same background load; the
# section reports each tool's median run and the range (wall times here move by ±10 % from run to run).
repeat="${CLASSIFY_BENCH_REPEAT:-3}"
cut -d' ' -f1-3 /proc/loadavg > "$work/load-before"
for run in $(seq 1 "$repeat"); do
  dotnet "$work/artifacts/bin/Classify.Bench.Linear/release/Classify.Bench.Linear.dll" \
    --data "$data" --cleaned-out "$work/cleaned.csv" --mode "${CLASSIFY_BENCH_MODE:-ovr}" --grid-csv "$work/grid-classify-{mode}.csv" \
    "${split_args[@]}" > "$work/classify-$run.json"
  /usr/bin/python3 "$repo/bench/sklearn/tweet_grid.py" --cleaned "$work/cleaned.csv" --n-jobs 2 \
    --grid-csv "$work/grid-sklearn.csv" > "$work/sklearn-$run.json"
done
cut -d' ' -f1-3 /proc/loadavg > "$work/load-after"

/usr/bin/python3 - "$work" "$repo/docs/benchmarks.md" "$data" <<'PY'
import json, os, subprocess, sys, datetime
work, out, data = sys.argv[1], sys.argv[2], sys.argv[3]
import glob
def runs(tool):
    return [json.load(open(f)) for f in sorted(glob.glob(os.path.join(work, f"{tool}-*.json")))]
def median_run(items, wall):
    ordered = sorted(items, key=wall)
    return ordered[(len(ordered) - 1) // 2]
sk_runs = runs("sklearn")
cs_runs = runs("classify")
sk = median_run(sk_runs, lambda r: r["wall_seconds"])
cs = median_run(cs_runs, lambda r: r["runs"][0]["wall_seconds"])
def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
cpu = sh("lscpu | grep 'Model name' | sed 's/.*: *//'")
load = {name: open(os.path.join(work, f"load-{name}")).read().strip() for name in ("before", "after")}
ram = sh("free -g | awk '/Mem:/ {print $2}'")
lines = [
    "",
    f"## Tweet sentiment: TF-IDF + logistic-regression grid search ({datetime.datetime.now().strftime('%Y-%m-%d %H:%M')})",
    "",
    f"* Machine: {sh('nproc --all')} cores ({cpu}), {ram} GiB RAM. Data: `{os.path.basename(os.path.dirname(data))}/train.csv`, "
    f"stratified 70/15/15 split (seed 42): {cs['n_train']} train / {cs['n_test']} test rows, notebook cleaning "
    "(URLs and mentions removed, lowercase, stop words, Porter stemming), written once and read by both sides.",
    "* Both: TF-IDF(ngram_range=(1,3), max_features=100000, min_df=2, max_df=0.95, sublinear_tf=True) fitted on the train split; "
    "grid C ∈ {0.1,0.5,1,2,4,8} × class_weight ∈ {None, balanced, {neg:1.2, neu:0.8, pos:1.2}} × penalty ∈ {l1,l2} (36 candidates), "
    "5-fold stratified shuffled CV (seed 42), scoring macro-F1, refit on the train split, macro-F1 on the test split. "
    "Timed section = TF-IDF fit + search + refit + test scoring (no data loading or cleaning): wall clock, and CPU seconds "
    "(user + system of all threads; for sklearn the main process plus its joblib workers, shut down before reading).",
    f"* Command: `bench/run-linear-bench.sh` ({sk['tool']}, GridSearchCV n_jobs={sk['n_jobs']}; Classify on all cores), "
    f"the two tools one after the other, never concurrently, {len(sk_runs)} runs each, alternating; the table shows each "
    "tool's median run (by wall time).",
    f"* Load average (1/5/15 min) on this shared machine: before {load['before']}, after {load['after']}.",
    "",
    "| tool | mode | best params | CV macro-F1 | test macro-F1 | wall s | CPU s | mean fit s (l1 / l2) | speed-up wall | speed-up CPU |",
    "|---|---|---|---|---|---|---|---|---|---|",
    f"| {sk['tool']} | {sk['mode']} | `{sk['best_params']}` | {sk['best_cv_macro_f1']:.4f} | {sk['test_macro_f1']:.4f} | "
    f"{sk['wall_seconds']:.1f} | {sk['cpu_seconds']:.1f} | {sk['mean_fit_seconds_l1']:.3f} / {sk['mean_fit_seconds_l2']:.3f} | 1.0× | 1.0× |",
]
for run in cs["runs"]:
    lines.append(f"| Classify | {run['mode']} | `{run['best_params']}` | {run['best_cv_macro_f1']:.4f} | {run['test_macro_f1']:.4f} | "
                 f"{run['wall_seconds']:.1f} | {run['cpu_seconds']:.1f} | {run['mean_fit_seconds_l1']:.3f} / {run['mean_fit_seconds_l2']:.3f} | "
                 f"{sk['wall_seconds'] / run['wall_seconds']:.1f}× | {sk['cpu_seconds'] / run['cpu_seconds']:.1f}× |")
lines.append("")
lines.append("All runs, wall s (CPU s): scikit-learn " + ", ".join(f"{r['wall_seconds']:.1f} ({r['cpu_seconds']:.1f})" for r in sk_runs) + "; Classify "
             + ", ".join(f"{r['runs'][0]['wall_seconds']:.1f} ({r['runs'][0]['cpu_seconds']:.1f})" for r in cs_runs) + ".")
lines.append("")
lines.append("Mean fit seconds are wall clock per fit as each search records them (sklearn's `mean_fit_time`), so they "
             "include waiting for the CPU under load. Test macro-F1 difference (Classify − sklearn): " +
             ", ".join(f"{100 * (run['test_macro_f1'] - sk['test_macro_f1']):+.2f} points ({run['mode'].split(',')[0]})" for run in cs["runs"]) + ".")
lines.append("")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "a", encoding="utf-8") as f:
    f.write("\n".join(lines) + "\n")
print("\n".join(lines))
PY
echo "raw results: $work"
