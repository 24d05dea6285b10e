"""Near-duplicates of known texts: MinHash LSH over character shingles of normalised text.

Texts are normalised (:mod:`openiru.detect.normalise`), cut into character
5-grams, and indexed with MinHash LSH (datasketch's MinHash and banding).  A candidate the LSH
returns is verified on the exact shingle sets; its similarity is the larger of
the Jaccard index and the share of the known text found in the post
(containment), so a known text quoted inside a longer post, lightly edited,
re-ordered or padded still scores high, while a post that only shares a few
phrases does not.

Shingles, MinHash signatures and band keys come from the project's one near-duplicate engine
(:mod:`openiru.detect.minhash`, shared with the graph's clusters) rather than from
``MinHash.update`` (which hashes each shingle in Python with SHA-1): the values use datasketch's
own permutations and its "legacy" formula, so they are ordinary datasketch MinHashes, made far
faster.  The LSH look-up is vectorised as well (see :class:`KnownTextIndex`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from . import minhash
from .minhash import NUM_PERM, SEED, band_keys, char_shingles, lsh_bands, permutations
from .neardup_kernel import band_candidates, common_counts, unique_runs
from .ngrams import BatchNgrams
from .normalise import normalise

if TYPE_CHECKING:
    from datasketch import MinHash

SHINGLE = 5
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
    return char_shingles([normalised], SHINGLE, unique=True).hashes


#: Texts per MinHash computation (bounds the shingle arrays of one batch).
CHUNK_TEXTS = 4000


class KnownTextIndex:
    """Known texts, queried with posts' texts (one at a time or in batches).

    The LSH has datasketch's banding for ``lsh_threshold`` (``MinHashLSH``'s own
    choice of ``b`` bands of ``r`` rows), but its tables are sorted arrays of band
    keys searched with numpy for a whole batch of posts at once: datasketch's
    ``query`` costs a Python dictionary look-up and a byte swap per band per post,
    more than the rest of the text scan.  A candidate is a known text with at least
    one band exactly equal to the post's (the same candidates datasketch returns),
    then verified on the exact shingle sets.
    """

    def __init__(self, texts: Iterable[KnownText], lsh_threshold: float = 0.3) -> None:
        self._a, self._b = permutations(NUM_PERM, SEED)
        self._permutations = (self._a, self._b)
        self.bands, self.rows = lsh_bands(lsh_threshold, NUM_PERM)
        unique: dict[int, KnownText] = {}
        for known in texts:
            unique.setdefault(known.id, known)
        items = list(unique.values())
        known_list: list[KnownText] = []
        sets: list[np.ndarray] = []
        signatures: list[np.ndarray] = []
        for grams, sigs, nonempty, chunk in self._signatures([normalise(k.text) for k in items], items):
            for row, i in enumerate(nonempty.tolist()):
                known_list.append(chunk[i])
                sets.append(_shingle_set(grams, i))
                signatures.append(sigs[row])
        self._known = known_list
        self._sets = sets
        # every known text's shingle set end to end, for verifying many candidates at once
        self._set_len = np.array([len(x) for x in sets], dtype=np.int64)
        self._set_start = np.concatenate(([0], np.cumsum(self._set_len)[:-1])).astype(np.int64)
        self._set_flat = np.concatenate(sets) if sets else np.zeros(0, np.uint32)
        self._min_similarity = np.array([k.min_similarity for k in known_list], dtype=np.float64)
        self._sig = np.array(signatures, dtype=np.uint64).reshape(len(signatures), NUM_PERM)
        keys = band_keys(self._sig, self.rows) if len(signatures) else np.zeros((0, self.bands), np.uint64)
        order = np.argsort(keys, axis=0, kind="stable")  # per band: known positions by key
        self._order = np.ascontiguousarray(order.T)  # one row per band
        self._sorted = np.ascontiguousarray(np.take_along_axis(keys, order, axis=0).T)

    def __len__(self) -> int:
        return len(self._known)

    def signature(self, normalised: str) -> MinHash | None:
        """The datasketch MinHash of one normalised text (None without shingles)."""
        from datasketch import MinHash  # here: scanning needs no datasketch objects

        _, sigs, nonempty, _ = next(self._signatures([normalised], [None]))
        if not len(nonempty):
            return None
        return MinHash(seed=SEED, hashvalues=sigs[0], permutations=self._permutations, scheme="legacy")

    def _signatures(
        self, normalised: Sequence[str], owners: Sequence[Any]
    ) -> Iterator[tuple[BatchNgrams, np.ndarray, np.ndarray, Sequence[Any]]]:
        """Per chunk of texts: their shingle hashes (every occurrence, in text order), MinHash
        signatures of the texts with shingles (one row each), the positions of those texts
        in the chunk, and the chunk's owners.  A text's shingle *set* is only needed for a
        candidate (:func:`_shingle_set`), so the batch is not de-duplicated."""
        for start in range(0, len(normalised), CHUNK_TEXTS):
            texts = normalised[start : start + CHUNK_TEXTS]
            grams = char_shingles(texts, SHINGLE, unique=False)
            nonempty = np.nonzero(np.diff(grams.bounds) > 0)[0]
            sigs = minhash.signatures(grams.hashes, grams.bounds, self._a, self._b)[nonempty]
            yield grams, sigs, nonempty, owners[start : start + CHUNK_TEXTS]

    def find(self, normalised: str) -> list[TextMatch]:
        """Known texts similar to a normalised post text, most similar first."""
        return self.find_batch([normalised])[0]

    def _candidates(self, signatures: np.ndarray) -> list[tuple[int, int]]:
        """``(query row, known position)`` pairs sharing at least one whole band, in order."""
        q, k = self._candidate_arrays(signatures)
        return list(zip(q.tolist(), k.tolist(), strict=True))

    def _candidate_arrays(self, signatures: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`_candidates` as two arrays, sorted by query row then known position.

        One compiled pass (:func:`~.neardup_kernel.band_candidates`): per query and band, a
        binary search in the band's sorted keys, each equal key's band values compared, each
        known text listed once.  (numpy per band, with ``np.repeat`` over the searchsorted
        ranges and a sort of every pair found, cost a third of the matcher; a Python loop per
        pair ~1 ms per post where many posts resemble many known texts.)"""
        empty = np.zeros(0, np.int64)
        if not len(self._known) or not len(signatures):
            return empty, empty
        return band_candidates(
            band_keys(signatures, self.rows), signatures, self._sorted, self._order, self._sig, self.rows
        )

    def find_batch(self, normalised: Sequence[str]) -> list[list[TextMatch]]:
        """:meth:`find` for many texts at once: vectorised shingling, MinHash and LSH, and every
        candidate of the batch verified in one compiled pass (:mod:`.neardup_kernel`), with
        exactly the arithmetic of :func:`similarity`."""
        results: list[list[TextMatch]] = [[] for _ in normalised]
        if not self._known:
            return results
        todo = [i for i, text in enumerate(normalised) if len(text) >= SHINGLE * 3]
        texts = [normalised[i] for i in todo]
        for grams, signatures, nonempty, owners in self._signatures(texts, todo):
            queries, known = self._candidate_arrays(signatures)
            if not len(queries):
                continue
            rows = nonempty[queries]  # each pair's text in the chunk
            needed, which = np.unique(rows, return_inverse=True)
            values, start, length = unique_runs(grams.hashes, grams.bounds, needed.astype(np.int64))
            known_length, post_length = self._set_len[known], length[which]
            contained = post_length <= CONTAINMENT_MAX_RATIO * known_length
            threshold = self._min_similarity[known]
            common = common_counts(
                self._set_flat,
                self._set_start,
                self._set_len,
                known,
                values,
                start,
                length,
                which.astype(np.int64),
                _least_common(known_length, post_length, contained, threshold),
            )
            complete = common >= 0  # -1: stopped early, cannot reach the threshold
            common = np.maximum(common, 0)
            jaccard = common / (known_length + post_length - common)
            score = np.where(contained, np.maximum(jaccard, common / known_length), jaccard)
            touched = set()
            for i in np.nonzero(complete & (score >= threshold))[0].tolist():
                known_text, position = self._known[int(known[i])], owners[int(rows[i])]
                results[position].append(TextMatch(known_text, round(float(score[i]), 4)))
                touched.add(position)
            for position in touched:
                results[position].sort(key=lambda m: (-m.similarity, m.known.id))
        return results


def _least_common(
    known_length: np.ndarray, post_length: np.ndarray, contained: np.ndarray, threshold: np.ndarray
) -> np.ndarray:
    """A lower bound on the shingles a pair must share to score ``threshold``: the score rises
    with the shared count ``c`` and is ``c / known`` where containment counts (Jaccard is never
    larger, as ``c <= post``), else the Jaccard index, ``c >= t (known + post) / (1 + t)``.
    One less than the rounded-up bound, so that no rounding of the scores' floating point
    arithmetic can ever make the bound exclude a pair that passes."""
    bound = np.where(
        contained, threshold * known_length, threshold * (known_length + post_length) / (1.0 + threshold)
    )
    least: np.ndarray = np.maximum(np.ceil(bound) - 1, 0).astype(np.int64)
    return least


def _shingle_set(grams: BatchNgrams, i: int) -> np.ndarray:
    """Sorted unique shingle hashes of text ``i`` of a batch."""
    return np.unique(grams.hashes[grams.bounds[i] : grams.bounds[i + 1]])


def similarity(known: np.ndarray, post: np.ndarray) -> float:
    """max(Jaccard, containment of the known text in the post) on shingle sets."""
    if not len(known) or not len(post):
        return 0.0
    common = len(np.intersect1d(known, post, assume_unique=True))
    jaccard = common / (len(known) + len(post) - common)
    if len(post) <= CONTAINMENT_MAX_RATIO * len(known):
        return max(jaccard, common / len(known))
    return jaccard
