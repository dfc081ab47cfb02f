#!/usr/bin/env bash
# Does pruning save time on the transformer example? examples/tweets-bert-tune.yaml run twice with the same seeded
# random sampler (the same trials in the same order): once without a pruner, once with the example's median pruner, the
# two studies side by side so that they share the machine's load (PRUNING_BENCH_SEQUENTIAL=1: one after the other). Prints, per study, the trials pruned, the optimiser
# steps and seconds spent in trials and the best value; the best value should agree within noise.
# Usage: bench/tune/run-pruning-bench.sh [sample] [n_trials] [pruner] [eval_steps] [--set key=value ...]
#   sample: data.sample (rows of the tweet data used, default 2000, so that a study takes minutes on 2 cores; 0 = all)
#   eval_steps: how often a trial reports its validation macro-F1 (default 20 for the 2,000-row slice)
set -euo pipefail
cd "$(dirname "$0")/../.."
sample="${1:-2000}"; trials="${2:-12}"; pruner="${3:-median}"; every="${4:-20}"; shift $(( $# < 4 ? $# : 4 ))
runs="bench/out/pruning-$(date -u +%Y%m%dT%H%M%SZ)"; mkdir -p "$runs"
echo "host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores; start $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build -c Release src/Classify.Cli >/dev/null
sets=(--set "tune.n_trials=$trials" --set tune.retrain_best=false --set "transformer.eval_steps=$every" --set "transformer.save_steps=$every")
[ "$sample" != 0 ] && sets+=(--set "data.sample=$sample")
sets+=("$@")   # e.g. --set transformer.model=scratch:bert-tiny on a busy machine
start=$(date +%s)
for p in none "$pruner"; do
  if [ "$p" = none ]; then pset=(--set tune.pruner=none); else pset=(--set "tune.pruner.name=$p"); fi
  dotnet src/Classify.Cli/bin/Release/net10.0/classify.dll tune --config examples/tweets-bert-tune.yaml --runs-dir "$runs/$p" \
    --study "bert-$p" --no-report "${sets[@]}" "${pset[@]}" > "$runs/bert-$p.log" 2>&1 &
  # PRUNING_BENCH_SEQUENTIAL=1 on a quiet machine: one study after the other, so each has the cores to itself.
  [ "${PRUNING_BENCH_SEQUENTIAL:-0}" = 1 ] && { wait; echo "study $p done: $(( $(date +%s) - start )) s since start"; }
done
wait
echo "both studies done: wall $(( $(date +%s) - start )) s"
for p in none "$pruner"; do
  echo "pruner $p:"
  /usr/bin/python3 - "$runs/$p/ledger.db" "bert-$p" <<'PY'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
(sid,) = db.execute("select study_id from studies where name = ?", (sys.argv[2],)).fetchone()
rows = db.execute("select trial_id, number, state, value, started_utc, finished_utc from study_trials where study_id = ? order by number", (sid,)).fetchall()
from datetime import datetime
def secs(a, b): return (datetime.fromisoformat(b.rstrip("Z")) - datetime.fromisoformat(a.rstrip("Z"))).total_seconds()
steps = {t: db.execute("select max(step) from study_trial_values where trial_id = ?", (t,)).fetchone()[0] or 0 for t, *_ in rows}
pruned = [r for r in rows if r[2] == "pruned"]
best = max((r for r in rows if r[2] == "complete"), key=lambda r: r[3])
print(f"  trials {len(rows)}, pruned {len(pruned)} ({', '.join(f'{r[1]} at step {steps[r[0]]}' for r in pruned) or '-'}), "
      f"optimiser steps {sum(steps.values())}, seconds in trials {sum(secs(r[4], r[5]) for r in rows if r[5]):.0f}, "
      f"best {best[3]:.4f} (trial {best[1]})")
PY
done
echo "end $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
