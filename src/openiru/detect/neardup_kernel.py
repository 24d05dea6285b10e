"""The compiled inner loops of known-text verification (numba): shingle sets and their overlaps.

The LSH of :class:`~openiru.detect.neardup.KnownTextIndex` returns candidate pairs (post,
known text); each is verified on the exact shingle sets.  With numpy that was a few
array calls per pair or per post (``np.unique``, ``searchsorted``), microseconds of
call overhead each, and posts that resemble many known texts have dozens of
candidates; here one call takes every post's set (sorted, unique) and one call
counts the shared shingles of every pair by merging two sorted runs.  Compiled
functions are cached on disk (``cache=True``) so later start-ups skip compilation.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def unique_runs(
    hashes: np.ndarray, bounds: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The sorted unique values of the runs ``hashes[bounds[r]:bounds[r + 1]]`` for each of
    ``rows``, end to end: ``(values, start, length)`` with one start and length per row."""
    total = 0
    for r in rows:
        total += bounds[r + 1] - bounds[r]
    values = np.empty(total, hashes.dtype)
    start = np.empty(len(rows), np.int64)
    length = np.empty(len(rows), np.int64)
    pos = 0
    for i in range(len(rows)):
        r = rows[i]
        run = np.sort(hashes[bounds[r] : bounds[r + 1]])
        start[i] = pos
        n = 0
        for j in range(len(run)):
            if j == 0 or run[j] != run[j - 1]:
                values[pos + n] = run[j]
                n += 1
        length[i] = n
        pos += n
    return values, start, length


@njit(cache=True)
def common_counts(
    a_values: np.ndarray,
    a_start: np.ndarray,
    a_length: np.ndarray,
    a_index: np.ndarray,
    b_values: np.ndarray,
    b_start: np.ndarray,
    b_length: np.ndarray,
    b_index: np.ndarray,
    needed: np.ndarray,
) -> np.ndarray:
    """For each pair ``p``, how many values set ``a_index[p]`` of ``a`` and set
    ``b_index[p]`` of ``b`` share (sets as sorted unique runs, see :func:`unique_runs`), or
    -1 as soon as fewer than ``needed[p]`` can still be shared: the values left in the
    shorter remainder bound what the rest of the merge can add, so a pair that cannot
    reach its threshold stops early (most candidates of the LSH are such pairs)."""
    out = np.empty(len(a_index), np.int64)
    for p in range(len(a_index)):
        i = a_start[a_index[p]]
        i_end = i + a_length[a_index[p]]
        j = b_start[b_index[p]]
        j_end = j + b_length[b_index[p]]
        need = needed[p]
        common = 0
        while i < i_end and j < j_end:
            # checked every 8 steps: the bound is loose by at most 8 values, never wrong
            if common + min(i_end - i, j_end - j) < need:
                common = -1
                break
            stop = min(i_end - i, j_end - j, 8)
            for _ in range(stop):
                x = a_values[i]
                y = b_values[j]
                # without branches: which run moves on is unpredictable, a mispredicted jump each
                common += x == y
                i += x <= y
                j += y <= x
                if i >= i_end or j >= j_end:
                    break
        if common >= 0 and common < need:
            common = -1
        out[p] = common
    return out


@njit(cache=True)
def band_candidates(
    keys: np.ndarray,
    signatures: np.ndarray,
    sorted_keys: np.ndarray,
    order: np.ndarray,
    known_signatures: np.ndarray,
    rows: int,
) -> tuple[np.ndarray, np.ndarray]:
    """The (query, known) pairs with at least one whole band equal, sorted by query then known.

    ``keys`` are the queries' band keys (one row each), ``sorted_keys[j]`` band ``j``'s keys of
    the known signatures in ascending order and ``order[j]`` their known positions; a pair
    whose keys are equal counts only if the band's ``rows`` values are equal too."""
    n_queries, n_bands = keys.shape
    n_known = sorted_keys.shape[1]
    seen = np.full(n_known, -1, np.int64)
    out_q = np.empty(max(16, n_queries * 8), np.int64)
    out_k = np.empty(max(16, n_queries * 8), np.int64)
    n = 0
    for q in range(n_queries):
        first = n
        for j in range(n_bands):
            key = keys[q, j]
            column = sorted_keys[j]
            lo, hi = 0, n_known
            while lo < hi:  # the first position whose key is not below this one
                mid = (lo + hi) >> 1
                if column[mid] < key:
                    lo = mid + 1
                else:
                    hi = mid
            while lo < n_known and column[lo] == key:
                k = order[j, lo]
                lo += 1
                if seen[k] == q:
                    continue
                same = True
                for i in range(j * rows, (j + 1) * rows):
                    if known_signatures[k, i] != signatures[q, i]:
                        same = False
                        break
                if not same:
                    continue
                seen[k] = q
                if n == len(out_q):
                    out_q = np.concatenate((out_q, np.empty(n, np.int64)))
                    out_k = np.concatenate((out_k, np.empty(n, np.int64)))
                out_q[n] = q
                out_k[n] = k
                n += 1
        for a in range(first + 1, n):  # insertion sort of this query's few known positions
            k = out_k[a]
            b = a - 1
            while b >= first and out_k[b] > k:
                out_k[b + 1] = out_k[b]
                b -= 1
            out_k[b + 1] = k
    return out_q[:n], out_k[:n]
