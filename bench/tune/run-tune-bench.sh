#!/usr/bin/env bash
# Optuna 3.1 TPE (Debian python3-optuna) vs Classify's TPE on one objective, in one run: best values over seeds and the
# sampler overhead per trial (time outside the objective). The tweets objective is Classify's `classify tune` trial on
# examples/tweets-tune.yaml, which both samplers call (Optuna through a pipe to the same C# code).
# Usage: bench/tune/run-tune-bench.sh [tweets|branin] [trials] [seeds]
set -euo pipefail
cd "$(dirname "$0")/../.."
objective="${1:-tweets}"; trials="${2:-40}"; seeds="${3:-5}"
out="bench/out/tune"; mkdir -p "$out"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
echo "host: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc --all) cores; start $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build -c Release bench/Classify.Bench.Tune >/dev/null
/usr/bin/python3 bench/tune/optuna_tpe_overhead.py --objective "$objective" --trials "$trials" --seeds "$seeds" \
  --json "$out/optuna-$objective-$stamp.json"
dotnet bench/Classify.Bench.Tune/bin/Release/net10.0/Classify.Bench.Tune.dll classify-tpe --objective "$objective" \
  --trials "$trials" --seeds "$seeds" --json "$out/classify-$objective-$stamp.json"
echo "end $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
