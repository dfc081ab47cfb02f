#!/usr/bin/env bash
# The fine-tunes of the domain-adaptive pretraining measurement (docs/pretraining.md), one after the other, nice'd.
#   bench/pretrain/run-finetunes.sh scratch       # scratch BERT-mini on tweets and GoEmotions, and the GoEmotions linear baseline
#   bench/pretrain/run-finetunes.sh pretrained    # the same two fine-tunes from runs/dapt-mlm (after classify pretrain)
# CLASSIFY (default: classify on PATH) may name the CLI, e.g. "dotnet /tmp/dapt-art/bin/Classify.Cli/release/classify.dll".
# Extra arguments after the side go to every classify train (e.g. --set transformer.learning_rate=0.0003 --name ...).
set -euo pipefail
side=$1; shift
CLASSIFY=${CLASSIFY:-classify}
cd "$(dirname "$0")/../.."
for data in tweets goemotions; do
  /usr/bin/time -f "%e s wall" nice -n 10 $CLASSIFY train --config bench/pretrain/configs/$data-$side.yaml --runs-dir runs "$@"
done
if [ "$side" = scratch ]; then
  nice -n 10 $CLASSIFY train --config bench/pretrain/configs/goemotions-linear.yaml --runs-dir runs
fi
