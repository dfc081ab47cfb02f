#!/usr/bin/env bash
# Fine-tunes of the domain-adaptive pretraining measurement (docs/pretraining.md), one after the other, nice'd:
# every (learning rate, seed) pair for one dataset and one side, each run named dapt-<data>-<side>-lr<lr>-s<seed>.
#   bench/pretrain/run-grid.sh tweets scratch "0.0001 0.0003 0.001" "42"
#   bench/pretrain/run-grid.sh tweets pretrained "0.0003" "7 13"      # from runs/dapt-mlm (after classify pretrain)
# Every tweet run gets the split of runs/dapt-tweets-linear (its splits/ copied in first), so a seed changes the
# initialisation, the head and the batch order, never the test rows (GoEmotions has its published split).
# CLASSIFY (default: classify on PATH) may name the CLI, e.g. "dotnet /tmp/dapt-art/bin/Classify.Cli/release/classify.dll".
set -euo pipefail
data=$1 side=$2 lrs=$3 seeds=$4
CLASSIFY=${CLASSIFY:-classify}
cd "$(dirname "$0")/../.."
for seed in $seeds; do
  for lr in $lrs; do
    name="dapt-$data-$side-lr$lr-s$seed"
    if [ -f "runs/$name/metrics/test.json" ]; then echo "$name: done already"; continue; fi
    if [ "$data" = tweets ]; then
      [ -d runs/dapt-tweets-linear/splits ] || { echo "run bench/pretrain/configs/tweets-linear.yaml first" >&2; exit 2; }
      mkdir -p "runs/$name" && rm -rf "runs/$name/splits" && cp -r runs/dapt-tweets-linear/splits "runs/$name/"
    fi
    /usr/bin/time -f "$name: %e s wall, %U s user" nice -n 10 $CLASSIFY train --config "bench/pretrain/configs/$data-$side.yaml" \
      --runs-dir runs --name "$name" --overwrite --set "seed=$seed" --set "transformer.learning_rate=$lr" > "runs/$name.log" 2>&1
    tail -n 1 "runs/$name.log"
  done
done
