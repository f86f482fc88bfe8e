"""The learned half of the safety screen: hashed n-grams and two linear heads.

Features, over `medtui.safety.normalize`d text: scikit-learn HashingVectorizer n-grams — character
n-grams inside word boundaries (robust to typos, digits for letters, accents and compounds, and
language-agnostic) plus word unigrams and bigrams — weighted by sublinear TF-IDF (the IDF learned in
training) and L2-normalized. (Hand-written cue lexicons were tried beside them and dropped: with
prompts from several human authors in training they lowered the score on an author left out.)
The model is only weights: a harmful-vs-benign logistic regression (the score) and a per-category
logistic regression (which harm it is), trained by `python -m medtui.safety_data.train` from the
files in data/safety/ with a fixed seed and stored, compressed, in medtui/safety_model.npz (no
pickle: arrays and a JSON header only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

MODEL_PATH = Path(__file__).with_name("safety_model.npz")

# What the features are; stored in the weights file so a model is never read with other features.
FEATURES = {"char_ngrams": [2, 5], "word_ngrams": [1, 2], "char_bits": 18, "word_bits": 17}


def vectorizers(spec: dict = FEATURES):
    return _vectorizers(json.dumps(spec, sort_keys=True))


@lru_cache(maxsize=4)
def _vectorizers(spec_json: str):
    from sklearn.feature_extraction.text import HashingVectorizer

    spec = json.loads(spec_json)
    common = {"alternate_sign": False, "norm": None, "lowercase": False, "dtype": np.float32}
    char = HashingVectorizer(analyzer="char_wb", ngram_range=tuple(spec["char_ngrams"]),
                             n_features=2 ** spec["char_bits"], **common)
    word = HashingVectorizer(analyzer="word", ngram_range=tuple(spec["word_ngrams"]), token_pattern=r"\b\w+\b",
                             n_features=2 ** spec["word_bits"], **common)
    return char, word


def hashed_counts(texts: list[str], spec: dict = FEATURES):
    """N-gram counts for raw texts, normalized here the way the rules read them."""
    from scipy.sparse import hstack

    from medtui.safety import normalize

    norm = [normalize(t) for t in texts]
    char, word = vectorizers(spec)
    return hstack([char.transform(norm), word.transform(norm)], format="csr", dtype=np.float32)


def features(counts, idf: np.ndarray):
    """The rows the heads read: sublinear TF-IDF n-grams, L2-normalized."""
    from scipy.sparse import csr_matrix

    x = counts.copy()
    x.data = (1.0 + np.log(x.data)) * idf[x.indices]
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return csr_matrix(x.multiply(1.0 / norms[:, None]), dtype=np.float32)


def hash_width(spec: dict = FEATURES) -> int:
    return 2 ** spec["char_bits"] + 2 ** spec["word_bits"]


@dataclass(frozen=True)
class Scores:
    harmful: np.ndarray        # P(harmful) per text
    category: list[str]         # most likely harm category per text


class SafetyModel:
    """The weights of both heads, expanded to dense vectors for a fast sparse product."""

    def __init__(self, path: Path = MODEL_PATH):
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            columns = data["columns"]
            harm_w = data["harm_w"].astype(np.float32)
            cat_w = data["cat_w"].astype(np.float32)
            idf = data["idf"].astype(np.float32)
            self.harm_b = float(data["harm_b"])
            self.cat_b = data["cat_b"].astype(np.float32)
        self.spec = header["features"]
        self.categories: list[str] = header["categories"]
        self.threshold: float = header["threshold"]
        self.header = header
        if set(self.spec) != set(FEATURES):
            raise ValueError(f"{path} was trained with other features ({sorted(self.spec)}); retrain it with "
                             "`python -m medtui.safety_data.train`")
        width = hash_width(self.spec)
        self.idf = np.full(width, header["default_idf"], np.float32)
        self.idf[columns] = idf
        self.harm_w = np.zeros(width, np.float32)
        self.harm_w[columns] = harm_w
        self.cat_w = np.zeros((width, len(self.categories)), np.float32)
        self.cat_w[columns] = cat_w.T

    def score(self, texts: list[str]) -> Scores:
        x = features(hashed_counts(texts, self.spec), self.idf)
        logits = x @ self.harm_w + self.harm_b
        harmful = 1.0 / (1.0 + np.exp(-logits))
        cat = x @ self.cat_w + self.cat_b
        return Scores(harmful, [self.categories[i] for i in np.asarray(cat).argmax(axis=1)])


@lru_cache(maxsize=1)
def load_model(path: Path = MODEL_PATH) -> SafetyModel:
    return SafetyModel(path)


def save_model(path: Path, header: dict, harm_w: np.ndarray, harm_b: float, cat_w: np.ndarray,
               cat_b: np.ndarray, idf: np.ndarray) -> int:
    """Write the heads and the IDF of every feature column a weight uses (the rest read as unseen:
    `default_idf`). Returns the number of columns kept. Written to a temporary file and renamed."""
    keep = np.flatnonzero((harm_w != 0) | (cat_w != 0).any(axis=0))
    tmp = path.with_name(path.name + ".tmp.npz")
    np.savez_compressed(
        tmp, header=np.array(json.dumps(header, sort_keys=True)), columns=keep.astype(np.int32),
        idf=idf[keep].astype(np.float32),
        harm_w=harm_w[keep].astype(np.float16), harm_b=np.array(harm_b, np.float32),
        cat_w=cat_w[:, keep].astype(np.float16), cat_b=cat_b.astype(np.float32),
    )
    tmp.replace(path)
    return len(keep)
