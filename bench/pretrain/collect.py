#!/usr/bin/env python3
"""Collect the domain-adaptive pretraining measurement (docs/pretraining.md): the tables of test macro-F1 and the curves.

Reads the fine-tunes of bench/pretrain/run-grid.sh (runs/dapt-<data>-<side>-lr<lr>-s<seed>/), the linear baselines
(runs/dapt-<data>-linear/) and the pretraining (runs/dapt-mlm/); prints
  1. every fine-tune (data, side, learning rate, seed: val and test macro-F1, seconds);
  2. per data set and side, the learning rate chosen on validation (seed 42's val macro-F1) and, at that rate, the
     test macro-F1 over the seeds (mean, sd), and pretrained − scratch: the difference of the means and, per seed, a
     paired bootstrap over the test rows;
and writes docs/img/dapt-curves.svg (validation macro-F1 or loss of the chosen runs against the step, and the MLM
loss of the pretraining). Python 3 stdlib only.
  python3 bench/pretrain/collect.py [--runs runs] [--svg docs/img/dapt-curves.svg]
"""
import argparse
import csv
import json
import random
import math
import os


def rows(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(l) for l in f if l.strip()]


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def find_log(run):
    for root, _, files in os.walk(run):
        if "log.jsonl" in files:
            return os.path.join(root, "log.jsonl")
    return None


def run_info(run):
    info = {"run": run}
    if not os.path.exists(os.path.join(run, "metrics", "test.json")):
        return None
    info["test"] = load(os.path.join(run, "metrics", "test.json"))["macro_f1"]
    info["val"] = load(os.path.join(run, "metrics", "val.json"))["macro_f1"]
    r = load(os.path.join(run, "run.json"))
    from datetime import datetime
    try:
        t0 = datetime.fromisoformat(r["created_utc"].replace("Z", "+00:00")[:26] + "+00:00") if False else None
    except Exception:
        t0 = None
    info["created"], info["finished"] = r.get("created_utc"), r.get("finished_utc")
    log = find_log(run)
    info["curve"], info["steps"], info["seconds"] = [], None, None
    for row in rows(log) if log else []:
        if "eval_macro_f1" in row:
            info["curve"].append((row["step"], row["eval_macro_f1"]))
            info.setdefault("loss_curve", []).append((row["step"], row["eval_loss"]))
        if "train_runtime" in row:
            info["seconds"], info["steps"] = row["train_runtime"], row.get("step")
    return info


def wall(info):
    from datetime import datetime
    def p(s):
        s = s.rstrip("Z")
        if "." in s:
            a, b = s.split(".")
            s = a + "." + b[:6]
        return datetime.fromisoformat(s)
    try:
        return (p(info["finished"]) - p(info["created"])).total_seconds()
    except Exception:
        return None


def predictions(run):
    """(labels, gold sets, predicted sets) of runs/<run>/predictions/test.csv (multi-label values split on '|')."""
    path = os.path.join(run, "predictions", "test.csv")
    if not os.path.exists(path):
        return None
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        labels = [c[2:] for c in reader.fieldnames if c.startswith("p_")]
        rows_ = [(r["id"], set(r["gold"].split("|")) if r["gold"] else set(), set(r["pred"].split("|")) if r["pred"] else set())
                 for r in reader]
    rows_.sort()
    return labels, [g for _, g, _ in rows_], [p for _, _, p in rows_], [i for i, _, _ in rows_]


def counts(labels, gold, pred):
    """Per example, per label: (tp, fp, fn) as three lists of label-index lists."""
    idx = {l: k for k, l in enumerate(labels)}
    return [([idx[l] for l in g & p], [idx[l] for l in p - g], [idx[l] for l in g - p]) for g, p in zip(gold, pred)]


def macro_f1(n_labels, per_example, sample):
    tp, fp, fn = [0] * n_labels, [0] * n_labels, [0] * n_labels
    for i in sample:
        a, b, c = per_example[i]
        for k in a: tp[k] += 1
        for k in b: fp[k] += 1
        for k in c: fn[k] += 1
    return sum(2 * t / (2 * t + f + n) if t + f + n else 0.0 for t, f, n in zip(tp, fp, fn)) / n_labels


def paired_bootstrap(run_a, run_b, reps, seed=0):
    """Test macro-F1 of b minus a, and its 95% percentile interval over `reps` paired resamples of the test rows."""
    pa, pb = predictions(run_a), predictions(run_b)
    if pa is None or pb is None or pa[3] != pb[3]:
        return None
    labels = pa[0]
    ca, cb = counts(labels, pa[1], pa[2]), counts(labels, pb[1], pb[2])
    n = len(ca)
    full = list(range(n))
    point = macro_f1(len(labels), cb, full) - macro_f1(len(labels), ca, full)
    rnd = random.Random(seed)
    diffs = []
    for _ in range(reps):
        sample = [rnd.randrange(n) for _ in range(n)]
        diffs.append(macro_f1(len(labels), cb, sample) - macro_f1(len(labels), ca, sample))
    diffs.sort()
    return point, diffs[int(0.025 * reps)], diffs[int(0.975 * reps) - 1]


def svg(panels, path):
    W, H, pad = 420, 260, 46
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W * len(panels)}" height="{H}" font-family="sans-serif" font-size="11">',
           f'<rect width="{W * len(panels)}" height="{H}" fill="white"/>']
    colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]
    for k, (title, series, ylabel) in enumerate(panels):
        x0 = k * W
        pts = [p for _, s in series for p in s]
        if not pts:
            continue
        xmin, xmax = 0, max(x for x, _ in pts)
        ymin, ymax = min(y for _, y in pts), max(y for _, y in pts)
        if ymax - ymin < 1e-9:
            ymax = ymin + 1
        ymin, ymax = ymin - 0.05 * (ymax - ymin), ymax + 0.05 * (ymax - ymin)
        X = lambda x: x0 + pad + (x - xmin) / (xmax - xmin or 1) * (W - pad - 14)
        Y = lambda y: H - pad + 14 - (y - ymin) / (ymax - ymin) * (H - pad - 14 - 24)
        out.append(f'<text x="{x0 + W / 2}" y="16" text-anchor="middle" font-size="12">{title}</text>')
        out.append(f'<line x1="{X(xmin)}" y1="{Y(ymin)}" x2="{X(xmax)}" y2="{Y(ymin)}" stroke="#444"/>')
        out.append(f'<line x1="{X(xmin)}" y1="{Y(ymin)}" x2="{X(xmin)}" y2="{Y(ymax)}" stroke="#444"/>')
        for i in range(5):
            yv = ymin + (ymax - ymin) * i / 4
            out.append(f'<text x="{X(xmin) - 4}" y="{Y(yv) + 4}" text-anchor="end">{yv:.3g}</text>')
            xv = xmin + (xmax - xmin) * i / 4
            out.append(f'<text x="{X(xv)}" y="{Y(ymin) + 14}" text-anchor="middle">{xv:.0f}</text>')
        out.append(f'<text x="{x0 + W / 2}" y="{H - 6}" text-anchor="middle">step</text>')
        out.append(f'<text x="{x0 + 10}" y="{H / 2}" transform="rotate(-90 {x0 + 10} {H / 2})" text-anchor="middle">{ylabel}</text>')
        for j, (name, s) in enumerate(series):
            c = colors[j % len(colors)]
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (c, " ".join(f"{X(x):.1f},{Y(y):.1f}" for x, y in s)))
            for x, y in s:
                out.append(f'<circle cx="{X(x):.1f}" cy="{Y(y):.1f}" r="2.5" fill="{c}"/>')
            out.append(f'<text x="{x0 + pad + 8}" y="{34 + 14 * j}" fill="{c}">{name}</text>')
    out.append("</svg>")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def fine_tunes(runs):
    """{(data, side, lr, seed): run_info} of the runs named dapt-<data>-<side>-lr<lr>-s<seed>."""
    import re
    found = {}
    for name in sorted(os.listdir(runs)):
        m = re.fullmatch(r"dapt-(tweets|goemotions)-(scratch|pretrained)-lr([0-9.e-]+)-s(\d+)", name)
        if m:
            info = run_info(os.path.join(runs, name))
            if info is not None:
                found[(m.group(1), m.group(2), float(m.group(3)), int(m.group(4)))] = info
    return found


def main():
    import statistics
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", default="runs")
    ap.add_argument("--svg", default="docs/img/dapt-curves.svg")
    a = ap.parse_args()
    runs = fine_tunes(a.runs)
    print("| dataset | encoder | learning rate | seed | steps | val macro-F1 | test macro-F1 | train s |")
    print("|---|---|---|---|---|---|---|---|")
    for (data, side, lr, seed), i in sorted(runs.items()):
        print(f"| {data} | {side} | {lr:g} | {seed} | {i['steps'] or '—'} | {i['val']:.4f} | {i['test']:.4f} | "
              f"{'%.0f' % i['seconds'] if i['seconds'] else '—'} |")
    for data in ("tweets", "goemotions"):
        lin = run_info(os.path.join(a.runs, f"dapt-{data}-linear"))
        if lin:
            print(f"| {data} | linear (zero-config) | — | — | — | {lin['val']:.4f} | {lin['test']:.4f} | — |")
    print()
    panels, chosen = [], {}
    for data in ("tweets", "goemotions"):
        series = []
        for side in ("scratch", "pretrained"):
            at42 = {lr: i for (d, s_, lr, seed), i in runs.items() if d == data and s_ == side and seed == 42}
            if not at42:
                continue
            lr = max(at42, key=lambda x: at42[x]["val"])
            chosen[(data, side)] = lr
            tests = {seed: i["test"] for (d, s_, l, seed), i in runs.items() if d == data and s_ == side and l == lr}
            vals = list(tests.values())
            sd = statistics.stdev(vals) if len(vals) > 1 else float("nan")
            how = "chosen on validation" if len(at42) > 1 else "(the only one run here)"
            print(f"{data} {side}: learning rate {how} {lr:g} (seed-42 val macro-F1 by rate: "
                  + ", ".join(f"{l:g} {at42[l]['val']:.4f}" for l in sorted(at42)) + f"); test macro-F1 over {len(vals)} seed(s) "
                  f"{statistics.mean(vals):.4f} (sd {sd:.4f}): " + ", ".join(f"s{k} {v:.4f}" for k, v in sorted(tests.items())))
            curve = at42[lr]["curve"] if data == "tweets" else at42[lr].get("loss_curve")
            if curve:
                series.append((f"{side}, lr {lr:g}", curve))
        if (data, "scratch") in chosen and (data, "pretrained") in chosen:
            ls, lp = chosen[(data, "scratch")], chosen[(data, "pretrained")]
            seeds = sorted({seed for (d, s_, l, seed) in runs if d == data and s_ == "scratch" and l == ls} &
                           {seed for (d, s_, l, seed) in runs if d == data and s_ == "pretrained" and l == lp})
            if seeds:
                diffs = [runs[(data, "pretrained", lp, k)]["test"] - runs[(data, "scratch", ls, k)]["test"] for k in seeds]
                print(f"{data}: pretrained ({lp:g}) − scratch ({ls:g}), test macro-F1, mean over seeds {', '.join(map(str, seeds))}: "
                      f"{statistics.mean(diffs):+.4f} (per seed " + ", ".join(f"{d:+.4f}" for d in diffs) + ")")
                reps = 1000 if data == "tweets" else 200
                for k in seeds:
                    r = paired_bootstrap(os.path.join(a.runs, f"dapt-{data}-scratch-lr{ls:g}-s{k}"),
                                         os.path.join(a.runs, f"dapt-{data}-pretrained-lr{lp:g}-s{k}"), reps)
                    if r:
                        print(f"  seed {k}: {r[0]:+.4f}, 95% paired-bootstrap interval [{r[1]:+.4f}, {r[2]:+.4f}] ({reps} resamples of the test rows)")
        if series:
            panels.append((f"{data}: validation macro-F1", series, "macro-F1") if data == "tweets"
                          else (f"{data}: validation loss (weighted BCE)", series, "loss"))
    mlm = rows(os.path.join(a.runs, "dapt-mlm", "log.jsonl"))
    ev = [(r["step"], r["eval_loss"]) for r in mlm if "eval_loss" in r]
    tr = [(r["step"], r["loss"]) for r in mlm if "loss" in r]
    if ev:
        panels.append(("pretraining: MLM loss", [("held-out", ev), ("training", tr)], "cross-entropy"))
    m = os.path.join(a.runs, "dapt-mlm", "metrics.json")
    if os.path.exists(m):
        print("\ndapt-mlm metrics.json:", json.dumps(load(m)))
    print("held-out MLM loss / perplexity by step:", ", ".join(f"{s}: {l:.3f} / {math.exp(l):.0f}" for s, l in ev))
    if panels:
        svg(panels, a.svg)
        print("wrote", a.svg)


if __name__ == "__main__":
    main()
