"""PyTorch reference for the transformer benchmark (run by bench/run-transformer-bench.sh).

A BERT-base sequence classifier written out in plain torch, operation for operation as transformers'
BertForSequenceClassification runs it on torch 1.13 (eager attention: matmul, additive mask, softmax, matmul;
erf GELU; post-LayerNorm; tanh pooler), randomly initialised (N(0, 0.02), as HF's _init_weights), fp32.
transformers itself is not installed in Debian's Python; this module has the same shapes, parameters and ops.

    /usr/bin/python3 bert_bench.py <tweets-ids.json> <results.json> [--threads 2] [--iterations 5] [--warmup 2]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

HIDDEN, LAYERS, HEADS, FFN, VOCAB, POSITIONS, TYPES, LABELS = 768, 12, 12, 3072, 30522, 512, 2, 2


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.query, self.key, self.value = (nn.Linear(HIDDEN, HIDDEN) for _ in range(3))
        self.attn_out, self.attn_norm = nn.Linear(HIDDEN, HIDDEN), nn.LayerNorm(HIDDEN, eps=1e-12)
        self.intermediate, self.output = nn.Linear(HIDDEN, FFN), nn.Linear(FFN, HIDDEN)
        self.out_norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.dropout = nn.Dropout(0.1)

    def heads(self, x):
        b, s, _ = x.shape
        return x.view(b, s, HEADS, HIDDEN // HEADS).permute(0, 2, 1, 3)

    def forward(self, x, bias):
        q, k, v = self.heads(self.query(x)), self.heads(self.key(x)), self.heads(self.value(x))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(HIDDEN // HEADS) + bias
        probs = self.dropout(torch.softmax(scores, dim=-1))
        context = torch.matmul(probs, v).permute(0, 2, 1, 3).reshape(x.shape)
        x = self.attn_norm(x + self.dropout(self.attn_out(context)))
        return self.out_norm(x + self.dropout(self.output(F.gelu(self.intermediate(x)))))


class BertForSequenceClassification(nn.Module):
    def __init__(self):
        super().__init__()
        self.word, self.position, self.token_type = nn.Embedding(VOCAB, HIDDEN, padding_idx=0), nn.Embedding(POSITIONS, HIDDEN), nn.Embedding(TYPES, HIDDEN)
        self.emb_norm, self.dropout = nn.LayerNorm(HIDDEN, eps=1e-12), nn.Dropout(0.1)
        self.layers = nn.ModuleList(Layer() for _ in range(LAYERS))
        self.pooler, self.classifier = nn.Linear(HIDDEN, HIDDEN), nn.Linear(HIDDEN, LABELS)
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0, 0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, ids, mask, types):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.dropout(self.emb_norm(self.word(ids) + self.position(positions) + self.token_type(types)))
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        return self.classifier(self.dropout(torch.tanh(self.pooler(x[:, 0]))))


class Clock:
    """Wall clock and process CPU time (user + system of all threads)."""

    def __init__(self):
        self.wall0, self.cpu0 = time.perf_counter(), time.process_time()

    def elapsed(self):
        return time.perf_counter() - self.wall0, time.process_time() - self.cpu0


def timed(args, fn):
    """Mean wall and CPU seconds per iteration after the warm-up runs."""
    for _ in range(args.warmup):
        fn()
    clock = Clock()
    for _ in range(args.iterations):
        fn()
    wall, cpu = clock.elapsed()
    return wall / args.iterations, cpu / args.iterations


def pad(rows, length):
    ids = torch.zeros(len(rows), length, dtype=torch.long)
    mask = torch.zeros(len(rows), length, dtype=torch.long)
    for r, row in enumerate(rows):
        ids[r, :len(row)] = torch.tensor(row)
        mask[r, :len(row)] = 1
    return ids, mask


def main():
    p = argparse.ArgumentParser()
    p.add_argument("tweets")
    p.add_argument("results")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=5)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--pad128-tweets", type=int, default=128)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = {"side": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
               "iterations": args.iterations, "warmup": args.warmup, "pad128_tweets": args.pad128_tweets,
               "blas": [l.strip() for l in torch.__config__.show().splitlines() if "BLAS_INFO" in l or "MKL" in l][:3]}

    def report(key, items, seconds):
        # Items per wall second, and per CPU second under key `..._per_cpu_s` (less dependent on the machine's load).
        wall, cpu = seconds
        results[key] = round(items / wall, 2)
        results[key.replace("_per_s", "_per_cpu_s")] = round(items / cpu, 2)
        print(f"{key:<40} {items / wall:10.2f}  per CPU-second {items / cpu:10.2f}  (cpu/wall {cpu / wall:.2f})", flush=True)

    model = BertForSequenceClassification().eval()
    for batch, seq in ((32, 128), (32, 32)):
        ids = torch.randint(1000, 30000, (batch, seq))
        mask, types = torch.ones(batch, seq, dtype=torch.long), torch.zeros(batch, seq, dtype=torch.long)

        def infer():
            with torch.inference_mode():
                model(ids, mask, types)
        report(f"inference_{batch}x{seq}_sentences_per_s", batch, timed(args, infer))

    with open(args.tweets) as f:
        rows = json.load(f)["input_ids"]

    def tweets(order, fixed_length):
        with torch.inference_mode():
            for start in range(0, len(order), 32):
                chunk = [rows[i] for i in order[start:start + 32]]
                ids, mask = pad(chunk, fixed_length or max(len(r) for r in chunk))
                model(ids, mask, torch.zeros_like(ids))
    # One pass over all tweets is already 64 batches, so each regime is timed over one full pass after a warm-up
    # pass over the first 256. Padded to 128, every batch has the fixed 32x128 shape, so its rate is measured on
    # the first --pad128-tweets tweets only (in file order).
    by_length = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    tweets(sorted(range(256), key=lambda i: len(rows[i])), None)
    clock = Clock()
    tweets(by_length, None)
    report("tweets_dynamic_sentences_per_s", len(rows), clock.elapsed())
    clock = Clock()
    tweets(list(range(args.pad128_tweets)), 128)
    report("tweets_pad128_sentences_per_s", args.pad128_tweets, clock.elapsed())

    train = BertForSequenceClassification().train()
    optimizer = torch.optim.AdamW(train.parameters(), lr=2e-5, weight_decay=0.01)
    ids = torch.randint(1000, 30000, (16, 64))
    mask, types = torch.ones(16, 64, dtype=torch.long), torch.zeros(16, 64, dtype=torch.long)
    labels = torch.randint(0, 2, (16,))

    def step():
        optimizer.zero_grad()
        F.cross_entropy(train(ids, mask, types), labels).backward()
        optimizer.step()
    report("training_16x64_samples_per_s", 16, timed(args, step))

    with open(args.results, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
