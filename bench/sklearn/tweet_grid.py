#!/usr/bin/python3
"""scikit-learn side of bench/run-linear-bench.sh: the tweet-sentiment TF-IDF + LogisticRegression grid search.

Reads the cleaned splits the C# bench writes (CSV: id,text,label,split; text already cleaned as the tweet notebook
does: URLs and mentions removed, lowercased, stop words removed, Porter-stemmed), so both sides see identical input.
Times TF-IDF fit + GridSearchCV (5-fold stratified, shuffled, seed 42, f1_macro, n_jobs=2) + refit + test scoring
(wall clock, and CPU seconds of this process plus its joblib workers) and prints one JSON object. Needs Debian's python3-sklearn (1.2.1): run with /usr/bin/python3.
"""
import argparse
import csv
import json
import os
import resource
import time

from sklearn import __version__ as sklearn_version
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold


def cpu_seconds():
    """User + system CPU seconds of this process and of its finished (waited-for) children, e.g. joblib workers."""
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def mean_fit_time(search, penalty):
    results = search.cv_results_
    times = [t for t, p in zip(results["mean_fit_time"], results["param_penalty"]) if p == penalty]
    return sum(times) / len(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cleaned", required=True, help="CSV with id,text,label,split written by Classify.Bench.Linear")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--grid-csv", help="optional path for cv_results_ as CSV")
    args = parser.parse_args()

    splits = {"train": ([], []), "val": ([], []), "test": ([], [])}
    with open(args.cleaned, newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            texts, labels = splits[row["split"]]
            texts.append(row["text"])
            labels.append(row["label"])
    x_train_text, y_train = splits["train"]
    x_test_text, y_test = splits["test"]

    start = time.perf_counter()
    cpu_start = cpu_seconds()
    vectorizer = TfidfVectorizer(ngram_range=(1, 3), max_features=100000, min_df=2, max_df=0.95, sublinear_tf=True)
    x_train = vectorizer.fit_transform(x_train_text)
    tfidf_seconds = time.perf_counter() - start
    grid = {
        "C": [0.1, 0.5, 1, 2, 4, 8],
        "class_weight": [None, "balanced", {"negative": 1.2, "neutral": 0.8, "positive": 1.2}],
        "penalty": ["l1", "l2"],
    }
    search = GridSearchCV(
        LogisticRegression(solver="liblinear"),
        grid,
        cv=StratifiedKFold(n_splits=5, shuffle=True, random_state=42),
        scoring="f1_macro",
        n_jobs=args.n_jobs,
    )
    search.fit(x_train, y_train)
    search_seconds = time.perf_counter() - start - tfidf_seconds
    predicted = search.best_estimator_.predict(vectorizer.transform(x_test_text))
    test_f1 = f1_score(y_test, predicted, average="macro")
    wall = time.perf_counter() - start
    # GridSearchCV's loky workers outlive the search: shut them down so that their CPU time is counted in RUSAGE_CHILDREN.
    from joblib.externals.loky import get_reusable_executor
    get_reusable_executor().shutdown(wait=True)
    cpu = cpu_seconds() - cpu_start

    if args.grid_csv:
        results = search.cv_results_
        with open(args.grid_csv, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            keys = ["rank_test_score", "param_C", "param_class_weight", "param_penalty", "mean_test_score", "std_test_score"]
            keys += [f"split{i}_test_score" for i in range(5)] + ["mean_fit_time"]
            writer.writerow(keys)
            for i in sorted(range(len(results["params"])), key=lambda i: (results["rank_test_score"][i], i)):
                writer.writerow([results[k][i] for k in keys])

    print(json.dumps({
        "tool": "scikit-learn " + sklearn_version,
        "mode": "one-vs-rest, solver='liblinear'",
        "n_jobs": args.n_jobs,
        "cores": os.cpu_count(),
        "n_train": len(y_train),
        "n_test": len(y_test),
        "n_features": x_train.shape[1],
        "candidates": len(search.cv_results_["params"]),
        "best_params": str(search.best_params_),
        "best_cv_macro_f1": search.best_score_,
        "test_macro_f1": test_f1,
        "tfidf_seconds": tfidf_seconds,
        "search_seconds": search_seconds,
        "wall_seconds": wall,
        "cpu_seconds": cpu,
        "mean_fit_seconds_l1": mean_fit_time(search, "l1"),
        "mean_fit_seconds_l2": mean_fit_time(search, "l2"),
    }, indent=2))


if __name__ == "__main__":
    main()
