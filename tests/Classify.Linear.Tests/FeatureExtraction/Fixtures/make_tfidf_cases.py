"""Regenerates tfidf_cases.json and numpy_argsort.json with Debian's scikit-learn 1.2.1 / NumPy 1.24.2:
    /usr/bin/python3 make_tfidf_cases.py
The 30 training documents are those of /work/shared/fixtures/sklearn/tfidf.json plus Unicode edge cases."""
import json, sys
import numpy as np, sklearn
from sklearn.feature_extraction.text import TfidfVectorizer

base = json.load(open(sys.argv[1] if len(sys.argv) > 1 else "../../../../../shared/fixtures/sklearn/tfidf.json"))
docs = base["documents"] + [
    "Café DÉJÀ vu, naïve façade",
    "ΟΔΟΣ ΣΟΦΙΑΣ; ΣΑΣ Σ",
    "İstanbul IŞIK ışık",
    "x_y 123 4½ ²³ under_score foo_bar",
    "emoji 😀😀 test 𝐀𝐁 math",
    "tab\tand  spaces\n\nnew\u00a0line\u2028sep\x1cfs",
    "Cafe\u0301 NFD pin\u0303ata",
    "ǅemal ǈ title ﬁne ligature",
    "a b c",
    "",
    "the the the the great great food",
]
new_docs = base["new_documents"] + ["Ça va? ΣΟΦΙΑΣ 😀😀", "", "  the   food  "]
cases = [
    ("word_default", {}),
    ("word_1_3_min2_max095_sublinear", dict(ngram_range=(1, 3), min_df=2, max_df=0.95, sublinear_tf=True)),
    ("word_1_2_max_features_40", dict(ngram_range=(1, 2), max_features=40)),
    ("word_1_2_english_binary_l1", dict(ngram_range=(1, 2), stop_words="english", binary=True, norm="l1")),
    ("word_unicode_accents_no_idf", dict(strip_accents="unicode", use_idf=False)),
    ("word_ascii_accents_no_smooth_no_norm", dict(strip_accents="ascii", smooth_idf=False, norm=None)),
    ("char_2_4", dict(analyzer="char", ngram_range=(2, 4))),
    ("char_1_3_max_features_150", dict(analyzer="char", ngram_range=(1, 3), max_features=150, sublinear_tf=True)),
    ("char_wb_2_5_min_df_fraction", dict(analyzer="char_wb", ngram_range=(2, 5), min_df=0.1)),
    ("char_wb_1_3", dict(analyzer="char_wb", ngram_range=(1, 3))),
    ("char_wb_4_6_short_words", dict(analyzer="char_wb", ngram_range=(4, 6))),
    ("word_single_letters_no_lowercase", dict(token_pattern=r"(?u)\b\w+\b", lowercase=False)),
    ("word_group_pattern", dict(token_pattern=r"(?u)\b(\w\w+)\b", ngram_range=(2, 2))),
    ("word_int_min3_max10", dict(min_df=3, max_df=10, ngram_range=(1, 2))),
    ("word_fixed_vocabulary", dict(vocabulary=["great", "food", "the food", "missing term", "café"])),
]

def csr(m):
    m = m.tocsr(); m.sort_indices()
    return {"shape": list(m.shape), "indptr": m.indptr.tolist(), "indices": m.indices.tolist(), "data": m.data.tolist()}

out = {"versions": {"scikit-learn": sklearn.__version__, "numpy": np.__version__}, "documents": docs, "new_documents": new_docs, "cases": []}
for name, params in cases:
    v = TfidfVectorizer(**params)
    X = v.fit_transform(docs)
    p = {k: (list(val) if isinstance(val, tuple) else val) for k, val in params.items()}
    out["cases"].append({
        "name": name, "params": p,
        "feature_names": v.get_feature_names_out().tolist(),
        "idf": v.idf_.tolist() if v.use_idf else None,
        "stop_words": sorted(getattr(v, "stop_words_", set())),
        "X_train": csr(X), "X_new": csr(v.transform(new_docs)),
    })
json.dump(out, open("tfidf_cases.json", "w"), ensure_ascii=False)

rng = np.random.RandomState(7)
arrays = [rng.randint(1, 6, size=n).astype(np.float64) * -1 for n in (5, 17, 40, 300, 2500)]
arrays.append(-np.sort(rng.randint(1, 4, size=600)).astype(np.float64))  # presorted with ties
json.dump({"numpy": np.__version__, "cases": [{"values": a.tolist(), "argsort": np.argsort(a).tolist()} for a in arrays]},
          open("numpy_argsort.json", "w"))
