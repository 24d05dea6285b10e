"""PageRank, personalised PageRank and Leiden over index arrays.

PageRank and personalised PageRank run as power iterations on a scipy CSR matrix built straight
from the edge arrays.  Written here rather than calling ``igraph.Graph.pagerank`` because building
an igraph graph from Python costs about 2.5 microseconds per edge on this machine (25 s for ten
million edges, measured in benchmarks/graph.py) while the CSR matrix builds in about a second; the
results equal igraph's (same damping, same treatment of dangling nodes; checked in
tests/test_graph_algorithms.py).  Leiden (igraph's ``community_leiden``) runs on the sub-graph of
the accounts near the seeds only, which keeps its graph small.
"""

from __future__ import annotations

import random

import igraph as ig
import numpy as np
from scipy.sparse import csr_matrix

DAMPING = 0.85
TOLERANCE = 1e-10
MAX_ITERATIONS = 200


def unique_ints(values: np.ndarray) -> np.ndarray:
    """Sorted distinct values of an integer array: ``np.unique`` without its hash table, which numpy
    2.4 uses for plain calls and which takes 30 s on two million int64 values here (sorting: 0.4 s)."""
    if not len(values):
        return values.copy()
    ordered = np.sort(values)
    return ordered[np.r_[True, ordered[1:] != ordered[:-1]]]


def weighted_matrix(
    n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray, undirected: bool = False
) -> csr_matrix:
    """``A[i, j]`` = summed weight of edges i -> j (both ways when undirected); no self-loops."""
    keep = src != dst
    s, d, w = src[keep].astype(np.int64), dst[keep].astype(np.int64), weight[keep].astype(np.float64)
    if undirected:
        s, d, w = np.r_[s, d], np.r_[d, s], np.r_[w, w]
    m = csr_matrix((w, (s, d)), shape=(n, n))
    m.sum_duplicates()
    return m


def _power_iteration(matrix: csr_matrix, reset: np.ndarray, damping: float = DAMPING) -> np.ndarray:
    n = matrix.shape[0]
    out_weight = np.asarray(matrix.sum(axis=1)).ravel()
    dangling = out_weight == 0
    inv = np.where(dangling, 0.0, 1.0 / np.where(dangling, 1.0, out_weight))
    transition_t = (csr_matrix(matrix.multiply(inv[:, None]))).T.tocsr()
    rank = reset.copy()
    for _ in range(MAX_ITERATIONS):
        leaked = rank[dangling].sum()
        new: np.ndarray = damping * (transition_t @ rank) + (damping * leaked + (1.0 - damping)) * reset
        new /= new.sum()
        if np.abs(new - rank).sum() < TOLERANCE * n:
            return new
        rank = new
    return rank


def pagerank(matrix: csr_matrix) -> np.ndarray:
    """Weighted PageRank; dangling accounts spread their rank uniformly (as igraph's PRPACK)."""
    n = matrix.shape[0]
    if n == 0:
        return np.zeros(0)
    return _power_iteration(matrix, np.full(n, 1.0 / n))


def personalised_pagerank(matrix: csr_matrix, reset: np.ndarray) -> np.ndarray:
    """PageRank restarting at the seeds in proportion to ``reset`` (dangling mass goes there too)."""
    total = float(reset.sum())
    if total <= 0:
        return np.zeros(matrix.shape[0])
    return _power_iteration(matrix, reset / total)


def leiden(matrix: csr_matrix, members: np.ndarray, seed: int = 1) -> np.ndarray:
    """Leiden communities (modularity) of the undirected sub-graph on ``members``; -1 elsewhere."""
    labels = np.full(matrix.shape[0], -1, np.int64)
    if len(members) < 2:
        return labels
    sub = matrix[members][:, members].tocoo()
    upper = sub.row < sub.col
    if not upper.any():
        return labels
    graph = ig.Graph(
        n=len(members),
        edges=np.column_stack((sub.row[upper], sub.col[upper])).astype(np.int64),
        directed=False,
    )
    graph.es["weight"] = sub.data[upper]
    # igraph's Leiden draws from Python's random generator: seed it for repeatable communities, and
    # give the caller's random state back afterwards
    state = random.getstate()
    random.seed(seed)
    try:
        parts = graph.community_leiden(objective_function="modularity", weights="weight", n_iterations=2)
    finally:
        random.setstate(state)
    labels[members] = np.asarray(parts.membership)
    return labels
