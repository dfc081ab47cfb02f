#!/usr/bin/env bash
# ONNX Runtime (Classify's exported graphs, fp32 and int8) vs the TorchSharp engine and PyTorch (fp32 and dynamic
# int8) at BERT-base shapes (see docs/benchmarks.md, "ONNX Runtime vs PyTorch and TorchSharp at BERT-base shapes").
#   bench/run-onnx-bench.sh [--threads 2] [--iterations 5] [--warmup 2] [--shapes 32x128,32x32] [--engines onednn,qnnpack]
# Prints a Markdown section; append it to docs/benchmarks.md.
#
# Sides, one process after the other (random BERT-base weights, random token ids, full mask):
#   Classify process (bench/Classify.Bench.Onnx): ORT fp32, ORT int8 (whole batch per run), ORT int8 one row per run
#   (as the onnx engine runs quantized graphs), TorchSharp fp32 (the transformer engine's model) -- timed in turn
#   within each iteration;
#   PyTorch process (bench/torch/bert_int8_bench.py): fp32 and torch.quantization.quantize_dynamic int8 per
#   quantized engine (Debian's torch 1.13 has onednn and qnnpack, no fbgemm) -- timed in turn within each iteration.
# Threads: ORT IntraOpNumThreads=--threads, InterOpNumThreads=1, sequential execution, ORT_ENABLE_ALL, ORT's default
# spin-waiting; TorchSharp and PyTorch torch.set_num_threads(--threads), OMP/MKL/OpenBLAS_NUM_THREADS=--threads.
# PyTorch side: Debian's python3-torch 1.13.1 with OpenBLAS preloaded (see bench/run-transformer-bench.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
threads=2; iterations=5; warmup=2; shapes=32x128,32x32; engines=onednn
while [ $# -gt 0 ]; do
  case "$1" in
    --threads) threads="$2"; shift 2 ;;
    --iterations) iterations="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    --shapes) shapes="$2"; shift 2 ;;
    --engines) engines="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
out="${BENCH_OUT:-/tmp/classify-onnx-bench}"
mkdir -p "$out"
openblas=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3
[ -f "$openblas" ] || { echo "OpenBLAS not found: apt-get install -y libopenblas0-pthread" >&2; exit 1; }
export OMP_NUM_THREADS="$threads" OPENBLAS_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
if [ -z "${ONNX_BENCH_BIN:-}" ]; then
  dotnet build -c Release "$root/bench/Classify.Bench.Onnx" --artifacts-path "$out/art" -v q >&2
  ONNX_BENCH_BIN="$out/art/bin/Classify.Bench.Onnx/release/Classify.Bench.Onnx"
fi

echo "== Classify: ORT fp32, ORT int8, TorchSharp ==" >&2
(cd "$root" && /usr/bin/time -f "%e %U %S" -o "$out/classify.time" "$ONNX_BENCH_BIN" run "$out/classify.json" \
  --threads "$threads" --iterations "$iterations" --warmup "$warmup" --shapes "$shapes" --row-at-a-time) >&2
echo "== PyTorch: fp32, dynamic int8 ==" >&2
LD_PRELOAD="$openblas" /usr/bin/time -f "%e %U %S" -o "$out/pytorch.time" /usr/bin/python3 "$root/bench/torch/bert_int8_bench.py" \
  "$out/pytorch.json" --threads "$threads" --iterations "$iterations" --warmup "$warmup" --shapes "$shapes" --engines "$engines" >&2

flags="$(grep -o -w -E 'avx2|avx512f|avx512bw|avx512_vnni|avx_vnni|amx_int8' /proc/cpuinfo | sort -u | tr '\n' ' ')"
cat > "$out/machine.json" <<JSON
{"date": "$(date -u +%Y-%m-%d)", "nproc": $(nproc --all), "cpu": "$(lscpu | sed -n 's/^Model name: *//p' | head -1)",
 "flags": "${flags% }", "load_before": "$load_before", "load_after": "$(cut -d' ' -f1-3 /proc/loadavg)",
 "classify_process": "$(cat "$out/classify.time")", "pytorch_process": "$(cat "$out/pytorch.time")",
 "blas": "OpenBLAS $(basename "$(readlink -f "$openblas")") via LD_PRELOAD"}
JSON
/usr/bin/python3 "$root/bench/torch/onnx_report.py" "$out/classify.json" "$out/pytorch.json" "$out/machine.json" \
  "bench/run-onnx-bench.sh --threads $threads --iterations $iterations --warmup $warmup --shapes $shapes --engines $engines"
