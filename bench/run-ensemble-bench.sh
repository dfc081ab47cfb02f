#!/usr/bin/env bash
# Times linear.ensemble's k member fits (parallel over the cores, warm-started from the final model, then cold) against
# single fits of one bootstrap member, in one process, on the tweet-sentiment baseline's TF-IDF (1-3-grams, 100k
# features, 70 % training split); prints the JSON with machine, date and load average (figures go to docs/benchmarks.md).
# Usage: bench/run-ensemble-bench.sh [k=10] [C=1]
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
data="${CLASSIFY_TWEETS:-$repo/../shared/data/tweet-sentiment-extraction/train.csv}"
work="$(mktemp -d /tmp/classify-ensemble-bench.XXXXXX)"
dotnet build "$repo/bench/Classify.Bench.Linear" -c Release --artifacts-path "$work/artifacts" -v quiet -nologo >/dev/null
dotnet "$work/artifacts/bin/Classify.Bench.Linear/release/Classify.Bench.Linear.dll" \
  --data "$data" --cleaned-out "$work/cleaned.csv" --ensemble "${1:-10}" --C "${2:-1}"
