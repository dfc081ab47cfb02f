#!/usr/bin/env bash
# Issue 14's int8 acceptance check on a BERT-base-sized model (see docs/deploy.md, "Parity and sizes"):
#   1. train scratch:bert-base briefly on a stratified slice of the tweets (bench/int8/tweets-scratch-bert-base.yaml);
#   2. classify export --format onnx, fp32 and --quantize int8;
#   3. classify eval of both ONNX packages on the run's own test split (splits/test_ids.csv, rows of the data file);
#   4. int8 vs fp32: argmax agreement, macro-F1 of each, model.onnx sizes; fp32 ONNX vs the TorchSharp package's
#      predictions of the same split (predictions/test.csv of the training run); class distribution of predictions.
# Targets (issue 14): agreement >= 99 %, macro-F1 within 0.5 point, int8 model.onnx <= 30 % of fp32.
#
#   bench/run-int8-acceptance.sh [--out DIR] [--name RUN] [--set key=value ...]      (--set goes to classify train)
# A finished training run in DIR is reused (delete DIR/runs to train again). CLASSIFY_CLI=path/to/classify.dll skips
# the build. Long and CPU-heavy on a small machine: run it with nice.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${INT8_OUT:-/tmp/classify-int8-acceptance}"
sets=()
name=int8-acceptance-bert-base
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --set) sets+=(--set "$2"); shift 2 ;;
    --name) name="$2"; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
config="$root/bench/int8/tweets-scratch-bert-base.yaml"
run="$out/runs/$name"
data="$root/../shared/data/tweet-sentiment-extraction/train.csv"

echo "start $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" | tee "$out/timeline.txt" >&2
if [ -z "${CLASSIFY_CLI:-}" ]; then
  dotnet build -c Release "$root/src/Classify.Cli" --artifacts-path "$out/art" -v q >&2
  CLASSIFY_CLI="$out/art/bin/Classify.Cli/release/classify.dll"
fi
# Wall and CPU seconds of a step (GNU time), appended to the timeline.
timed() { local label="$1"; shift; /usr/bin/time -f "$label: wall %e s, cpu %U+%S s" -a -o "$out/timeline.txt" "$@"; }

if [ ! -f "$run/model/classify.json" ]; then
  (cd "$root" && timed train dotnet "$CLASSIFY_CLI" train --config "$config" --runs-dir "$out/runs" --no-report --overwrite --name "$name" "${sets[@]}") >&2
fi
rm -rf "$out/onnx-fp32-$name" "$out/onnx-int8-$name"
timed export-fp32 dotnet "$CLASSIFY_CLI" export --model "$run/model" --format onnx -o "$out/onnx-fp32-$name" >&2
timed export-int8 dotnet "$CLASSIFY_CLI" export --model "$run/model" --format onnx --quantize int8 -o "$out/onnx-int8-$name" >&2

# The run's test split as a labelled file: the data file's rows whose id is in splits/test_ids.csv, in that order.
/usr/bin/python3 - "$data" "$run/splits/test_ids.csv" "$out/test-$name.csv" <<'PY'
import csv, sys
data, ids_path, target = sys.argv[1:]
with open(ids_path, newline="") as f:
    ids = [r["id"] for r in csv.DictReader(f)]
with open(data, newline="", encoding="utf-8") as f:
    rows = {r["textID"]: r for r in csv.DictReader(f)}
with open(target, "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=["textID", "text", "sentiment"])
    w.writeheader()
    for i in ids:
        w.writerow({k: rows[i][k] for k in ("textID", "text", "sentiment")})
print(f"{len(ids)} test rows -> {target}", file=sys.stderr)
PY

for side in fp32 int8; do
  timed "eval-$side" dotnet "$CLASSIFY_CLI" eval --model "$out/onnx-$side-$name" --data "$out/test-$name.csv" --text-col text --label-col sentiment \
    --id-col textID --name "eval-$side-$name" --runs-dir "$out/runs" --no-report --overwrite >&2
done
echo "end $(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/timeline.txt"

/usr/bin/python3 - "$run" "$out" "$name" <<'PY'
import csv, json, os, sys
from collections import Counter
run, out, name = sys.argv[1:]

def predictions(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return rows

def column(rows, *names):
    for n in names:
        if n in rows[0]:
            return n
    sys.exit(f"none of {names} in {list(rows[0])}")

def table(path):
    rows = predictions(path)
    idc, pc, tc = column(rows, "id"), column(rows, "pred"), column(rows, "gold")
    probs = [c for c in rows[0] if c.startswith("p_")]
    return {r[idc]: (r[tc], r[pc], [float(r[c]) for c in probs]) for r in rows}

def macro_f1(pairs):
    labels = sorted({t for t, _ in pairs} | {p for _, p in pairs})
    f1 = []
    for l in labels:
        tp = sum(t == l and p == l for t, p in pairs)
        fp = sum(t != l and p == l for t, p in pairs)
        fn = sum(t == l and p != l for t, p in pairs)
        f1.append(0.0 if tp == 0 else 2 * tp / (2 * tp + fp + fn))
    return sum(f1) / len(f1)

torch_side = table(os.path.join(run, "predictions", "test.csv"))
fp32 = table(os.path.join(out, "runs", f"eval-fp32-{name}", "predictions", "test.csv"))
int8 = table(os.path.join(out, "runs", f"eval-int8-{name}", "predictions", "test.csv"))
ids = list(fp32)
assert set(ids) == set(int8) == set(torch_side), "the three prediction files cover different rows"
agree = sum(fp32[i][1] == int8[i][1] for i in ids)
agree_torch = sum(fp32[i][1] == torch_side[i][1] for i in ids)
f32, f8, ft = (macro_f1([s[i][:2] for i in ids]) for s in (fp32, int8, torch_side))
max_dp = lambda a, b: max(abs(x - y) for i in ids for x, y in zip(a[i][2], b[i][2]))
size = lambda side: os.path.getsize(os.path.join(out, f"onnx-{side}-{name}", "model.onnx"))
result = {
    "rows": len(ids),
    "true_distribution": dict(Counter(fp32[i][0] for i in ids)),
    "pred_distribution_torchsharp": dict(Counter(torch_side[i][1] for i in ids)),
    "pred_distribution_onnx_fp32": dict(Counter(fp32[i][1] for i in ids)),
    "pred_distribution_onnx_int8": dict(Counter(int8[i][1] for i in ids)),
    "argmax_agreement_int8_vs_fp32": agree / len(ids), "agreeing": agree,
    "argmax_agreement_onnx_fp32_vs_torchsharp": agree_torch / len(ids),
    "max_abs_dp_int8_vs_fp32": max_dp(int8, fp32), "max_abs_dp_onnx_fp32_vs_torchsharp": max_dp(fp32, torch_side),
    "macro_f1_torchsharp": round(ft, 4), "macro_f1_onnx_fp32": round(f32, 4), "macro_f1_onnx_int8": round(f8, 4),
    "macro_f1_diff_points": round(100 * abs(f32 - f8), 2),
    "model_onnx_bytes_fp32": size("fp32"), "model_onnx_bytes_int8": size("int8"),
    "int8_size_ratio": round(size("int8") / size("fp32"), 4),
}
result["passes"] = {
    "agreement>=99%": result["argmax_agreement_int8_vs_fp32"] >= 0.99,
    "macro_f1_within_0.5_point": result["macro_f1_diff_points"] <= 0.5,
    "size<=30%": result["int8_size_ratio"] <= 0.30,
}
with open(os.path.join(out, f"acceptance-{name}.json"), "w") as f:
    json.dump(result, f, indent=2)
print(json.dumps(result, indent=2))
PY
cat "$out/timeline.txt" >&2
