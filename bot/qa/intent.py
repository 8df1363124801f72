"""What a question resembles, learned from phrasings: a linear model over word and character n-grams.

The lexical scores (matcher.py) reward shared rare words; they cannot learn that "nonton kampanye" and
"hadir kampanye cuma dengerin" are one situation, or that "cuti", "gaji" and "daftar CPNS" are other
business. This model is trained on every rule's phrasings (titles, questions, keywords, English), and on
out-of-scope civil-service questions (knowledge/out_of_scope.yaml) as one more class, `OUT`. Features are
word unigrams and bigrams of the normalised tokens plus character 3-5-grams inside words (typos, affixes
Sastrawi misses, regional spellings). A linear SVM (one-vs-rest) trains in a couple of seconds for the
shipped rules, so it is rebuilt with the matcher whenever the rules change.

One-vs-rest over every example costs labels × examples, which grows with the square of the knowledge base:
at 20 times today's rules it would take the better part of an hour. Beyond `FULL_TRAINING_LABELS`, each
label's classifier is trained on its own examples, those of its nearest labels (by the cosine of their mean
feature vectors: the rules it could be confused with), the out-of-scope examples and a fixed sample of the
rest, which costs labels × a constant.

Its scores are margins, not probabilities: the matcher turns them, with the lexical scores, into a
calibrated confidence (bot/qa/matcher.py, `Calibration`).
"""

from __future__ import annotations

import itertools
import math
from collections import Counter
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize
from sklearn.svm import LinearSVC

OUT = "__out__"  # the class of questions the knowledge base does not cover
SVM_C = 1.0
CHAR_MIN, CHAR_MAX = 3, 5
FULL_TRAINING_LABELS = 400  # up to this many labels, every classifier sees every example (exact one-vs-rest)
NEIGHBOURS = 24  # beyond, a label's classifier sees the examples of its this many nearest labels...
SAMPLED_EXAMPLES = 1500  # ...and this many of the rest, drawn once with a fixed seed (same rules, same model)


class IntentModel:
    """Built from (normalised text, label) pairs; `scores` is pure and safe to call from any task."""

    def __init__(self, examples: Iterable[tuple[str, str]]) -> None:
        texts, labels = zip(*examples, strict=True)
        self._words = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, token_pattern=r"\S+")
        self._chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(CHAR_MIN, CHAR_MAX), sublinear_tf=True)
        features = sp.hstack([self._words.fit_transform(texts), self._chars.fit_transform(texts)]).tocsr()
        self.labels: tuple[str, ...] = tuple(sorted(set(labels)))
        if len(self.labels) <= FULL_TRAINING_LABELS:
            svm = LinearSVC(C=SVM_C).fit(features, labels)
            coef, intercept = svm.coef_, svm.intercept_
            if coef.shape[0] == 1:  # two labels (one rule and "out"): sklearn keeps one margin, for the second
                coef, intercept = np.vstack([-coef, coef]), np.concatenate([-intercept, intercept])
        else:
            coef, intercept = _one_vs_nearest(features, [self.labels.index(label) for label in labels], self.labels)
        self._coef = np.ascontiguousarray(coef.T, dtype=np.float32)  # features × labels
        self._intercept = intercept.astype(np.float32)
        # scoring one question through sklearn's transform costs milliseconds; the same arithmetic by hand
        # (`_features`) costs a few dozen microseconds
        self._word_index = self._words.vocabulary_
        self._char_index = {gram: i + len(self._word_index) for gram, i in self._chars.vocabulary_.items()}
        self._idf = np.concatenate([self._words.idf_, self._chars.idf_]).astype(np.float32)

    @property
    def weight_bytes(self) -> int:
        return self._coef.nbytes

    def scores(self, text: str) -> np.ndarray:
        """One margin per label (in `labels` order) for a normalised text; higher is closer."""
        indices, values = self._features(text)
        if not indices:
            return self._intercept.copy()
        return values @ self._coef[indices] + self._intercept

    def _features(self, text: str) -> tuple[list[int], np.ndarray]:
        """What sklearn's two TfidfVectorizers give for `text` (sublinear tf × idf, each part L2-normalised)."""
        words = text.lower().split()
        grams = Counter(words) + Counter(f"{a} {b}" for a, b in itertools.pairwise(words))
        word_part = _weighted(grams, self._word_index, self._idf)
        char_part = _weighted(Counter(_char_wb(words)), self._char_index, self._idf)
        indices = word_part[0] + char_part[0]
        return indices, np.array(word_part[1] + char_part[1], dtype=np.float32)


def _one_vs_nearest(features: sp.csr_matrix, y: list[int], labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """One binary SVM per label, each on the examples it could be confused with (see the module docstring)."""
    y_arr = np.asarray(y)
    n, count = features.shape[0], len(labels)
    members = [np.flatnonzero(y_arr == k) for k in range(count)]
    onehot = sp.csr_matrix((np.ones(n), (y_arr, np.arange(n))), shape=(count, n))
    centroids = normalize(onehot @ features)
    similarity = (centroids @ centroids.T).toarray()
    always = members[labels.index(OUT)] if OUT in labels else np.array([], dtype=int)
    sample = np.random.default_rng(0).choice(n, size=min(n, SAMPLED_EXAMPLES), replace=False)
    coef = np.zeros((count, features.shape[1]), dtype=np.float32)
    intercept = np.zeros(count, dtype=np.float32)
    for k in range(count):
        near = np.argpartition(-similarity[k], min(NEIGHBOURS, count - 1))[: NEIGHBOURS + 1]
        rows = np.unique(np.concatenate([members[k], always, sample, *(members[j] for j in near)]))
        svm = LinearSVC(C=SVM_C).fit(features[rows], y_arr[rows] == k)
        coef[k], intercept[k] = svm.coef_[0], svm.intercept_[0]
    return coef, intercept


def _weighted(counts: Counter[str], index: dict[str, int], idf: np.ndarray) -> tuple[list[int], list[float]]:
    known = [(index[g], n) for g, n in counts.items() if g in index]
    weights = [(1.0 + math.log(n)) * float(idf[i]) for i, n in known]
    norm = math.sqrt(sum(w * w for w in weights)) or 1.0
    return [i for i, _ in known], [w / norm for w in weights]


def _char_wb(words: list[str]) -> list[str]:
    """sklearn's `char_wb` 3-5-grams: each word padded with one space on each side, n-grams inside it."""
    grams = []
    for word in words:
        padded = f" {word} "
        for n in range(CHAR_MIN, CHAR_MAX + 1):
            if len(padded) <= n:  # the whole padded word, once, and no longer n-grams
                grams.append(padded)
                break
            grams.extend(padded[i : i + n] for i in range(len(padded) - n + 1))
    return grams
