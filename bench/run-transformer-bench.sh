#!/usr/bin/env bash
# Transformer engine vs PyTorch, side by side on the same shapes (see docs/benchmarks.md).
#   bench/run-transformer-bench.sh [--threads 2] [--iterations 5] [--warmup 2] [--pad128-tweets 128]
# Prints a Markdown section; append it to docs/benchmarks.md.
# Classify-only modes run directly (see the header of bench/Classify.Bench.Transformers/Program.cs): mc-dropout,
# long-inputs (ModernBERT at 512–3,000 tokens), window-attention (blocked vs full local attention), padding-waste.
#
# PyTorch side: Debian's python3-torch 1.13.1 (apt-get install -y python3-torch libopenblas0-pthread).
# Debian builds torch with BLAS_INFO=generic, i.e. it calls whatever libblas.so.3 the alternatives system points to;
# the reference BLAS is unusably slow, so OpenBLAS is forced here by preloading it (installing libopenblas0-pthread
# also switches the libblas.so.3-x86_64-linux-gnu alternative to it; check with
# `update-alternatives --display libblas.so.3-x86_64-linux-gnu`).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
threads=2; iterations=5; warmup=2; pad128=128
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --pad128-tweets) pad128="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
out="${BENCH_OUT:-/tmp/classify-transformer-bench}"
mkdir -p "$out"
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
[ -f "$openblas" ] || { echo "OpenBLAS not found: apt-get install -y libopenblas0-pthread" >&2; exit 1; }
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
dotnet build -c Release "$root/bench/Classify.Bench.Transformers" --artifacts-path "$out/art" -v q >&2
bench="$out/art/bin/Classify.Bench.Transformers/release/Classify.Bench.Transformers"
(cd "$root" && "$bench" prepare-tweets "$out/tweets-ids.json" --count 2048) >&2

echo "== PyTorch ==" >&2
LD_PRELOAD="$openblas" /usr/bin/python3 "$root/bench/torch/bert_bench.py" "$out/tweets-ids.json" "$out/pytorch.json" \
  --threads "$threads" --iterations "$iterations" --warmup "$warmup" --pad128-tweets "$pad128" >&2
echo "== Classify ==" >&2
(cd "$root" && "$bench" run "$out/tweets-ids.json" "$out/classify.json" --threads "$threads" --iterations "$iterations" --warmup "$warmup" --pad128-tweets "$pad128") >&2

cat > "$out/machine.json" <<JSON
{"date": "$(date -u +%Y-%m-%d)", "nproc": $(nproc --all), "cpu": "$(lscpu | sed -n 's/^Model name: *//p' | head -1)",
 "ram": "$(free -h | awk '/^Mem:/ {print $2}')", "load_before": "$load_before", "load_after": "$(cut -d' ' -f1-3 /proc/loadavg)",
 "blas": "OpenBLAS $(basename "$(readlink -f "$openblas")") via LD_PRELOAD"}
JSON
/usr/bin/python3 "$root/bench/torch/transformer_report.py" "$out/classify.json" "$out/pytorch.json" "$out/machine.json" \
  "bench/run-transformer-bench.sh --threads $threads --iterations $iterations --warmup $warmup --pad128-tweets $pad128"
