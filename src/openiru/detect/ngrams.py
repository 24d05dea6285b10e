"""Vectorised character n-gram hashing over a batch of texts (numpy).

Both the near-duplicate matcher (character 5-gram shingles) and the classifier
(character 2- to 5-grams) need the n-grams of thousands of short texts per
second.  scikit-learn's analyzers and datasketch's ``update`` build every n-gram
as a Python string; here a batch of texts becomes one array of code points, and
each n-gram hash is a few whole-array operations, with windows that cross from
one text into the next masked out.  The hash is FNV-style mixing of the code
points (stable across processes and platforms).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

_SEP = "\x00"
_OFFSET = np.uint64(1469598103934665603)
_PRIME = np.uint64(1099511628211)
_MASK32 = np.uint64((1 << 32) - 1)


@dataclass(frozen=True, slots=True)
class BatchNgrams:
    """The n-gram hashes of a batch: ``text[i]`` owns ``hashes[bounds[i]:bounds[i + 1]]``."""

    hashes: np.ndarray  # uint64 (32-bit values)
    text_of: np.ndarray  # int64: which text each hash belongs to
    bounds: np.ndarray  # int64, len(texts) + 1


def batch_ngrams(
    texts: Sequence[str], sizes: Sequence[int], *, unique: bool, pad: bool = False, grouped: bool = True
) -> BatchNgrams:
    """Hashes of the character n-grams of each text, for every n in ``sizes``.

    ``unique`` keeps each hash once per text (sorted); otherwise every occurrence is
    kept (counts).  ``pad`` surrounds each text with spaces (word-boundary grams).
    A text shorter than the smallest n gives its whole text as one gram.
    ``grouped=False`` (with ``unique=False``) skips ordering the hashes by text when
    the caller groups them itself: ``text_of`` is then right but ``bounds`` is not.
    """
    n_texts = len(texts)
    if n_texts == 0:
        empty = np.zeros(0, dtype=np.uint64)
        return BatchNgrams(empty, np.zeros(0, dtype=np.int64), np.zeros(1, dtype=np.int64))
    smallest = min(sizes)
    prepared = [(" " + t + " " if pad else t) for t in texts]
    prepared = [t if len(t) >= smallest else t.ljust(smallest) if t else t for t in prepared]
    joined = _SEP.join(prepared) + _SEP
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).astype(np.uint64)
    is_sep = codes == 0
    seps_before = np.concatenate([[0], np.cumsum(is_sep)])  # separators in codes[:i]
    text_at = seps_before[:-1]  # which text position i belongs to
    all_hashes, all_owner = [], []
    total = len(codes)
    with np.errstate(over="ignore"):
        for n in sizes:
            m = total - n + 1
            if m <= 0:
                continue
            h = np.full(m, _OFFSET, dtype=np.uint64)
            for k in range(n):
                h = (h ^ codes[k : k + m]) * _PRIME
            h ^= h >> np.uint64(29)
            h ^= np.uint64(n) * np.uint64(0x9E3779B97F4A7C15)
            valid = seps_before[n : n + m] == seps_before[:m]  # no separator inside the window
            all_hashes.append((h & _MASK32)[valid])
            all_owner.append(text_at[:m][valid])
    hashes = np.concatenate(all_hashes) if all_hashes else np.zeros(0, dtype=np.uint64)
    owner = np.concatenate(all_owner).astype(np.int64) if all_owner else np.zeros(0, dtype=np.int64)
    if unique:
        keys = np.unique((owner.astype(np.uint64) << np.uint64(32)) | hashes)
        owner = (keys >> np.uint64(32)).astype(np.int64)
        hashes = keys & _MASK32
    elif len(all_owner) > 1 and grouped:  # one size alone is already in text order
        order = np.argsort(owner, kind="stable")
        owner, hashes = owner[order], hashes[order]
    bounds = np.searchsorted(owner, np.arange(n_texts + 1)).astype(np.int64)
    return BatchNgrams(hashes, owner, bounds)
