"""A trainable text classifier: character n-gram TF-IDF and a calibrated linear model.

Character n-grams (2 to 5, over normalised text padded with spaces) work in any
language and script with no tokeniser, and survive the obfuscations the
normaliser does not undo.  They are hashed into 2**20 features by
:class:`CharNgramHasher`, the vectorised equivalent of scikit-learn's
``HashingVectorizer(analyzer="char")``, whose Python-level analyzer would cap a
scan at a few thousand posts per second; scikit-learn does the rest
(``TfidfTransformer``, class-balanced ``LogisticRegression`` wrapped in
``CalibratedClassifierCV`` so that the output is a probability an analyst can
read).  Evaluation is stratified k-fold cross-validation, reported per language.
Every public function takes raw texts and normalises them; a
:class:`TrainedModel` also takes already normalised texts (the scan has them).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import joblib
import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from .ngrams import batch_ngrams
from .normalise import normalise
from .sparse_kernel import csr_counts

ALGORITHM = "hashed-char(2,5)x2^20+tfidf+logreg(balanced)+sigmoid-calibration"
MIN_PER_CLASS = 4
N_FEATURES = 1 << 20


class CharNgramHasher(BaseEstimator, TransformerMixin):  # type: ignore[misc]
    """Normalised texts -> sparse counts of hashed character n-grams (stateless)."""

    def __init__(self, ngram_range: tuple[int, int] = (2, 5), n_features: int = N_FEATURES) -> None:
        self.ngram_range = ngram_range
        self.n_features = n_features

    def fit(self, texts: Sequence[str], y: Any = None) -> CharNgramHasher:
        return self

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        texts = list(texts)
        low, high = self.ngram_range
        grams = batch_ngrams(texts, tuple(range(low, high + 1)), unique=False, pad=True, grouped=False)
        columns = (grams.hashes % np.uint64(self.n_features)).astype(np.int64)
        # the canonical matrix scipy's (data, (rows, cols)) + sum_duplicates gives, built per post
        indptr, indices, data = csr_counts(grams.text_of, columns, len(texts))
        matrix = sp.csr_matrix((data, indices, indptr), shape=(len(texts), self.n_features))
        matrix.has_canonical_format = True
        return matrix


def make_pipeline(calibration_folds: int = 3) -> Pipeline:
    linear = LogisticRegression(C=4.0, max_iter=2000, class_weight="balanced")
    return Pipeline(
        [
            ("ngrams", CharNgramHasher()),
            ("tfidf", TfidfTransformer(sublinear_tf=True)),
            ("model", CalibratedClassifierCV(linear, cv=calibration_folds, method="sigmoid")),
        ]
    )


@dataclass
class Evaluation:
    folds: int
    n_samples: int
    per_language: dict[str, dict[str, float]] = field(default_factory=dict)
    overall: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "folds": self.folds,
            "n_samples": self.n_samples,
            "overall": self.overall,
            "per_language": self.per_language,
        }


def _scores(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    p, r, f, _ = precision_recall_fscore_support(y_true, y_pred, average="binary", zero_division=0)
    return {
        "precision": round(float(p), 4),
        "recall": round(float(r), 4),
        "f1": round(float(f), 4),
        "n": int(len(y_true)),
        "positives": int(y_true.sum()),
    }


def check_training_data(labels: Sequence[int] | np.ndarray) -> int:
    """The number of folds the data allows; ValueError when there is too little."""
    y = np.asarray(labels)
    pos, neg = int((y == 1).sum()), int((y == 0).sum())
    if min(pos, neg) < MIN_PER_CLASS:
        raise ValueError(
            f"need at least {MIN_PER_CLASS} confirmed and {MIN_PER_CLASS} rejected decisions "
            f"(have {pos} confirmed, {neg} rejected)"
        )
    return min(5, pos, neg)


def cross_validate(
    texts: Sequence[str],
    labels: Sequence[int],
    languages: Sequence[str | None],
    folds: int = 5,
    seed: int = 0,
) -> Evaluation:
    """Stratified k-fold predictions, scored overall and per language."""
    y = np.asarray(labels, dtype=np.int64)
    folds = min(folds, check_training_data(y))
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    calibration = max(2, min(3, folds - 1))
    predicted = cross_val_predict(
        make_pipeline(calibration), [normalise(t) for t in texts], y, cv=splitter, method="predict_proba"
    )[:, 1]
    y_pred = (predicted >= 0.5).astype(np.int64)
    ev = Evaluation(folds, len(y), overall=_scores(y, y_pred))
    langs = np.asarray([lang or "und" for lang in languages])
    for lang in sorted(set(langs.tolist())):
        mask = langs == lang
        ev.per_language[lang] = _scores(y[mask], y_pred[mask])
    return ev


def train(texts: Sequence[str], labels: Sequence[int]) -> Pipeline:
    """A fitted pipeline over *normalised* texts (raw texts in, normalised here)."""
    y = np.asarray(labels, dtype=np.int64)
    folds = check_training_data(y)
    model = make_pipeline(max(2, min(3, folds)))
    model.fit([normalise(t) for t in texts], y)
    return model


def dumps(model: Pipeline) -> bytes:
    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return buf.getvalue()


def loads(blob: bytes) -> Pipeline:
    """A model stored by :func:`dumps` (only ever from OpenIRU's own database)."""
    return joblib.load(io.BytesIO(blob))


@dataclass
class TrainedModel:
    version: int
    pipeline: Pipeline

    def predict(self, texts: list[str]) -> np.ndarray:
        """Probability of the positive class ("confirmed") per raw text."""
        return self.predict_normalised([normalise(t) for t in texts])

    def predict_normalised(self, normalised: list[str]) -> np.ndarray:
        """The same for texts already normalised (what the scan holds)."""
        positive: np.ndarray = self.pipeline.predict_proba(normalised)[:, 1]
        return positive
