"""fp32 GEMM micro-benchmark, PyTorch side (the dominant op of BERT-base; see docs/benchmarks.md).

Times x @ w and F.linear at BERT-base's projection and FFN shapes for 32×128 tokens (4096×768 by 768×768, 768×3072,
3072×768), the eager attention and the exact GELU and LayerNorm at that size, over wall time and over process CPU
time (user + system, all threads), since the machine is shared. The TorchSharp side is
`Classify.Bench.Transformers gemm`.

    LD_PRELOAD=/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3 /usr/bin/python3 gemm_bench.py [--threads 2] [--iterations 20]
"""
import argparse
import time

import torch
import torch.nn.functional as F


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    for m, k, n in [(4096, 768, 768), (4096, 768, 3072), (4096, 3072, 768)]:
        x, w = torch.randn(m, k), torch.randn(k, n)
        for _ in range(3):
            torch.matmul(x, w)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.iterations):
            torch.matmul(x, w)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        flops = 2.0 * m * k * n * args.iterations
        print(f"gemm {m}x{k}x{n}: wall {flops / wall / 1e9:7.1f} GFLOP/s, cpu {flops / cpu / 1e9:7.1f} GFLOP/s per CPU-second "
              f"(cpu/wall {cpu / wall:.2f})")
        # The same product as nn.Linear runs it: x · Wᵀ + b with W stored [out, in].
        weight, bias = torch.randn(n, k), torch.randn(n)
        for _ in range(3):
            F.linear(x, weight, bias)
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.iterations):
            F.linear(x, weight, bias)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"linear {m}x{k}x{n}: wall {flops / wall / 1e9:7.1f} GFLOP/s, cpu {flops / cpu / 1e9:7.1f} GFLOP/s per CPU-second "
              f"(cpu/wall {cpu / wall:.2f})")
    # Attention at 32x128 (12 heads of 64) with an additive padding bias, eager as HF runs it on torch 1.13.
    q, k, v, padding = torch.randn(32, 12, 128, 64), torch.randn(32, 12, 128, 64), torch.randn(32, 12, 128, 64), torch.zeros(32, 1, 1, 128)
    for _ in range(3):
        torch.matmul(torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / 8.0 + padding, -1), v)
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(args.iterations):
        torch.matmul(torch.softmax(torch.matmul(q, k.transpose(-1, -2)) / 8.0 + padding, -1), v)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"eager (32x128 tokens): wall {wall / args.iterations * 1e3:7.1f} ms, cpu {cpu / args.iterations * 1e3:7.1f} ms per call")
    # The element-wise and normalisation ops between the products, at 32x128 tokens.
    up, hidden = torch.randn(4096, 3072), torch.randn(4096, 768)
    for name, run in (("gelu", lambda: F.gelu(up)), ("layer_norm", lambda: F.layer_norm(hidden, (768,), torch.ones(768), torch.zeros(768), 1e-12))):
        for _ in range(3):
            run()
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(args.iterations):
            run()
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{name} (32x128 tokens): wall {wall / args.iterations * 1e3:7.1f} ms, cpu {cpu / args.iterations * 1e3:7.1f} ms per call")


if __name__ == "__main__":
    main()
