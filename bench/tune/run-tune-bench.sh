#!/usr/bin/env bash
# Sampler overhead and best values: Optuna 3.1 TPE (Debian python3-optuna) vs Classify's TPE on the same objective.
# Usage: bench/tune/run-tune-bench.sh [standin|branin] [trials] [seeds]
set -euo pipefail
cd "$(dirname "$0")/../.."
objective="${1:-standin}"; trials="${2:-40}"; seeds="${3:-5}"
/usr/bin/python3 bench/tune/optuna_tpe_overhead.py --objective "$objective" --trials "$trials" --seeds "$seeds"
dotnet build -c Release tests/Classify.Tuning.Tests >/dev/null
CLASSIFY_TUNE_BENCH_OBJECTIVE="$objective" CLASSIFY_TUNE_BENCH_TRIALS="$trials" CLASSIFY_TUNE_BENCH_SEEDS="$seeds" \
  dotnet test tests/Classify.Tuning.Tests -c Release --no-build --filter "FullyQualifiedName~TpeOverheadBenchTests" \
  --logger "console;verbosity=detailed" | grep -E "classify TPE|best:|overhead per trial"
