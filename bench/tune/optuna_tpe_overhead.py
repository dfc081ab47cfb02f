"""Optuna 3.1 TPE on the tweet linear space of examples/tweets-tune.yaml: best values and sampler overhead per trial.

Usage: /usr/bin/python3 bench/tune/optuna_tpe_overhead.py [--trials 40] [--seeds 5] [--objective tweets|branin]
       [--server CMD] [--json FILE]

The objective is Classify's own (the `classify tune` trial: TF-IDF + logistic regression trained on the 70 % split and
scored by macro-F1 on the 15 % validation split), served by `Classify.Bench.Tune serve-objective` over a pipe, so both
samplers optimise exactly the same function. Overhead is everything outside the objective: study.ask(), the five
trial.suggest_* calls (where Optuna's independent TPE samples) and study.tell(). Branin is a continuous check with no data.
"""
import argparse
import json
import math
import statistics
import subprocess
import sys
import time
import warnings

import optuna

warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)


NGRAMS = {"1,1": [1, 1], "1,2": [1, 2], "1,3": [1, 3]}


def tweet_space(trial):
    """The space of examples/tweets-tune.yaml, with its config keys as parameter names."""
    return {
        "linear.tfidf.ngram_range": NGRAMS[trial.suggest_categorical("linear.tfidf.ngram_range", list(NGRAMS))],
        "linear.tfidf.min_df": trial.suggest_int("linear.tfidf.min_df", 1, 3),
        "linear.tfidf.sublinear_tf": trial.suggest_categorical("linear.tfidf.sublinear_tf", [True, False]),
        "linear.logreg.C": trial.suggest_categorical("linear.logreg.C", [0.1, 0.5, 1.0, 2.0, 4.0, 8.0]),
        "linear.logreg.class_weight": trial.suggest_categorical("linear.logreg.class_weight", ["none", "balanced"]),
    }


class ObjectiveServer:
    """Classify's trial objective in a child process: parameters as a JSON line in, {"value", "seconds"} out."""

    def __init__(self, command):
        self.proc = subprocess.Popen(command, shell=True, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        ready = self.proc.stdout.readline()
        if '"ready"' not in ready:
            raise RuntimeError(f"objective server did not start: {ready!r}")

    def __call__(self, params):
        self.proc.stdin.write(json.dumps(params) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("objective server exited")
        return json.loads(line)["value"]

    def close(self):
        self.proc.stdin.close()
        self.proc.wait()


def branin_space(trial):
    return {"x1": trial.suggest_float("x1", -5, 10), "x2": trial.suggest_float("x2", 0, 15)}


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


OBJECTIVES = {"tweets": (tweet_space, "maximize"), "branin": (branin_space, "minimize")}


def run(seed, n_trials, objective, f):
    space, direction = OBJECTIVES[objective]
    study = optuna.create_study(direction=direction, sampler=optuna.samplers.TPESampler(seed=seed))
    overhead = []
    for _ in range(n_trials):
        t0 = time.perf_counter()
        trial = study.ask()
        params = space(trial)
        t1 = time.perf_counter()
        value = f(params)
        t2 = time.perf_counter()
        study.tell(trial, value)
        t3 = time.perf_counter()
        overhead.append((t1 - t0) + (t3 - t2))
    return study.best_value, overhead


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--trials", type=int, default=40)
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--objective", choices=sorted(OBJECTIVES), default="tweets")
    ap.add_argument("--server", default="dotnet bench/Classify.Bench.Tune/bin/Release/net10.0/Classify.Bench.Tune.dll "
                                        "serve-objective --config examples/tweets-tune.yaml",
                    help="the command serving the tweets objective")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    f = ObjectiveServer(args.server) if args.objective == "tweets" else branin
    bests, overheads, per_trial = [], [], [[] for _ in range(args.trials)]
    for seed in range(args.seeds):
        best, overhead = run(seed, args.trials, args.objective, f)
        print(f"seed {seed}: best {best:.5f}", file=sys.stderr, flush=True)
        bests.append(best)
        overheads.extend(overhead)
        for i, o in enumerate(overhead):
            per_trial[i].append(o * 1000)
    ms = [o * 1000 for o in overheads]
    print(f"optuna {optuna.__version__} TPE, {args.objective}, {args.trials} trials x {args.seeds} seeds")
    print(f"best: mean {statistics.mean(bests):.5f}, sd {statistics.stdev(bests) if len(bests) > 1 else 0:.5f} ({', '.join(f'{b:.5f}' for b in bests)})")
    # Medians over seeds per trial index: robust to a descheduled process on a shared machine.
    print(f"overhead per trial (ms): mean {statistics.mean(ms):.3f}, median {statistics.median(ms):.3f}, "
          f"median at trial 1 {statistics.median(per_trial[0]):.3f}, trial 11 {statistics.median(per_trial[min(10, args.trials - 1)]):.3f}, "
          f"trial {args.trials} {statistics.median(per_trial[-1]):.3f}")
    if args.objective == "tweets":
        f.close()
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"optuna": optuna.__version__, "objective": args.objective, "trials": args.trials, "bests": bests,
                       "overhead_ms": ms, "per_trial_ms": per_trial}, fh)


if __name__ == "__main__":
    main()
