"""Markdown section for docs/benchmarks.md from bench/run-onnx-bench.sh's results.

    onnx_report.py <classify.json> <pytorch.json> <machine.json> <command>
"""
import json
import sys
from collections import Counter


def ops(path):
    """Op counts of ORT's optimised graph ('domain:op' outside the default domain), via python3-onnx."""
    try:
        import onnx
        graph = onnx.load(path, load_external_data=False).graph
        return Counter(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}" for n in graph.node)
    except Exception as e:  # noqa: BLE001 -- a report without op counts is still a report
        return Counter({f"(not read: {e})": 0})


def main():
    classify, pytorch, machine = (json.load(open(p)) for p in sys.argv[1:4])
    command = sys.argv[4]
    shapes = [k[len("pytorch_fp32_"):-len("_sentences_per_s")] for k in pytorch if k.startswith("pytorch_fp32_") and k.endswith("_sentences_per_s")]
    engines = pytorch["quantized_engines_timed"]
    sides = [("ORT fp32 (Classify's graph)", classify, "ort_fp32"),
             ("ORT int8 (Classify's graph), whole batch per run", classify, "ort_int8"),
             ("ORT int8, one row per run (as the onnx engine)", classify, "ort_int8_rows"),
             ("TorchSharp fp32 (transformer engine)", classify, "torchsharp"),
             ("PyTorch fp32", pytorch, "pytorch_fp32")]
    sides += [(f"PyTorch dynamic int8 ({e})", pytorch, f"pytorch_int8_{e}") for e in engines]

    def get(src, side, shape, what):
        return src.get(f"{side}_{shape}_sentences_per_{what}")

    print(f"## ONNX Runtime vs PyTorch and TorchSharp at BERT-base shapes ({machine['date']})")
    print()
    print(f"`{command}` on {machine['nproc']} cores ({machine['cpu']}; {machine['flags']}), shared with other "
          f"engineers' jobs: load average {machine['load_before']} before, {machine['load_after']} after. "
          f"ONNX Runtime {classify['onnxruntime']} (C#), TorchSharp {classify['torchsharp']}, PyTorch {pytorch['torch']} "
          f"(Debian, {machine['blas']}; quantized engines available {', '.join(pytorch['quantized_engines_supported'])}). "
          f"{classify['ort_intra_op_threads']} intra-op threads everywhere (ORT InterOpNumThreads 1, sequential; torch "
          f"set_num_threads({pytorch['threads']}), {pytorch['interop_threads']} inter-op). Random BERT-base weights "
          f"(12 × 768, vocab 30522, 2 labels), random token ids, full mask; median of {classify['iterations']} iterations "
          f"after {classify['warmup']} warm-up, sides timed in turn within each iteration of each process. CPU seconds are "
          f"the process's user + system time over all threads (spin-waiting included), the figure that depends least on "
          f"the load. Process totals (wall, user, system s): Classify {machine['classify_process']}, PyTorch "
          f"{machine['pytorch_process']}.")
    print()
    header = "| side | " + " | ".join(f"{s} sentences/s | {s} per CPU-s" for s in shapes) + " |"
    print(header)
    print("|---|" + "---:|---:|" * len(shapes))
    for label, src, side in sides:
        if get(src, side, shapes[0], "s") is None:
            continue
        cells = []
        for s in shapes:
            cells += [f"{get(src, side, s, 's'):.2f}", f"{get(src, side, s, 'cpu_s'):.2f}"]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    best = max(engines, key=lambda e: get(pytorch, f"pytorch_int8_{e}", shapes[0], "cpu_s"))
    print("Ratios (wall / per CPU-second; above 1 = the first side is faster):")
    print()
    print("| ratio | " + " | ".join(shapes) + " |")
    print("|---|" + "---:|" * len(shapes))
    pairs = [("ORT int8 / PyTorch dynamic int8 (" + e + ")", (classify, "ort_int8"), (pytorch, f"pytorch_int8_{e}")) for e in engines]
    pairs += [("ORT fp32 / TorchSharp fp32", (classify, "ort_fp32"), (classify, "torchsharp")),
              ("ORT fp32 / PyTorch fp32", (classify, "ort_fp32"), (pytorch, "pytorch_fp32")),
              ("ORT int8 / ORT fp32", (classify, "ort_int8"), (classify, "ort_fp32")),
              ("PyTorch int8 (" + best + ") / PyTorch fp32", (pytorch, f"pytorch_int8_{best}"), (pytorch, "pytorch_fp32")),
              ("ORT int8 one row per run / whole batch", (classify, "ort_int8_rows"), (classify, "ort_int8"))]
    for label, (a, sa), (b, sb) in pairs:
        if get(a, sa, shapes[0], "s") is None or get(b, sb, shapes[0], "s") is None:
            continue
        cells = [f"{get(a, sa, s, 's') / get(b, sb, s, 's'):.2f} / {get(a, sa, s, 'cpu_s') / get(b, sb, s, 'cpu_s'):.2f}" for s in shapes]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print()
    f32, i8 = ops(classify["ort_optimised_fp32"]), ops(classify["ort_optimised_int8"])
    fmt = lambda c: ", ".join(f"{k} {v}" for k, v in sorted(c.items()))
    print(f"ORT's optimised graphs (session option `optimized_model_filepath`): fp32 {fmt(f32)}; int8 {fmt(i8)}.")
    print()
    diffs = [f"{classify[k]:.1e} at {k.rsplit('_', 1)[-1]}" for k in classify if k.startswith("fp32_max_abs_logit_diff_")]
    agreement = [f"{pytorch[k]:.3f} ({k[len('pytorch_int8_'):-len('_argmax_agreement_vs_fp32')]})" for k in pytorch if k.endswith("_argmax_agreement_vs_fp32")]
    print(f"Same model on both Classify sides: ORT fp32 vs TorchSharp logits max |Δ| {', '.join(diffs)}. model.onnx "
          f"{classify['model_onnx_bytes_fp32'] / 1e6:.1f} MB fp32, {classify['model_onnx_bytes_int8'] / 1e6:.1f} MB int8. PyTorch int8 vs "
          f"fp32 argmax agreement on the random batch (random weights, so only a sanity check): {', '.join(agreement)}.")


if __name__ == "__main__":
    main()
