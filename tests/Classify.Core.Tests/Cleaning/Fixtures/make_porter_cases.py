"""Regenerates porter_nltk.tsv with Debian's NLTK 3.8 (python3-nltk): /usr/bin/python3 make_porter_cases.py
Columns: word, PorterStemmer() (NLTK_EXTENSIONS), PorterStemmer(mode=ORIGINAL_ALGORITHM).
Words: Porter's paper examples, then a deterministic sample of the tweet-sentiment-extraction vocabulary."""
import csv, random, re, sys
from nltk.stem.porter import PorterStemmer

paper = """caresses ponies ties caress cats feed agreed plastered bled motoring sing conflated troubled sized hopping
tanned falling hissing fizzed failing filing happy sky relational conditional rational valenci hesitanci digitizer
conformabli radicalli differentli vileli analogousli vietnamization predication operator feudalism decisiveness
hopefulness callousness formaliti sensitiviti sensibiliti triplicate formative formalize electriciti electrical hopeful
goodness revival allowance inference airliner gyroscopic adjustable defensible irritant replacement adjustment dependent
adoption homologou communism activate angulariti homologous effective bowdlerize probate rate cease controll roll
generalization generalizations oscillators oscillator dying lying tying skies news innings dies died spied flies cried
enjoy enjoyment say by is was this as geology archaeology fully hopefully generously running ran Skies Dying ÉTÉ""".split()
path = sys.argv[1] if len(sys.argv) > 1 else "../../../../../shared/data/tweet-sentiment-extraction/train.csv"
words = set()
with open(path, newline="", encoding="utf-8") as f:
    for row in csv.DictReader(f):
        words.update(re.findall(r"[A-Za-z']+", row["text"] or ""))
sample = sorted(random.Random(42).sample(sorted(words), 3000))
nltk, orig = PorterStemmer(), PorterStemmer(mode=PorterStemmer.ORIGINAL_ALGORITHM)
with open("porter_nltk.tsv", "w", encoding="utf-8", newline="\n") as out:
    for w in dict.fromkeys(paper + sample):
        out.write(f"{w}\t{nltk.stem(w)}\t{orig.stem(w)}\n")
