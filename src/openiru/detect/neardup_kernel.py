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
) -> np.ndarray:
    """For each pair ``p``, how many values set ``a_index[p]`` of ``a`` and set
    ``b_index[p]`` of ``b`` share (sets as sorted unique runs, see :func:`unique_runs`)."""
    out = np.empty(len(a_index), np.int64)
    for p in range(len(a_index)):
        i = a_start[a_index[p]]
        i_end = i + a_length[a_index[p]]
        j = b_start[b_index[p]]
        j_end = j + b_length[b_index[p]]
        common = 0
        while i < i_end and j < j_end:
            x = a_values[i]
            y = b_values[j]
            # without branches: which run moves on is unpredictable, a mispredicted jump each
            common += x == y
            i += x <= y
            j += y <= x
        out[p] = common
    return out
