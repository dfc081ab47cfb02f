"""PyTorch side of the ONNX benchmark (run by bench/run-onnx-bench.sh): BERT-base fp32 and dynamic int8.

The model is bert_bench.py's plain-torch BertForSequenceClassification (BERT-base shapes, N(0, 0.02) weights, eager
attention, erf GELU), in evaluation mode. The int8 model is `torch.quantization.quantize_dynamic(model, {nn.Linear},
dtype=torch.qint8)`: every nn.Linear gets int8 weights (per tensor, PyTorch's default for dynamic quantization) and
quantizes its input per call (uint8, one scale per tensor); embeddings, LayerNorm and attention stay float32 -- the
same split as Classify's int8 graph. Debian's torch 1.13 has no FBGEMM; its quantized engines are `onednn` (the
x86 default here) and `qnnpack`; each engine given in --engines is timed.

Within an iteration the sides run one after the other; the median iteration is reported, sentences per wall second
and per process CPU second (user + system of all threads).

    /usr/bin/python3 bert_int8_bench.py <results.json> [--threads 2] [--iterations 5] [--warmup 2]
        [--shapes 32x128,32x32] [--engines onednn,qnnpack]
"""
import argparse
import json
import os
import statistics
import sys

import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bert_bench import BertForSequenceClassification, Clock  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--shapes", default="32x128,32x32")
    p.add_argument("--engines", default="onednn")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    engines = [e for e in args.engines.split(",") if e]
    supported = torch.backends.quantized.supported_engines
    for e in engines:
        if e not in supported:
            sys.exit(f"quantized engine {e} not available (supported: {supported})")
    results = {"side": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
               "interop_threads": torch.get_num_interop_threads(), "iterations": args.iterations, "warmup": args.warmup,
               "quantized_engines_supported": supported, "quantized_engines_timed": engines,
               "cpu_capability": torch.backends.cpu.get_cpu_capability() if hasattr(torch.backends, "cpu") else None,
               "blas": [l.strip() for l in torch.__config__.show().splitlines() if "BLAS_INFO" in l][:1]}

    model = BertForSequenceClassification().eval()
    # quantize_dynamic packs the weights for the engine selected when it runs, so one copy per engine.
    quantized = {}
    for e in engines:
        torch.backends.quantized.engine = e
        quantized[e] = torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    size = lambda m: sum(t.numel() * t.element_size() for t in m.state_dict().values() if isinstance(t, torch.Tensor))
    results["fp32_state_bytes"] = size(model)

    for shape in args.shapes.split(","):
        batch, seq = (int(x) for x in shape.split("x"))
        ids = torch.randint(1000, 30000, (batch, seq))
        mask, types = torch.ones(batch, seq, dtype=torch.long), torch.zeros(batch, seq, dtype=torch.long)

        def runner(m, engine=None):
            def run():
                if engine:
                    torch.backends.quantized.engine = engine
                with torch.inference_mode():
                    return m(ids, mask, types)
            return run
        sides = [("pytorch_fp32", runner(model))] + [(f"pytorch_int8_{e}", runner(quantized[e], e)) for e in engines]
        with torch.inference_mode():
            reference = model(ids, mask, types)
        for _ in range(args.warmup):
            for _, run in sides:
                run()
        times = {name: [] for name, _ in sides}
        for _ in range(args.iterations):
            for name, run in sides:
                clock = Clock()
                out = run()
                times[name].append(clock.elapsed())
                if name != "pytorch_fp32":
                    results[f"{name}_{shape}_argmax_agreement_vs_fp32"] = float((out.argmax(-1) == reference.argmax(-1)).float().mean())
        for name, _ in sides:
            wall = statistics.median(t[0] for t in times[name])
            cpu = statistics.median(t[1] for t in times[name])
            key = f"{name}_{shape}"
            results[f"{key}_sentences_per_s"] = round(batch / wall, 2)
            results[f"{key}_sentences_per_cpu_s"] = round(batch / cpu, 2)
            results[f"{key}_wall_s"] = round(wall, 4)
            results[f"{key}_cpu_s"] = round(cpu, 4)
            print(f"{key:<28} {batch / wall:9.2f} sentences/s  {batch / cpu:9.2f} per CPU-second  "
                  f"(median of {args.iterations}: wall {wall:.3f} s, cpu {cpu:.3f} s)", flush=True)

    with open(args.results, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
