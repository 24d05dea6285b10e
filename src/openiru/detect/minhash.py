"""The one near-duplicate engine: shingle hashes, MinHash signatures and LSH band keys.

Both near-duplicate searches use it: detection's known-text matcher
(:mod:`openiru.detect.neardup`: character 5-grams of normalised text, known texts against posts)
and the graph's clusters of posts (:mod:`openiru.graph.neardup`: words and pairs of neighbouring
words, every post against every other).  The signatures are datasketch's "legacy" MinHash with
datasketch's own permutations (:func:`permutations`), ``((a * h + b) mod 2**64) mod (2**61 - 1)``
masked to 32 bits, and the banding is datasketch's ``MinHashLSH`` choice for a threshold
(:func:`lsh_bands`): ordinary datasketch MinHashes, computed for whole batches.

datasketch has no batch API: ``MinHash.update`` hashes each shingle with SHA-1 in Python, and the
numpy formulation (``(a * h + b) % p`` over a permutations x shingles matrix) allocates several
64 x (all shingles of a batch) temporaries with a 64-bit division per element.  The compiled loops
here (numba) compute the same values in place, the Mersenne modulus taken by shift-and-add (exact
for every 64-bit value), and keep only the minimum per permutation.  Compiled functions are cached
on disk (``cache=True``); no threads are started, so worker processes may be forked at any time.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache

import numpy as np
from numba import njit

from .ngrams import BatchNgrams, batch_ngrams

MERSENNE = (1 << 61) - 1
MAX_HASH = (1 << 32) - 1
NUM_PERM = 64
SEED = 1
_M1, _M2, _M3 = np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F), np.uint64(0x165667B19E3779F9)


#: datasketch ``MinHashLSH``'s ``(bands, rows)`` for the thresholds the project uses, at 64
#: permutations: computing them imports datasketch's LSH module, which imports SciPy's integrator
#: (0.75 s of a scan's start-up), then integrates ~300 candidate bandings.  Other thresholds ask
#: datasketch; tests/test_detect_known_batch.py checks this table against it.
KNOWN_BANDS = {(0.3, 64): (21, 3), (0.5, 64): (14, 4), (0.8, 64): (5, 11), (0.9, 64): (3, 21)}


def permutations(num_perm: int = NUM_PERM, seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """datasketch's ``(a, b)`` permutations of a legacy MinHash (uint64 arrays of ``num_perm``):
    ``MinHash._init_permutations``'s draws, made here so that scanning imports no datasketch
    (tests/test_detect_known_batch.py checks them against datasketch's)."""
    gen = np.random.RandomState(seed)
    mersenne = np.uint64(MERSENNE)
    pairs = [
        (gen.randint(1, mersenne, dtype=np.uint64), gen.randint(0, mersenne, dtype=np.uint64))
        for _ in range(num_perm)
    ]
    a, b = np.array(pairs, dtype=np.uint64).T
    return a, b


@cache
def lsh_bands(threshold: float, num_perm: int = NUM_PERM) -> tuple[int, int]:
    """datasketch ``MinHashLSH``'s ``(bands, rows)`` for a Jaccard threshold (equal false positive
    and false negative weights): ``(5, 11)`` at 0.8 and 64 permutations."""
    known = KNOWN_BANDS.get((threshold, num_perm))
    if known is not None:
        return known
    from datasketch import MinHashLSH

    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    return int(lsh.b), int(lsh.r)


def char_shingles(texts: Sequence[str], size: int, *, unique: bool) -> BatchNgrams:
    """Hashes (32-bit values) of the character ``size``-grams of each text (:mod:`.ngrams`)."""
    return batch_ngrams(texts, (size,), unique=unique)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: spreads 64-bit values (wrapping arithmetic is intended)."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        mixed: np.ndarray = x ^ (x >> np.uint64(31))
        return mixed


def word_shingles(texts: Sequence[Sequence[str]]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of the words and the pairs of neighbouring words of each text, concatenated
    (a text's words first, then its pairs), with the offsets ``bounds`` of each text's run.
    Words are interned once per call, so hashes compare only within one call."""
    lengths = np.fromiter((len(w) for w in texts), np.int64, count=len(texts))
    flat = [w for words in texts for w in words]
    vocab = {w: i for i, w in enumerate(dict.fromkeys(flat))}
    ids = np.fromiter(map(vocab.__getitem__, flat), np.uint64, count=len(flat)) + np.uint64(1)
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    n_pairs = np.maximum(lengths - 1, 0)
    n_sh = lengths + n_pairs
    bounds = np.concatenate(([0], np.cumsum(n_sh))).astype(np.int64)
    with np.errstate(over="ignore"):
        words = _mix(ids * _M1)
        pair_first = np.repeat(starts, n_pairs) + (
            np.arange(int(n_pairs.sum())) - np.repeat(np.cumsum(n_pairs) - n_pairs, n_pairs)
        )
        pairs = (
            _mix(ids[pair_first] * _M2 + _mix(ids[pair_first + 1] * _M3))
            if len(pair_first)
            else np.zeros(0, np.uint64)
        )
    out = np.empty(int(bounds[-1]), np.uint64)
    word_pos = np.repeat(bounds[:-1], lengths) + (np.arange(len(ids)) - np.repeat(starts, lengths))
    out[word_pos] = words
    pair_pos = np.repeat(bounds[:-1] + lengths, n_pairs) + (pair_first - np.repeat(starts, n_pairs))
    out[pair_pos] = pairs
    return out, bounds


def signatures(
    hashes: np.ndarray,
    bounds: np.ndarray,
    a: np.ndarray,
    b: np.ndarray,
    dtype: type[np.unsignedinteger] = np.uint64,
) -> np.ndarray:
    """MinHash signatures, one row per text (``hashes[bounds[t]:bounds[t + 1]]``), ``MAX_HASH``
    for a text without shingles.  The values are 32-bit: ``dtype=np.uint32`` halves the memory of
    a large matrix, ``np.uint64`` gives datasketch's ``hashvalues``."""
    out = np.empty((len(bounds) - 1, len(a)), dtype=dtype)
    _fill_signatures(hashes, bounds, a, b, out)
    return out


@njit(cache=True)
def _fill_signatures(
    hashes: np.ndarray, bounds: np.ndarray, a: np.ndarray, b: np.ndarray, out: np.ndarray
) -> None:  # pragma: no cover - compiled
    """``out[t, p]``: the minimum over the shingle hashes of text ``t`` of permutation ``p``."""
    n_texts = bounds.shape[0] - 1
    n_perm = a.shape[0]
    mersenne = np.uint64(MERSENNE)
    max_hash = np.uint64(MAX_HASH)
    shift = np.uint64(61)
    for t in range(n_texts):
        lo, hi = bounds[t], bounds[t + 1]
        for p in range(n_perm):
            ap, bp = a[p], b[p]
            best = max_hash
            for k in range(lo, hi):
                v = ap * hashes[k] + bp
                v = (v & mersenne) + (v >> shift)
                if v >= mersenne:
                    v -= mersenne
                v &= max_hash
                if v < best:
                    best = v
            out[t, p] = best


@njit(cache=True)
def band_keys(signatures: np.ndarray, rows: int) -> np.ndarray:  # pragma: no cover - compiled
    """``out[t, j]``: a 64-bit mix of band ``j`` (``rows`` consecutive values) of each signature.
    Equal bands give equal keys (whatever the signatures' integer type); a caller that must not
    meet the rare unequal bands of one key compares the band values."""
    n_texts, n_perm = signatures.shape
    n_bands = n_perm // rows
    out = np.empty((n_texts, n_bands), dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    for t in range(n_texts):
        for j in range(n_bands):
            h = np.uint64(0xCBF29CE484222325) ^ np.uint64(j)
            for i in range(j * rows, (j + 1) * rows):
                h = (h ^ np.uint64(signatures[t, i])) * prime
                h ^= h >> np.uint64(31)
            out[t, j] = h
    return out
