#!/usr/bin/env python3
"""Measures zero-config linear recipe candidates on the bundled datasets (issue 15 item 1).

Each candidate is a list of `--set` overrides that spell out every option it depends on, so the table stays valid
whatever the code's defaults are. Every dataset x candidate is trained with the Release CLI (`train --config
bench/defaults/datasets/<set>.yaml --set ...`, no report), `repeat` times in rounds (each round runs every candidate
once, so all meet the same background load); test macro-F1 comes from metrics/test.json (deterministic) and the
train seconds (TF-IDF fit + search + final fit) from run.json `timings.train_cpu_seconds` (CPU, the budget's measure on
a shared machine) and `train_seconds` (wall), reported as medians.

Usage (from the repository root, after `dotnet build src/Classify.Cli -c Release`):
  nice -n 5 python3 bench/defaults/measure.py [--repeat 3] [--datasets tweets,annomi] [--candidates old,A] > results.jsonl
  python3 bench/defaults/measure.py --table results.jsonl      # the markdown table of docs/defaults.md
"""
import argparse, json, os, resource, statistics, subprocess, sys, time

CLI = os.environ.get("CLASSIFY_CLI", "src/Classify.Cli/bin/Release/net10.0/classify")
DATASETS = ["tweets", "goemotions", "annomi", "spam", "tweeteval"]
SKLEARN_TOKENS = r"linear.tfidf.token_pattern='(?u)\b\w\w+\b'"     # scikit-learn's: words of 2+ characters
OLD = [SKLEARN_TOKENS, "linear.tfidf.ngram_range=[1,1]", "linear.tfidf.min_df=1", "linear.tfidf.sublinear_tf=false",
       "linear.logreg.class_weight=none", "linear.logreg.C=1"]
WORD12 = [SKLEARN_TOKENS, "linear.tfidf.ngram_range=[1,2]", "linear.tfidf.min_df=2", "linear.tfidf.sublinear_tf=true", "linear.logreg.C=1"]
CANDIDATES = {
    "old": ("today's default: unigrams, min_df 1, raw tf, C = 1, no class weights (scikit-learn's defaults)", OLD),
    "A": ("word 1-2-grams, sublinear tf, min_df 2", WORD12 + ["linear.logreg.class_weight=none"]),
    "B": ("A + class_weight balanced", WORD12 + ["linear.logreg.class_weight=balanced"]),
    "C": ("char_wb 2-5-grams (instead of words), sublinear tf, min_df 2, balanced",
          ["linear.tfidf.analyzer=char_wb", "linear.tfidf.ngram_range=[2,5]", "linear.tfidf.min_df=2",
           "linear.tfidf.sublinear_tf=true", "linear.logreg.class_weight=balanced", "linear.logreg.C=1"]),
    "D": ("B + 3-fold CV search over C in {0.25, 1, 4} (warm-started; multi-label: selected on validation)",
          WORD12 + ["linear.logreg.class_weight=balanced", "linear.search.grid.C=[0.25,1,4]", "linear.search.cv=3"]),
    "E": ("word 1-3-grams, sublinear tf, min_df 2, balanced",
          [SKLEARN_TOKENS, "linear.tfidf.ngram_range=[1,3]", "linear.tfidf.min_df=2", "linear.tfidf.sublinear_tf=true",
           "linear.logreg.class_weight=balanced", "linear.logreg.C=1"]),
    "F": ("B with C = 2", [SKLEARN_TOKENS, "linear.tfidf.ngram_range=[1,2]", "linear.tfidf.min_df=2", "linear.tfidf.sublinear_tf=true",
                           "linear.logreg.class_weight=balanced", "linear.logreg.C=2"]),
    "I": ("F with words of any length and every punctuation mark as tokens (token_pattern `(?u)\\b\\w+\\b|[^\\w\\s]`)",
          ["linear.tfidf.ngram_range=[1,2]", "linear.tfidf.min_df=2", "linear.tfidf.sublinear_tf=true",
           "linear.logreg.class_weight=balanced", "linear.logreg.C=2", r"linear.tfidf.token_pattern='(?u)\b\w+\b|[^\w\s]'"]),
    "J": ("F with every punctuation mark as a token (token_pattern `(?u)\\b\\w\\w+\\b|[^\\w\\s]`)",
          ["linear.tfidf.ngram_range=[1,2]", "linear.tfidf.min_df=2", "linear.tfidf.sublinear_tf=true",
           "linear.logreg.class_weight=balanced", "linear.logreg.C=2", r"linear.tfidf.token_pattern='(?u)\b\w\w+\b|[^\w\s]'"]),
    "K": ("I + character 3-grams (char, across word boundaries, as ML.NET's FeaturizeText; min_df 2, sublinear; each block L2-normalised, scaled 1/√2)",
          ["linear.tfidf.ngram_range=[1,2]", "linear.tfidf.min_df=2", "linear.tfidf.sublinear_tf=true",
           "linear.logreg.class_weight=balanced", "linear.logreg.C=2", r"linear.tfidf.token_pattern='(?u)\b\w+\b|[^\w\s]'",
           "linear.tfidf.char_ngram_range=[3,3]", "linear.tfidf.char_analyzer=char", "linear.tfidf.char_min_df=2"]),
    "L": ("K with char_wb 3-grams (inside words only)",
          ["linear.tfidf.ngram_range=[1,2]", "linear.tfidf.min_df=2", "linear.tfidf.sublinear_tf=true",
           "linear.logreg.class_weight=balanced", "linear.logreg.C=2", r"linear.tfidf.token_pattern='(?u)\b\w+\b|[^\w\s]'",
           "linear.tfidf.char_ngram_range=[3,3]", "linear.tfidf.char_analyzer=char_wb", "linear.tfidf.char_min_df=2"]),
    "M": ("K with C = 4 (each block scaled by 1/√2 halves its features, so C doubles to keep the word block's regularisation I's)",
          ["linear.tfidf.ngram_range=[1,2]", "linear.tfidf.min_df=2", "linear.tfidf.sublinear_tf=true",
           "linear.logreg.class_weight=balanced", "linear.logreg.C=4", r"linear.tfidf.token_pattern='(?u)\b\w+\b|[^\w\s]'",
           "linear.tfidf.char_ngram_range=[3,3]", "linear.tfidf.char_analyzer=char", "linear.tfidf.char_min_df=2"]),
    "H": ("B with C = 4", [SKLEARN_TOKENS, "linear.tfidf.ngram_range=[1,2]", "linear.tfidf.min_df=2", "linear.tfidf.sublinear_tf=true",
                           "linear.logreg.class_weight=balanced", "linear.logreg.C=4"]),
}


def run(dataset, candidate, runs_dir):
    name = f"defaults-{dataset}-{candidate}"
    args = [CLI, "train", "--config", f"bench/defaults/datasets/{dataset}.yaml", "--name", name, "--runs-dir", runs_dir,
            "--no-report", "--overwrite"]
    for s in CANDIDATES[candidate][1]:
        args += ["--set", s]
    start, cpu0 = time.monotonic(), resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.run(args, capture_output=True, text=True)
    wall, cpu1 = time.monotonic() - start, resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu1.ru_utime - cpu0.ru_utime) + (cpu1.ru_stime - cpu0.ru_stime)
    if p.returncode != 0:
        return {"dataset": dataset, "candidate": candidate, "error": (p.stderr or p.stdout)[-2000:]}
    folder = os.path.join(runs_dir, name)
    info = json.load(open(os.path.join(folder, "run.json")))
    test = json.load(open(os.path.join(folder, "metrics", "test.json")))
    return {"dataset": dataset, "candidate": candidate, "macro_f1": test["macro_f1"], "n_test": test["n"],
            "train_seconds": info["timings"]["train_seconds"],
            "train_cpu_seconds": info["timings"].get("train_cpu_seconds"), "wall_seconds": wall, "process_cpu_seconds": cpu, "best": info.get("best"),
            "load": open("/proc/loadavg").read().split()[0]}


def table(path):
    """Markdown for docs/defaults.md: test macro-F1 with mean rank, then train seconds (CPU and wall) against the budget."""
    rows = [json.loads(l) for l in open(path) if l.strip()]
    cells = {}
    for r in rows:
        if "error" not in r:
            cells.setdefault((r["dataset"], r["candidate"]), []).append(r)
    datasets = [d for d in DATASETS if any(k[0] == d for k in cells)]
    cands = [c for c in CANDIDATES if any(k[1] == c for k in cells)]
    f1 = {k: v[0]["macro_f1"] for k, v in cells.items()}
    wall = {k: statistics.median(r["train_seconds"] for r in v) for k, v in cells.items()}
    cpu = {k: statistics.median(r["train_cpu_seconds"] for r in v) for k, v in cells.items() if all(r.get("train_cpu_seconds") is not None for r in v)}
    ranks = {}
    for d in datasets:
        present = [c for c in cands if (d, c) in f1]
        ordered = sorted(present, key=lambda c: -f1[(d, c)])
        for c in present:   # tied scores share the mean of their ranks
            tied = [i + 1 for i, o in enumerate(ordered) if f1[(d, o)] == f1[(d, c)]]
            ranks[(d, c)] = sum(tied) / len(tied)
    ratio = lambda m, d, c: m[(d, c)] / m[(d, "old")] if (d, c) in m and (d, "old") in m else float("nan")
    out = ["Test macro-F1 (rank among the candidates on that set; mean rank over the sets):", "",
           "| candidate | " + " | ".join(datasets) + " | mean rank | beats old on every set |",
           "|---|" + "---:|" * len(datasets) + "---:|:-:|"]
    for c in cands:
        cols = [f"{f1[(d, c)]:.4f} ({ranks[(d, c)]:g})" if (d, c) in f1 else "—" for d in datasets]
        beats = all((d, c) in f1 and f1[(d, c)] > f1[(d, "old")] for d in datasets)
        mean_rank = statistics.mean(ranks[(d, c)] for d in datasets if (d, c) in ranks)
        out.append(f"| **{c}** | " + " | ".join(cols) + f" | {mean_rank:.2f} | {'—' if c == 'old' else ('yes' if beats else 'no')} |")
    out += ["", "Train seconds, CPU (user + system, all threads; × today's default) / wall; budget: CPU ≤ 3× today's default on every set:", "",
            "| candidate | " + " | ".join(datasets) + " | within budget on every set |",
            "|---|" + "---:|" * len(datasets) + ":-:|"]
    for c in cands:
        cols, within = [], True
        for d in datasets:
            if (d, c) not in wall:
                cols.append("—"); within = False; continue
            r = ratio(cpu, d, c)
            within &= r <= 3.0
            cols.append(f"{cpu[(d, c)]:.2f} ({r:.1f}×) / {wall[(d, c)]:.2f}" if (d, c) in cpu else f"— / {wall[(d, c)]:.2f}")
        out.append(f"| **{c}** | " + " | ".join(cols) + f" | {'yes' if within else 'no'} |")
    out.append("")
    for c in cands:
        out.append(f"* **{c}**: {CANDIDATES[c][0]}")
    reps = [len(v) for v in cells.values()]
    loads = sorted(float(r["load"]) for v in cells.values() for r in v)
    out.append(f"\nSeconds are medians of {min(reps)}–{max(reps)} runs (run.json `timings.train_cpu_seconds` and `train_seconds`: TF-IDF fit, "
               f"search if any, final fit); F1 is deterministic. 1-minute load average during the runs: {loads[0]:.1f}–{loads[-1]:.1f}.")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--datasets", default=",".join(DATASETS))
    ap.add_argument("--candidates", default=",".join(CANDIDATES))
    ap.add_argument("--runs-dir", default="/tmp/classify-defaults-runs")
    ap.add_argument("--table")
    a = ap.parse_args()
    if a.table:
        print(table(a.table)); return
    for _ in range(a.repeat):
        for d in a.datasets.split(","):
            for c in a.candidates.split(","):
                r = run(d, c, a.runs_dir)
                print(json.dumps(r), flush=True)
                print(f"{d} {c}: {r.get('macro_f1', r.get('error'))} {r.get('train_seconds')}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
