"""Near-duplicates of known texts: MinHash LSH over character shingles of normalised text.

Texts are normalised (:mod:`openiru.detect.normalise`), cut into character
5-grams, and indexed with datasketch's ``MinHashLSH``.  A candidate the LSH
returns is verified on the exact shingle sets; its similarity is the larger of
the Jaccard index and the share of the known text found in the post
(containment), so a known text quoted inside a longer post, lightly edited,
re-ordered or padded still scores high, while a post that only shares a few
phrases does not.

The shingle hashes and MinHash values are computed with numpy over whole
batches of texts (:mod:`openiru.detect.ngrams`) rather than with
``MinHash.update`` (which hashes each shingle in Python with SHA-1): the values
use datasketch's own permutations and its "legacy" formula, so they are ordinary
datasketch MinHashes, made far faster.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from datasketch import MinHash, MinHashLSH

from .ngrams import batch_ngrams
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
    """Sorted unique 32-bit hashes of the character 5-grams of one normalised text."""
    return batch_ngrams([normalised], (SHINGLE,), unique=True).hashes


#: Texts per MinHash computation: bounds the (permutations x shingles) temporary.
CHUNK_TEXTS = 400


class KnownTextIndex:
    """Known texts, queried with posts' texts (one at a time or in batches)."""

    def __init__(self, texts: Iterable[KnownText], lsh_threshold: float = 0.3) -> None:
        template = MinHash(num_perm=NUM_PERM, seed=1, scheme="legacy")
        self._permutations = template.permutations
        a, b = template.permutations
        self._a = a.astype(np.uint64)[:, None]
        self._b = b.astype(np.uint64)[:, None]
        self._lsh = MinHashLSH(threshold=lsh_threshold, num_perm=NUM_PERM)
        self._known: dict[int, tuple[KnownText, np.ndarray]] = {}
        unique: dict[int, KnownText] = {}
        for known in texts:
            unique.setdefault(known.id, known)
        items = list(unique.values())
        for shingle_sets, signatures, chunk in self._signatures([normalise(k.text) for k in items], items):
            for known, sh, sig in zip(chunk, shingle_sets, signatures, strict=True):
                if sig is None:
                    continue
                self._known[known.id] = (known, sh)
                self._lsh.insert(known.id, self._as_minhash(sig), check_duplication=False)

    def __len__(self) -> int:
        return len(self._known)

    def _as_minhash(self, values: np.ndarray) -> MinHash:
        return MinHash(seed=1, hashvalues=values, permutations=self._permutations, scheme="legacy")

    def _signatures(self, normalised: Sequence[str], owners: Sequence[Any]
                    ) -> Iterator[tuple[list[np.ndarray], list[np.ndarray | None], Sequence[Any]]]:
        """Per chunk of texts: shingle sets, MinHash signatures (None for texts without shingles)."""
        for start in range(0, len(normalised), CHUNK_TEXTS):
            texts = normalised[start:start + CHUNK_TEXTS]
            grams = batch_ngrams(texts, (SHINGLE,), unique=True)
            sets = [grams.hashes[grams.bounds[i]:grams.bounds[i + 1]] for i in range(len(texts))]
            signatures: list[np.ndarray | None] = [None] * len(texts)
            if len(grams.hashes):
                with np.errstate(over="ignore"):
                    values = ((self._a * grams.hashes[None, :] + self._b) % _MERSENNE) & _MAX_HASH
                nonempty = np.nonzero(np.diff(grams.bounds) > 0)[0]
                minima = np.minimum.reduceat(values, grams.bounds[nonempty], axis=1)
                for column, i in enumerate(nonempty.tolist()):
                    signatures[i] = minima[:, column]
            yield sets, signatures, owners[start:start + CHUNK_TEXTS]

    def find(self, normalised: str) -> list[TextMatch]:
        """Known texts similar to a normalised post text, most similar first."""
        return self.find_batch([normalised])[0]

    def find_batch(self, normalised: Sequence[str]) -> list[list[TextMatch]]:
        """:meth:`find` for many texts at once (vectorised shingling and MinHash)."""
        results: list[list[TextMatch]] = [[] for _ in normalised]
        if not self._known:
            return results
        todo = [i for i, text in enumerate(normalised) if len(text) >= SHINGLE * 3]
        texts = [normalised[i] for i in todo]
        for sets, signatures, owners in self._signatures(texts, todo):
            for position, sh, sig in zip(owners, sets, signatures, strict=True):
                if sig is None:
                    continue
                found = results[position]
                for key in self._lsh.query(self._as_minhash(sig)):
                    known, ksh = self._known[key]
                    score = similarity(ksh, sh)
                    if score >= known.min_similarity:
                        found.append(TextMatch(known, round(score, 4)))
                found.sort(key=lambda m: -m.similarity)
        return results


def similarity(known: np.ndarray, post: np.ndarray) -> float:
    """max(Jaccard, containment of the known text in the post) on shingle sets."""
    if not len(known) or not len(post):
        return 0.0
    common = len(np.intersect1d(known, post, assume_unique=True))
    jaccard = common / (len(known) + len(post) - common)
    if len(post) <= CONTAINMENT_MAX_RATIO * len(known):
        return max(jaccard, common / len(known))
    return jaccard
