"""Compiled MinHash signatures and LSH band keys (numba) for the near-duplicate matcher.

The numpy formulation (``(a * h + b) % p`` over a permutations x shingles matrix)
allocates several temporaries of 64 x (all shingles of a batch) 64-bit integers and
uses a 64-bit division per element; it was the largest single cost of a text scan.
This loop computes the same values in place: datasketch's "legacy" MinHash,
``((a * h + b) mod 2**64) mod (2**61 - 1)`` masked to 32 bits, with the Mersenne
modulus taken by shift-and-add (exact for every 64-bit value), and keeps only the
minimum per permutation.  datasketch has no batch API, hence this kernel.
Compiled functions are cached on disk (``cache=True``); no threads are started, so
worker processes may be forked at any time.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MERSENNE = (1 << 61) - 1
MAX_HASH = (1 << 32) - 1


@njit(cache=True)
def minhash_signatures(hashes, bounds, a, b):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``out[t, p]``: the minimum over the shingle hashes of text ``t`` of permutation ``p``
    (``MAX_HASH`` for a text without shingles)."""
    n_texts = bounds.shape[0] - 1
    n_perm = a.shape[0]
    mersenne = np.uint64(MERSENNE)
    max_hash = np.uint64(MAX_HASH)
    shift = np.uint64(61)
    out = np.full((n_texts, n_perm), max_hash, dtype=np.uint64)
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
    return out


@njit(cache=True)
def band_keys(signatures, rows):  # type: ignore[no-untyped-def]  # pragma: no cover - compiled
    """``out[t, j]``: a 64-bit mix of band ``j`` (``rows`` consecutive values) of each signature.
    Equal bands give equal keys; callers verify the band values of a key match exactly."""
    n_texts, n_perm = signatures.shape
    n_bands = n_perm // rows
    out = np.empty((n_texts, n_bands), dtype=np.uint64)
    prime = np.uint64(0x100000001B3)
    for t in range(n_texts):
        for j in range(n_bands):
            h = np.uint64(0xCBF29CE484222325) ^ np.uint64(j)
            for i in range(j * rows, (j + 1) * rows):
                h = (h ^ signatures[t, i]) * prime
                h ^= h >> np.uint64(31)
            out[t, j] = h
    return out
