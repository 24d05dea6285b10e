"""Compiled construction of the classifier's sparse n-gram count matrix (numba).

``scipy.sparse.csr_matrix((data, (rows, cols)))`` followed by ``sum_duplicates``
sorts every entry of a batch and allocates several intermediate arrays; for the
few hundred hashed n-grams of each post, bucketing the entries by post (one
counting pass) and sorting each post's few hundred columns is several times
faster and gives the same canonical matrix (sorted column indices, duplicates
summed).  scipy has no grouped constructor for this, hence the kernel.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def csr_counts(
    rows: np.ndarray, columns: np.ndarray, n_rows: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # pragma: no cover - compiled
    """``(indptr, indices, data)`` of the canonical CSR matrix counting each ``(row, column)``."""
    n = rows.shape[0]
    starts = np.zeros(n_rows + 1, dtype=np.int64)
    for i in range(n):
        starts[rows[i] + 1] += 1
    for r in range(n_rows):
        starts[r + 1] += starts[r]
    grouped = np.empty(n, dtype=np.int64)
    fill = starts[:-1].copy()
    for i in range(n):
        r = rows[i]
        grouped[fill[r]] = columns[i]
        fill[r] += 1
    indptr = np.zeros(n_rows + 1, dtype=np.int64)
    indices = np.empty(n, dtype=np.int64)
    data = np.empty(n, dtype=np.float32)
    out = 0
    for r in range(n_rows):
        lo, hi = starts[r], starts[r + 1]
        if hi > lo:
            cols = np.sort(grouped[lo:hi])
            previous = cols[0]
            count = 1
            for k in range(1, hi - lo):
                c = cols[k]
                if c == previous:
                    count += 1
                else:
                    indices[out] = previous
                    data[out] = count
                    out += 1
                    previous = c
                    count = 1
            indices[out] = previous
            data[out] = count
            out += 1
        indptr[r + 1] = out
    return indptr, indices[:out].copy(), data[:out].copy()
