"""Optuna 3.1 TPE on the tweet linear space: best values and sampler overhead per trial.

Usage: /usr/bin/python3 bench/tune/optuna_tpe_overhead.py [--trials 40] [--seeds 5] [--objective standin|branin]
       [--history-json FILE]

Overhead is everything outside the objective: study.ask(), the five trial.suggest_* calls (where Optuna's independent
TPE samples) and study.tell(). The stand-in objective is the formula of Classify's StudySimulation.TweetLinearStandIn
(tests/Classify.Tuning.Tests/Samplers/StudySimulation.cs) so both sides optimise the same surface; for the acceptance run
the lead swaps in the real objective (Classify's linear engine on the tweet data, via the CLI).
"""
import argparse
import json
import math
import statistics
import time
import warnings

import optuna

warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)


def tweet_space(trial):
    return {
        "linear.ngram_range": trial.suggest_categorical("linear.ngram_range", ["1,1", "1,2", "1,3"]),
        "linear.min_df": trial.suggest_int("linear.min_df", 1, 5),
        "linear.sublinear_tf": trial.suggest_categorical("linear.sublinear_tf", [True, False]),
        "linear.C": trial.suggest_float("linear.C", 0.01, 100, log=True),
        "linear.class_weight": trial.suggest_categorical("linear.class_weight", [None, "balanced"]),
    }


def tweet_standin(p):
    max_n = int(p["linear.ngram_range"].split(",")[1])
    log_c = math.log10(p["linear.C"])
    return (0.80
            - 0.04 * (log_c - math.log10(3)) ** 2
            - 0.005 * (p["linear.min_df"] - 2) ** 2
            + (0.02 if max_n == 2 else 0.012 if max_n == 3 else 0.0)
            + (0.01 if p["linear.sublinear_tf"] else 0.0)
            + (0.006 if p["linear.class_weight"] == "balanced" else 0.0))


def branin_space(trial):
    return {"x1": trial.suggest_float("x1", -5, 10), "x2": trial.suggest_float("x2", 0, 15)}


def branin(p):
    x1, x2 = p["x1"], p["x2"]
    b, c, t = 5.1 / (4 * math.pi ** 2), 5 / math.pi, 1 / (8 * math.pi)
    return (x2 - b * x1 * x1 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


OBJECTIVES = {"standin": (tweet_space, tweet_standin, "maximize"), "branin": (branin_space, branin, "minimize")}


def run(seed, n_trials, objective):
    space, f, direction = OBJECTIVES[objective]
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
    ap.add_argument("--objective", choices=sorted(OBJECTIVES), default="standin")
    ap.add_argument("--json", help="also write the results to this file")
    args = ap.parse_args()
    bests, overheads, per_trial = [], [], [[] for _ in range(args.trials)]
    for seed in range(args.seeds):
        best, overhead = run(seed, args.trials, args.objective)
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
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"optuna": optuna.__version__, "objective": args.objective, "trials": args.trials, "bests": bests,
                       "overhead_ms": ms, "per_trial_ms": per_trial}, fh)


if __name__ == "__main__":
    main()
