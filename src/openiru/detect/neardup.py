"""Near-duplicates of known texts: MinHash LSH over character shingles of normalised text.

Texts are normalised (:mod:`openiru.detect.normalise`), cut into character
5-grams, and indexed with datasketch's ``MinHashLSH``.  A candidate the LSH
returns is verified on the exact shingle sets; its similarity is the larger of
the Jaccard index and the share of the known text found in the post
(containment), so a known text quoted inside a longer post, lightly edited,
re-ordered or padded still scores high, while a post that only shares a few
phrases does not.

The shingle hashes and MinHash values are computed with numpy here rather than
with ``MinHash.update`` (which hashes each shingle in Python with SHA-1): the
values use datasketch's own permutations and its "legacy" formula, so they are ordinary
datasketch MinHashes, about fifty times faster to make.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash, MinHashLSH

from .normalise import normalise

SHINGLE = 5
NUM_PERM = 64
_MERSENNE = np.uint64((1 << 61) - 1)
_MAX_HASH = np.uint64((1 << 32) - 1)
#: Posts much longer than a known text are compared by Jaccard only, not containment.
CONTAINMENT_MAX_RATIO = 4.0


@dataclass(frozen=True, slots=True)
class KnownText:
    id: int
    text: str
    item: str | None = None
    label: str | None = None
    bank: str = "texts"
    min_similarity: float = 0.8


@dataclass(frozen=True, slots=True)
class TextMatch:
    known: KnownText
    similarity: float


def shingles(normalised: str) -> np.ndarray:
    """Sorted unique 32-bit hashes of the character 5-grams of a normalised text."""
    if len(normalised) < SHINGLE:
        if not normalised:
            return np.zeros(0, dtype=np.uint64)
        normalised = normalised.ljust(SHINGLE)
    codes = np.frombuffer(normalised.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    n = len(codes) - SHINGLE + 1
    h = np.full(n, np.uint64(1469598103934665603), dtype=np.uint64)
    prime = np.uint64(1099511628211)
    with np.errstate(over="ignore"):
        for k in range(SHINGLE):  # FNV-style mixing of the five code points
            h = (h ^ codes[k:k + n]) * prime
        h ^= h >> np.uint64(29)
    return np.unique(h & _MAX_HASH)


class KnownTextIndex:
    """Known texts, queried with a post's text."""

    def __init__(self, texts: Iterable[KnownText], lsh_threshold: float = 0.3) -> None:
        template = MinHash(num_perm=NUM_PERM, seed=1, scheme="legacy")
        self._permutations = template.permutations
        a, b = template.permutations
        self._a = a.astype(np.uint64)[:, None]
        self._b = b.astype(np.uint64)[:, None]
        self._lsh = MinHashLSH(threshold=lsh_threshold, num_perm=NUM_PERM)
        self._known: dict[int, tuple[KnownText, np.ndarray]] = {}
        for known in texts:
            sh = shingles(normalise(known.text))
            if not len(sh) or known.id in self._known:
                continue
            self._known[known.id] = (known, sh)
            self._lsh.insert(known.id, self._minhash(sh), check_duplication=False)

    def __len__(self) -> int:
        return len(self._known)

    def _minhash(self, sh: np.ndarray) -> MinHash:
        with np.errstate(over="ignore"):
            values = ((self._a * sh[None, :] + self._b) % _MERSENNE) & _MAX_HASH
        return MinHash(seed=1, hashvalues=values.min(axis=1), permutations=self._permutations,
                       scheme="legacy")

    def find(self, normalised: str) -> list[TextMatch]:
        """Known texts similar to a normalised post text, most similar first."""
        if not self._known or len(normalised) < SHINGLE * 3:
            return []
        sh = shingles(normalised)
        found: list[TextMatch] = []
        for key in self._lsh.query(self._minhash(sh)):
            known, ksh = self._known[key]
            score = similarity(ksh, sh)
            if score >= known.min_similarity:
                found.append(TextMatch(known, round(score, 4)))
        found.sort(key=lambda m: -m.similarity)
        return found


def similarity(known: np.ndarray, post: np.ndarray) -> float:
    """max(Jaccard, containment of the known text in the post) on shingle sets."""
    if not len(known) or not len(post):
        return 0.0
    common = len(np.intersect1d(known, post, assume_unique=True))
    jaccard = common / (len(known) + len(post) - common)
    if len(post) <= CONTAINMENT_MAX_RATIO * len(known):
        return max(jaccard, common / len(known))
    return jaccard
