#!/usr/bin/env bash
# Does pruning save time on the transformer example? examples/tweets-bert-tune.yaml run twice with the same grid (the
# same trials in the same order): once without a pruner, once with the example's median pruner. Prints, per study, the
# trials pruned, the seconds spent in trials and the best value; the best value should agree within noise.
# Usage: bench/tune/run-pruning-bench.sh [sample] [n_trials] [pruner]
#   sample: data.sample (rows of the tweet data used, default 4000, so that a study takes minutes on 2 cores; 0 = all)
set -euo pipefail
cd "$(dirname "$0")/../.."
sample="${1:-4000}"; trials="${2:-12}"; pruner="${3:-median}"
runs="bench/out/pruning-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$runs"
echo "host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; start $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build -c Release src/Classify.Cli >/dev/null
sets=(--set "tune.n_trials=$trials" --set tune.retrain_best=false)
[ "$sample" != 0 ] && sets+=(--set "data.sample=$sample")
for p in none "$pruner"; do
  if [ "$p" = none ]; then pset=(--set tune.pruner=none); else pset=(--set "tune.pruner.name=$p"); fi
  start=$(date +%s)
  dotnet src/Classify.Cli/bin/Release/net10.0/classify.dll tune --config examples/tweets-bert-tune.yaml --runs-dir "$runs" \
    --study "bert-$p" --no-report "${sets[@]}" "${pset[@]}" > "$runs/bert-$p.log" 2>&1
  echo "pruner $p: wall $(( $(date +%s) - start )) s"
  /usr/bin/python3 - "$runs/bert-$p/tuning/trials.csv" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
done = [r for r in rows if r["state"] in ("complete", "pruned")]
pruned = [r for r in rows if r["state"] == "pruned"]
best = max((r for r in rows if r["state"] == "complete"), key=lambda r: float(r["value"]))
print(f"  trials {len(done)}, pruned {len(pruned)} ({', '.join(r['number'] for r in pruned) or '-'}), "
      f"seconds in trials {sum(float(r['seconds']) for r in rows):.1f}, best {float(best['value']):.4f} (trial {best['number']})")
PY
done
echo "end $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
