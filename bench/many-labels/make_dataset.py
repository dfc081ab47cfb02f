#!/usr/bin/env python3
"""Writes a synthetic many-label text classification CSV (id,text,label) for the many-labels benchmark.

Deterministic: the same arguments always write the same bytes. Each class has a few signature words (its own,
drawn from a shared pool, so a word may belong to two classes; a class is identified by its combination); a text
holds 2-5 of its class's signature words, 5-10 filler words common to every class and, with 10 % probability per
text, one signature word of another class (noise). Class sizes follow a mild Zipf law (exponent 0.5) with at least
`--min-per-class` rows, so a stratified 70/15/15 split puts every class in every split.

Usage: make_dataset.py OUT.csv [--rows 50000] [--classes 2000] [--seed 7]
"""
import argparse
import random


def pseudo_word(rng, syllables):
    consonants, vowels = "bcdfghjklmnprstvz", "aeiou"
    return "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(syllables))


def unique_words(rng, count, syllables, taken):
    words = []
    while len(words) < count:
        w = pseudo_word(rng, syllables)
        if w not in taken:
            taken.add(w)
            words.append(w)
    return words


def class_sizes(rows, classes, min_per_class, exponent):
    weights = [1.0 / (rank + 1) ** exponent for rank in range(classes)]
    spare = rows - min_per_class * classes
    if spare < 0:
        raise SystemExit(f"{rows} rows cannot give {classes} classes {min_per_class} rows each")
    total = sum(weights)
    raw = [spare * w / total for w in weights]
    sizes = [min_per_class + int(r) for r in raw]
    # Largest remainder, so the sizes add up to exactly `rows`.
    order = sorted(range(classes), key=lambda k: raw[k] - int(raw[k]), reverse=True)
    for k in order[: rows - sum(sizes)]:
        sizes[k] += 1
    return sizes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--rows", type=int, default=50000)
    ap.add_argument("--classes", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--signature-words", type=int, default=3, help="signature words per class")
    ap.add_argument("--pool", type=int, default=3000, help="size of the signature-word pool")
    ap.add_argument("--fillers", type=int, default=1000, help="filler words shared by all classes")
    ap.add_argument("--min-per-class", type=int, default=10)
    args = ap.parse_args()

    rng = random.Random(args.seed)
    taken = set()
    pool = unique_words(rng, args.pool, 3, taken)
    fillers = unique_words(rng, args.fillers, 2, taken)
    names = [f"class_{k:04d}" for k in range(args.classes)]
    signatures, seen = [], set()
    for _ in range(args.classes):
        while True:
            combo = tuple(sorted(rng.sample(pool, args.signature_words)))
            if combo not in seen:
                seen.add(combo)
                signatures.append(combo)
                break
    sizes = class_sizes(args.rows, args.classes, args.min_per_class, 0.5)
    labels = [k for k, n in enumerate(sizes) for _ in range(n)]
    rng.shuffle(labels)

    with open(args.out, "w", encoding="utf-8", newline="") as f:
        f.write("id,text,label\n")
        for i, k in enumerate(labels):
            words = [rng.choice(signatures[k]) for _ in range(rng.randint(2, 5))]
            words += [rng.choice(fillers) for _ in range(rng.randint(5, 10))]
            if rng.random() < 0.10:
                words.append(rng.choice(signatures[rng.randrange(args.classes)]))
            rng.shuffle(words)
            f.write(f"r{i:06d},{' '.join(words)},{names[k]}\n")


if __name__ == "__main__":
    main()
