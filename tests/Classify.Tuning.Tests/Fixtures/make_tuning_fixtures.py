"""Parity fixtures for Classify.Tuning's samplers and pruners, computed with Optuna 3.1 (Debian python3-optuna).

Run from anywhere: /usr/bin/python3 tests/Classify.Tuning.Tests/Fixtures/make_tuning_fixtures.py
Writes optuna_parity.json beside this script; the C# tests read it, so they need no Python.
"""
import json
import math
import os
import warnings

import numpy as np
import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.samplers._tpe import _truncnorm as truncnorm
from optuna.samplers._tpe.parzen_estimator import _ParzenEstimator, _ParzenEstimatorParameters
from optuna.samplers._tpe.sampler import _get_observation_pairs, _split_observation_pairs, default_gamma, default_weights
from optuna.trial import TrialState, create_trial

warnings.simplefilter("ignore")
optuna.logging.set_verbosity(optuna.logging.ERROR)

def nan_to_none(xs):
    return [None if (isinstance(x, float) and math.isnan(x)) else x for x in xs]


def dist_json(d):
    if isinstance(d, CategoricalDistribution):
        return {"type": "choice", "choices": list(d.choices)}
    if isinstance(d, IntDistribution):
        return {"type": "int", "low": d.low, "high": d.high, "step": d.step, "log": d.log}
    return {"type": "float", "low": d.low, "high": d.high, "step": d.step, "log": d.log}


def parzen_cases(rng):
    cases = []
    dists = [
        FloatDistribution(-5.0, 5.0),
        FloatDistribution(0.01, 100.0, log=True),
        FloatDistribution(0.0, 1.0, step=0.1),
        IntDistribution(1, 5),
        IntDistribution(0, 20, step=4),
        IntDistribution(1, 1000, log=True),
        CategoricalDistribution(["a", "b", "c"]),
    ]
    for d in dists:
        for n in (0, 1, 2, 5, 30):
            for consider_prior, prior_weight, endpoints, clip in ((True, 1.0, False, True), (True, 2.5, True, False), (False, 1.0, False, True)):
                if n == 0 and not consider_prior:
                    continue
                if isinstance(d, CategoricalDistribution):
                    obs = rng.randint(0, len(d.choices), size=n).astype(float)
                else:
                    # Ties are kept for small n (numpy's argsort is an insertion sort below 17 elements, stable like
                    # ours); for n = 30 the values are distinct, since numpy's introsort may order equal centres otherwise.
                    obs = np.asarray([draw(d) for _ in range(n)], dtype=float)
                    if n >= 16:
                        if len(range_values(d)) < n:
                            continue
                        while len(set(obs.tolist())) < n:
                            obs = np.asarray([draw(d) for _ in range(n)], dtype=float)
                params = _ParzenEstimatorParameters(consider_prior, prior_weight, clip, endpoints, default_weights, False)
                pe = _ParzenEstimator({"x": obs}, {"x": d}, params)
                if isinstance(d, CategoricalDistribution):
                    points = np.arange(len(d.choices))
                else:
                    points = np.asarray(sorted({draw(d) for _ in range(8)} | {d.low, d.high}), dtype=float)
                logpdf = pe.log_pdf({"x": points})
                case = {
                    "distribution": dist_json(d),
                    "observations": obs.tolist(),
                    "consider_prior": consider_prior,
                    "prior_weight": prior_weight,
                    "consider_endpoints": endpoints,
                    "consider_magic_clip": clip,
                    "weights": pe._weights.tolist(),
                    "points": points.astype(float).tolist(),
                    "log_pdf": logpdf.tolist(),
                }
                if isinstance(d, CategoricalDistribution):
                    case["categorical_weights"] = pe._categorical_weights["x"].tolist()
                else:
                    case["mus"] = pe._mus["x"].tolist()
                    case["sigmas"] = pe._sigmas["x"].tolist()
                    case["low"] = float(pe._low["x"])
                    case["high"] = float(pe._high["x"])
                cases.append(case)
    return cases


def range_values(d):
    if isinstance(d, IntDistribution):
        return range(d.low, d.high + 1, d.step)
    if isinstance(d, FloatDistribution) and d.step is not None:
        return range(int(round((d.high - d.low) / d.step)) + 1)
    return range(10**9)


# Observations and test points are drawn by Optuna's own RandomSampler, seeded once so the fixture is reproducible.
_draw_sampler = optuna.samplers.RandomSampler(seed=7)


def draw(d):
    return float(_draw_sampler.sample_independent(None, None, "x", d))


def truncnorm_cases(rng):
    rows = []
    for a, b in ((-1.0, 1.0), (-3.0, 0.5), (0.2, 4.0), (-30.0, -25.0), (25.0, 40.0), (-0.5, 60.0), (-100.0, 1.0), (-8.0, 9.0)):
        for q in (1e-9, 0.001, 0.1, 0.5, 0.9, 0.999, 1 - 1e-9):
            rows.append({"q": q, "a": a, "b": b, "ppf": float(truncnorm.ppf(np.asarray([q]), a, b)[0])})
    mass = []
    for a, b in ((-1.0, 1.0), (-3.0, 0.5), (0.2, 4.0), (-30.0, -25.0), (25.0, 40.0), (-40.0, -39.9), (-0.1, 0.1), (-100.0, 100.0)):
        mass.append({"a": a, "b": b, "log_mass": float(truncnorm._log_gauss_mass(np.asarray([a]), np.asarray([b]))[0])})
    log_ndtr = [{"x": x, "log_ndtr": float(truncnorm._log_ndtr_single(x))} for x in (-50.0, -25.0, -20.5, -10.0, -1.0, 0.0, 0.7, 3.0, 7.0, 12.0)]
    return {"ppf": rows, "log_gauss_mass": mass, "log_ndtr": log_ndtr}


def split_cases(rng):
    cases = []
    for direction in ("minimize", "maximize"):
        for n_trials in (12, 40):
            study = optuna.create_study(direction=direction)
            trials = []
            d = FloatDistribution(0.0, 1.0)
            for number in range(n_trials):
                kind = rng.choice(["complete", "complete", "complete", "pruned", "pruned_empty", "running", "fail"], p=[0.4, 0.1, 0.1, 0.25, 0.05, 0.05, 0.05])
                x = float(rng.rand())
                value = float(np.round(rng.rand(), 2))  # rounded, so ties exercise the stable sort
                inter = {}
                if kind == "pruned":
                    steps = int(rng.randint(1, 5))
                    inter = {s: float(np.round(rng.rand(), 2)) for s in range(steps)}
                state = {"complete": TrialState.COMPLETE, "pruned": TrialState.PRUNED, "pruned_empty": TrialState.PRUNED,
                         "running": TrialState.RUNNING, "fail": TrialState.FAIL}[kind]
                kwargs = dict(state=state, params={"x": x}, distributions={"x": d}, intermediate_values=inter)
                if state == TrialState.COMPLETE:
                    kwargs["value"] = value
                study.add_trial(create_trial(**kwargs))
                trials.append({"number": number, "state": kind, "value": value if state == TrialState.COMPLETE else None,
                               "intermediate_values": {str(k): v for k, v in inter.items()}, "x": x})
            values, scores, violations = _get_observation_pairs(study, ["x"], False, False)
            n = len(scores)
            below, above = _split_observation_pairs(scores, default_gamma(n), violations)
            numbers = [t.number for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.PRUNED))]
            cases.append({"direction": direction, "trials": trials, "n": n, "gamma": default_gamma(n),
                          "below": [numbers[i] for i in below], "above": [numbers[i] for i in above]})
    return cases


def simulate(pruner, direction, curves, seed_first=False):
    study = optuna.create_study(direction=direction, pruner=pruner, sampler=optuna.samplers.RandomSampler(seed=0))
    pruned_at = []
    if seed_first:
        # With min_resource='auto' Optuna records no rung values until a trial has completed, so the trials run before
        # that never compete; Classify derives every trial's rung values from its reports. The first trial is therefore
        # added completed with the rung values Classify derives, and the comparison covers the rung logic itself.
        first = curves[0]
        min_resource = max(first[-1][0] // 100, 1)
        eta = pruner._reduction_factor
        attrs, rung = {}, 0
        for step, value in first:
            while step >= min_resource * eta ** (pruner._min_early_stopping_rate + rung):
                attrs[f"completed_rung_{rung}"] = value
                rung += 1
        study.add_trial(create_trial(state=TrialState.COMPLETE, value=first[-1][1],
                                     intermediate_values=dict(first), system_attrs=attrs))
        pruned_at.append(None)
        curves = curves[1:]
    for curve in curves:
        trial = study.ask()
        at = None
        for step, value in curve:
            trial.report(float("nan") if value is None else value, step)
            if trial.should_prune():
                at = step
                break
        if at is None:
            last = curve[-1][1]
            study.tell(trial, float("nan") if last is None else last)
        else:
            study.tell(trial, state=TrialState.PRUNED)
        pruned_at.append(at)
    return pruned_at


def make_curves(rng, n_trials, steps, nan_rate=0.0, gaps=False):
    curves = []
    for _ in range(n_trials):
        level = rng.rand()
        slope = rng.rand() * 0.05
        curve = []
        for s in range(steps):
            if gaps and rng.rand() < 0.3:
                continue
            v = float(np.round(level + slope * s + rng.randn() * 0.02, 4))
            if rng.rand() < nan_rate:
                v = None
            curve.append((s, v))
        if not curve:
            curve.append((steps - 1, float(np.round(level, 4))))
        curves.append(curve)
    return curves


def pruner_cases(rng):
    cases = []
    median_settings = [dict(), dict(n_startup_trials=2, n_warmup_steps=3, interval_steps=2), dict(n_startup_trials=3, n_min_trials=4)]
    sh_settings = [dict(), dict(reduction_factor=2), dict(min_resource=2, reduction_factor=3, min_early_stopping_rate=1),
                   dict(min_resource=1, reduction_factor=2, bootstrap_count=2)]
    for direction in ("minimize", "maximize"):
        for i, settings in enumerate(median_settings):
            curves = make_curves(rng, 30, 12, nan_rate=0.02 if i == 0 else 0.0, gaps=(i == 1))
            cases.append({"pruner": "median", "settings": settings, "direction": direction,
                          "curves": [[[s, v] for s, v in c] for c in curves],
                          "pruned_at": simulate(optuna.pruners.MedianPruner(**settings), direction, curves)})
        for i, settings in enumerate(sh_settings):
            curves = make_curves(rng, 30, 20, nan_rate=0.01 if i == 0 else 0.0, gaps=(i == 2))
            seed_first = "min_resource" not in settings
            if seed_first:
                curves[0] = [(s, 0.5 if v is None else v) for s, v in curves[0]]
            cases.append({"pruner": "successive_halving", "settings": settings, "direction": direction, "seed_first": seed_first,
                          "curves": [[[s, v] for s, v in c] for c in curves],
                          "pruned_at": simulate(optuna.pruners.SuccessiveHalvingPruner(**settings), direction, curves, seed_first)})
    return cases


def tpe_proposal_cases(rng, n_seeds=2000):
    """Optuna's TPE proposal distribution (over sampler seeds) for fixed histories: the sampler's whole kernel."""
    cases = []
    branin_space = {"x1": FloatDistribution(-5.0, 10.0), "x2": FloatDistribution(0.0, 15.0)}
    tweet_space = {
        "ngram": CategoricalDistribution(["1,1", "1,2", "1,3"]),
        "min_df": IntDistribution(1, 5),
        "sublinear": CategoricalDistribution([True, False]),
        "C": FloatDistribution(0.01, 100.0, log=True),
        "alpha": FloatDistribution(0.0, 1.0, step=0.1),
    }

    def branin(p):
        x1, x2 = p["x1"], p["x2"]
        return (x2 - 5.1 / (4 * math.pi ** 2) * x1 * x1 + 5 / math.pi * x1 - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x1) + 10

    def tweet(p):
        return (-(math.log10(p["C"]) - 0.5) ** 2 - 0.1 * (p["min_df"] - 2) ** 2 + 0.3 * (p["ngram"] == "1,2")
                + 0.2 * p["sublinear"] - (p["alpha"] - 0.3) ** 2)

    for name, space, f, direction, n in (("branin", branin_space, branin, "minimize", 30), ("tweet", tweet_space, tweet, "maximize", 14)):
        study = optuna.create_study(direction=direction)
        trials = []
        for number in range(n):
            params = {k: _draw_sampler.sample_independent(None, None, k, d) for k, d in space.items()}
            value = f(params)
            if number % 7 == 3:  # pruned, with a partial curve ending below the final value
                inter = {s: value - 0.5 * (3 - s) for s in range(int(number % 3) + 1)}
                study.add_trial(create_trial(state=TrialState.PRUNED, params=params, distributions=space, intermediate_values=inter))
                trials.append({"number": number, "state": "pruned", "params": params, "value": None,
                               "intermediate_values": {str(k): v for k, v in inter.items()}})
            else:
                study.add_trial(create_trial(params=params, distributions=space, value=value))
                trials.append({"number": number, "state": "complete", "params": params, "value": value, "intermediate_values": {}})
        trial = study.ask()
        frozen = study._storage.get_trial(trial._trial_id)
        summary = {}
        for k, d in space.items():
            xs = [optuna.samplers.TPESampler(seed=s).sample_independent(study, frozen, k, d) for s in range(n_seeds)]
            if isinstance(d, CategoricalDistribution):
                summary[k] = {"frequencies": [sum(1 for x in xs if x == c) / n_seeds for c in d.choices]}
            elif isinstance(d, IntDistribution):
                summary[k] = {"frequencies": [sum(1 for x in xs if x == v) / n_seeds for v in range(d.low, d.high + 1, d.step)]}
            elif d.step is not None:
                grid = [d.low + i * d.step for i in range(int(round((d.high - d.low) / d.step)) + 1)]
                summary[k] = {"frequencies": [sum(1 for x in xs if abs(x - v) < 1e-9) / n_seeds for v in grid]}
            else:
                summary[k] = {"quantiles": np.quantile(np.asarray(xs, dtype=float), np.linspace(0.05, 0.95, 19)).tolist()}
        cases.append({"name": name, "direction": direction, "space": {k: dist_json(d) for k, d in space.items()},
                      "trials": trials, "seeds": n_seeds, "proposals": summary})
    return cases


def main():
    rng = np.random.RandomState(20261204)
    out = {
        "optuna_version": optuna.__version__,
        "note": "generated by make_tuning_fixtures.py",
        "parzen": parzen_cases(rng),
        "truncnorm": truncnorm_cases(rng),
        "split": split_cases(rng),
        "pruners": pruner_cases(rng),
        "tpe_proposals": tpe_proposal_cases(rng),
    }
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optuna_parity.json")
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"), allow_nan=False)
    print(f"wrote {path}: {len(out['parzen'])} Parzen cases, {len(out['split'])} splits, {len(out['pruners'])} pruner runs")


if __name__ == "__main__":
    main()
