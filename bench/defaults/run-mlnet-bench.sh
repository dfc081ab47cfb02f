#!/usr/bin/env bash
# Classify's zero-config default against ML.NET's default text classifier (FeaturizeText + SdcaMaximumEntropy,
# Microsoft.ML 5.0.1) on every bundled single-label set, in one script run, on exactly the same rows: Classify trains
# first (`classify train --config bench/defaults/datasets/<set>.yaml`, nothing else configured) and writes the split;
# bench/Classify.Bench.MlNet then reads the same data with Classify's loader and keeps the run's splits/train_ids.csv
# and test_ids.csv. The tools run one after the other, never concurrently, CLASSIFY_BENCH_REPEAT times (default 1),
# alternating; a dated section is appended to docs/benchmarks.md.
# CLASSIFY_BENCH_SEEDS (default 42) lists split seeds: each seed draws another stratified split (`--set seed=S`; both
# tools fit on its train rows and are scored on its test rows), and the table adds the mean over the seeds, so a
# difference of a few test rows on one split is not mistaken for a difference between the tools.
# Usage: nice -n 5 bench/defaults/run-mlnet-bench.sh [tweets,annomi,spam,tweeteval]
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$repo"
sets="${1:-tweets,annomi,spam,tweeteval}"
work="$(mktemp -d /tmp/classify-mlnet-bench.XXXXXX)"
dotnet build src/Classify.Cli -c Release -v quiet -nologo >/dev/null
dotnet build bench/Classify.Bench.MlNet -c Release --artifacts-path "$work/artifacts" -v quiet -nologo >/dev/null
python3 - "$work" "$sets" "${CLASSIFY_BENCH_REPEAT:-1}" "${CLASSIFY_BENCH_SEEDS:-42}" <<'PY'
import datetime, json, os, resource, statistics, subprocess, sys, time
work, sets, repeat, seeds = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), [int(x) for x in sys.argv[4].split()]
cli = "src/Classify.Cli/bin/Release/net10.0/classify"
mlnet = os.path.join(work, "artifacts/bin/Classify.Bench.MlNet/release/Classify.Bench.MlNet.dll")
def timed(args):
    c0, t0 = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic()
    p = subprocess.run(args, capture_output=True, text=True)
    c1, wall = resource.getrusage(resource.RUSAGE_CHILDREN), time.monotonic() - t0
    if p.returncode: sys.exit(f"{args[:3]} failed:\n{p.stderr[-3000:]}")
    return p.stdout, wall, (c1.ru_utime - c0.ru_utime) + (c1.ru_stime - c0.ru_stime)
def sh(cmd): return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout.strip()
load_before, started = open("/proc/loadavg").read().split()[:3], datetime.datetime.utcnow()
results = {s: {"classify": [], "mlnet": []} for s in sets}
per_seed = {s: {} for s in sets}      # set -> seed -> (Classify macro-F1, ML.NET macro-F1)
for seed in seeds:
    for _ in range(repeat):
        for s in sets:
            name = f"bench-{s}" if seed == seeds[0] else f"bench-{s}-seed{seed}"
            run = os.path.join(work, "runs", name)
            _, wall, cpu = timed([cli, "train", "--config", f"bench/defaults/datasets/{s}.yaml", "--name", name,
                                  "--runs-dir", os.path.join(work, "runs"), "--no-report", "--overwrite", "--set", f"seed={seed}"])
            info, test = json.load(open(os.path.join(run, "run.json"))), json.load(open(os.path.join(run, "metrics/test.json")))
            c = {"macro_f1": test["macro_f1"], "train_seconds": info["timings"]["train_seconds"], "seed": seed,
                 "process_wall": wall, "process_cpu": cpu, "n_train": info["split_sizes"]["train"], "n_test": test["n"]}
            out, wall, cpu = timed(["dotnet", mlnet, "--config", f"bench/defaults/datasets/{s}.yaml", "--run", run])
            r = json.loads(out.strip().splitlines()[-1]); r.update(process_wall=wall, process_cpu=cpu, seed=seed)
            if seed == seeds[0]:
                results[s]["classify"].append(c); results[s]["mlnet"].append(r)
            else:
                results[s].setdefault("other_seeds", []).append({"classify": c, "mlnet": r})
            per_seed[s][seed] = (c["macro_f1"], r["macro_f1"])
            print(s, seed, c["macro_f1"], r["macro_f1"], file=sys.stderr, flush=True)
load_after, finished = open("/proc/loadavg").read().split()[:3], datetime.datetime.utcnow()
json.dump(results, open(os.path.join(work, "results.json"), "w"), indent=1)
med = lambda xs, k: statistics.median(x[k] for x in xs)
cpu_model = sh("lscpu | sed -n 's/^Model name: *//p'")
flags = " ".join(f for f in ("avx2", "avx512f", "fma") if f in sh("lscpu | grep Flags").split())
ram = sh("free -g | awk '/Mem:/ {print $2}'")
lines = ["", f"## Zero-config default vs ML.NET's default text classifier ({started:%Y-%m-%d %H:%M}–{finished:%H:%M} UTC)", "",
    f"* Machine: {sh('nproc --all')} cores ({cpu_model}; flags include {flags}), {ram} GiB RAM, "
    f".NET {sh('dotnet --version')}. Load average (1/5/15 min) before {' '.join(load_before)}, after {' '.join(load_after)}: a shared machine.",
    "* Command: `nice -n 5 bench/defaults/run-mlnet-bench.sh` — per set, Classify's `train --config bench/defaults/datasets/<set>.yaml` "
    "(only the data described: the zero-config recipe of [defaults.md](defaults.md)), then `bench/Classify.Bench.MlNet` (Microsoft.ML 5.0.1: "
    "`MapValueToKey` → `FeaturizeText` → `SdcaMaximumEntropy()`, all defaults, `MLContext(seed: 42)`) on the same train and test rows "
    f"(the run's `splits/*_ids.csv`); one after the other, {repeat} run(s) each, alternating; medians. "
    f"Split seeds: {' '.join(map(str, seeds))} (`CLASSIFY_BENCH_SEEDS`).",
    "* Fit s: Classify's run.json `timings.train_seconds` (TF-IDF fit + logistic regression) and ML.NET's `pipeline.Fit` (featurizer + trainer), "
    "wall clock; process CPU s: user + system of the whole process (data loading, fit, evaluation) — on a loaded machine the fairer figure.", "",
    "| set | train / test rows | Classify macro-F1 | ML.NET macro-F1 | Δ F1 | Classify fit s | ML.NET fit s | fit ratio (ML.NET / Classify) | Classify process CPU s | ML.NET process CPU s | CPU ratio |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
for s in sets:
    c, m = results[s]["classify"], results[s]["mlnet"]
    cf, mf = c[0]["macro_f1"], m[0]["macro_f1"]
    lines.append(f"| {s} | {c[0]['n_train']:,} / {c[0]['n_test']:,} | {cf:.4f} | {mf:.4f} | {cf - mf:+.4f} | {med(c, 'train_seconds'):.2f} | "
                 f"{med(m, 'train_seconds'):.2f} | {med(m, 'train_seconds') / med(c, 'train_seconds'):.1f}× | {med(c, 'process_cpu'):.1f} | "
                 f"{med(m, 'process_cpu'):.1f} | {med(m, 'process_cpu') / med(c, 'process_cpu'):.1f}× |")
if len(seeds) > 1:
    lines += ["", f"Over {len(seeds)} stratified splits (seeds {', '.join(map(str, seeds))}; the first is the split of the table above), "
              "test macro-F1, mean (standard deviation), and on how many splits Classify's default scores higher:", "",
              "| set | Classify mean (sd) | ML.NET mean (sd) | Δ mean | Classify higher on | per split (Classify / ML.NET) |", "|---|---:|---:|---:|---:|---|"]
    for s in sets:
        pairs = [per_seed[s][seed] for seed in seeds]
        cs, ms = [p[0] for p in pairs], [p[1] for p in pairs]
        wins = sum(1 for a, b in pairs if a > b)
        lines.append(f"| {s} | {statistics.mean(cs):.4f} ({statistics.stdev(cs):.4f}) | {statistics.mean(ms):.4f} ({statistics.stdev(ms):.4f}) | "
                     f"{statistics.mean(cs) - statistics.mean(ms):+.4f} | {wins} of {len(pairs)} | "
                     + ", ".join(f"{a:.4f} / {b:.4f}" for a, b in pairs) + " |")
lines.append("")
lines.append("GoEmotions (multi-label) is not in this table: `SdcaMaximumEntropy` is single-label. Raw results: "
             "`results.json` in the work folder printed below.")
open("docs/benchmarks.md", "a").write("\n".join(lines) + "\n")
print("\n".join(lines)); print(f"work folder: {work}")
PY
