"""PyTorch reference for the bf16 training benchmark (Classify side: `Classify.Bench.Transformers precision`).

One optimizer step as HF's Trainer runs it — zero_grad, forward, fp32 cross-entropy, backward, clip_grad_norm_(1.0),
torch.optim.AdamW (weight decay 0.01) — in fp32 on torch 1.13, for
  * fine-tuning: BertForSequenceClassification (bert_bench.py's module) at 16x64, and
  * MLM pretraining: BertForMaskedLM written out the same way (encoder without pooler, cls.predictions transform
    dense-gelu-LayerNorm, decoder tied to the word embeddings plus its bias), logits over every position as HF
    computes them, 15% of the positions labelled (the rest -100), at 16x128.
Randomly initialised BERT-base (N(0, 0.02)). Prints CPU seconds (user + system of the process) per step.

    /usr/bin/python3 bert_train_bench.py <results.json> [--threads 2] [--iterations 3] [--warmup 1] [--model base|mini]
"""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import bert_bench as bb


class BertForMaskedLM(nn.Module):
    def __init__(self):
        super().__init__()
        H = bb.HIDDEN
        self.word, self.position, self.token_type = nn.Embedding(bb.VOCAB, H, padding_idx=0), nn.Embedding(bb.POSITIONS, H), nn.Embedding(bb.TYPES, H)
        self.emb_norm, self.dropout = nn.LayerNorm(H, eps=1e-12), nn.Dropout(0.1)
        self.layers = nn.ModuleList(bb.Layer() for _ in range(bb.LAYERS))
        self.transform, self.transform_norm = nn.Linear(H, H), nn.LayerNorm(H, eps=1e-12)
        self.decoder_bias = nn.Parameter(torch.zeros(bb.VOCAB))
        for m in self.modules():
            if isinstance(m, (nn.Linear, nn.Embedding)):
                nn.init.normal_(m.weight, 0, 0.02)
            if isinstance(m, nn.Linear):
                nn.init.zeros_(m.bias)

    def forward(self, ids, mask):
        positions = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.dropout(self.emb_norm(self.word(ids) + self.position(positions) + self.token_type(torch.zeros_like(ids))))
        bias = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
        for layer in self.layers:
            x = layer(x, bias)
        h = self.transform_norm(F.gelu(self.transform(x)))
        return F.linear(h, self.word.weight, self.decoder_bias)


def cpu_per_step(args, step):
    for _ in range(args.warmup):
        step()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    for _ in range(args.iterations):
        step()
    return (time.process_time() - cpu0) / args.iterations, (time.perf_counter() - wall0) / args.iterations


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results = {"side": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
               "iterations": args.iterations, "warmup": args.warmup}

    def run(name, model, batch, seq, loss_fn):
        model.train()
        optimizer = torch.optim.AdamW(model.parameters(), lr=2e-5, weight_decay=0.01)
        ids = torch.randint(1000, 30000, (batch, seq))
        mask = torch.ones(batch, seq, dtype=torch.long)

        def step():
            optimizer.zero_grad()
            loss_fn(model, ids, mask).backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        cpu, wall = cpu_per_step(args, step)
        results[name] = {"cpu_s_per_step": round(cpu, 3), "wall_s_per_step": round(wall, 3), "batch": batch, "seq": seq}
        print(f"{name:<28} {cpu:7.2f} CPU s/step  {wall:7.2f} wall s/step", flush=True)

    labels = torch.randint(0, 2, (16,))
    run("finetune_16x64", bb.BertForSequenceClassification(), 16, 64,
        lambda m, ids, mask: F.cross_entropy(m(ids, mask, torch.zeros_like(ids)), labels))
    g = torch.Generator().manual_seed(1)
    mlm_labels = torch.randint(1000, 30000, (16, 128), generator=g)
    mlm_labels[torch.rand(16, 128, generator=g) >= 0.15] = -100
    run("mlm_16x128", BertForMaskedLM(), 16, 128,
        lambda m, ids, mask: F.cross_entropy(m(ids, mask).reshape(-1, bb.VOCAB), mlm_labels.reshape(-1), ignore_index=-100))
    with open(args.results, "w") as f:
        json.dump(results, f, indent=2)


if __name__ == "__main__":
    main()
