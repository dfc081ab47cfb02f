#!/usr/bin/env python3
"""Build the domain-adaptive MLM corpus of docs/pretraining.md ("Does domain-adaptive pretraining help?").

One text per line (UTF-8), from the bundled unlabelled text of three datasets, minus every text the fine-tuning
evaluation tests on:
  * tweets    ../shared/data/tweet-sentiment-extraction/train.csv (column text) minus the rows whose textID is in
              the test split of the fine-tuning runs (--tweet-test-ids: a run's splits/test_ids.csv, the stratified
              70/15/15 split `classify train` makes with seed 42), plus the Kaggle test.csv (never used here for
              evaluation);
  * GoEmotions data/goemotions/goemotions.csv minus split == test (the published test split);
  * AnnoMI    ../shared/data/annomi/AnnoMI-simple.csv, column utterance_text (all 9,699 utterances).
Texts are HTML-unescaped and whitespace-collapsed (what the fine-tuning configs' `cleaning: {html, whitespace}` does),
empty ones dropped, and exact duplicates removed (first occurrence kept). Any text equal to a test text of either
evaluation is dropped too, so a duplicate of a test tweet in train.csv cannot leak it. Python 3 stdlib only.

  python3 bench/pretrain/build_corpus.py --tweet-test-ids runs/dapt-tweets-linear/splits/test_ids.csv \
      -o runs/dapt-corpus.txt
"""
import argparse
import csv
import html
import re
import sys

WS = re.compile(r"\s+")


def clean(text):
    return WS.sub(" ", html.unescape(text or "")).strip()


def read_ids(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if rows and rows[0] and rows[0][0].lower() in ("id", "ids", "example_id"):
        rows = rows[1:]
    return {r[0] for r in rows if r}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", default="../shared/data")
    ap.add_argument("--goemotions", default="data/goemotions/goemotions.csv")
    ap.add_argument("--tweet-test-ids", required=True)
    ap.add_argument("-o", "--output", required=True)
    a = ap.parse_args()

    test_ids = read_ids(a.tweet_test_ids)
    sources = []  # (name, text)
    test_texts = set()

    with open(f"{a.shared}/tweet-sentiment-extraction/train.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    found = sum(1 for r in rows if r["textID"] in test_ids)
    if found != len(test_ids):
        sys.exit(f"{a.tweet_test_ids}: {len(test_ids)} ids, {found} found in train.csv")
    for r in rows:
        (test_texts.add(clean(r["text"])) if r["textID"] in test_ids else sources.append(("tweets", r["text"])))
    with open(f"{a.shared}/tweet-sentiment-extraction/test.csv", newline="", encoding="utf-8") as f:
        sources += [("tweets-kaggle-test", r["text"]) for r in csv.DictReader(f)]

    with open(a.goemotions, newline="", encoding="utf-8") as f:
        for r in csv.DictReader(f):
            (test_texts.add(clean(r["text"])) if r["split"] == "test" else sources.append(("goemotions", r["text"])))

    with open(f"{a.shared}/annomi/AnnoMI-simple.csv", newline="", encoding="utf-8") as f:
        sources += [("annomi", r["utterance_text"]) for r in csv.DictReader(f)]

    seen, kept, counts, dropped_test = set(), [], {}, 0
    for name, text in sources:
        t = clean(text)
        if not t or t in seen:
            continue
        if t in test_texts:
            dropped_test += 1
            continue
        seen.add(t)
        kept.append(t)
        counts[name] = counts.get(name, 0) + 1
    with open(a.output, "w", encoding="utf-8", newline="\n") as f:
        for t in kept:
            f.write(t + "\n")
    print(f"{a.output}: {len(kept)} texts {counts}; excluded {len(test_ids)} tweet test ids and the GoEmotions test "
          f"split ({len(test_texts)} distinct test texts; {dropped_test} other rows equal to one dropped)")


if __name__ == "__main__":
    main()
