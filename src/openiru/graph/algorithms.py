"""igraph wrappers over index arrays: weighted graphs, PageRank, personalised PageRank, Leiden.

The graph is built once from numpy arrays (duplicate pairs merged, weights summed) so that a ten
million edge interaction graph goes into igraph without a Python loop over edges.
"""

from __future__ import annotations

import igraph as ig
import numpy as np

DAMPING = 0.85


def merge_pairs(src: np.ndarray, dst: np.ndarray, weight: np.ndarray, n: int,
                undirected: bool = False) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sum the weights of repeated ``(src, dst)`` pairs; self-loops dropped."""
    src = src.astype(np.int64)
    dst = dst.astype(np.int64)
    if undirected:
        src, dst = np.minimum(src, dst), np.maximum(src, dst)
    keep = src != dst
    key = src[keep] * n + dst[keep]
    uniq, inverse = np.unique(key, return_inverse=True)
    summed = np.bincount(inverse, weights=weight[keep], minlength=len(uniq))
    return uniq // n, uniq % n, summed


def build_graph(n: int, src: np.ndarray, dst: np.ndarray, weight: np.ndarray,
                directed: bool = True) -> ig.Graph:
    s, d, w = merge_pairs(src, dst, weight, n, undirected=not directed)
    pairs = np.column_stack((s, d)).astype(np.int64)
    graph = ig.Graph(n=n, edges=pairs, directed=directed)
    graph.es["weight"] = w
    return graph


def pagerank(graph: ig.Graph) -> np.ndarray:
    if graph.ecount() == 0:
        return np.full(graph.vcount(), 1.0 / max(graph.vcount(), 1))
    return np.asarray(graph.pagerank(weights="weight", damping=DAMPING, directed=graph.is_directed()))


def personalised_pagerank(graph: ig.Graph, reset: np.ndarray) -> np.ndarray:
    """PageRank that restarts at the seed accounts in proportion to ``reset``."""
    if reset.sum() <= 0 or graph.ecount() == 0:
        total = reset.sum()
        return reset / total if total > 0 else np.zeros(graph.vcount())
    return np.asarray(graph.personalized_pagerank(
        directed=graph.is_directed(), damping=DAMPING, reset=(reset / reset.sum()).tolist(),
        weights="weight"))


def leiden(graph: ig.Graph, members: np.ndarray, seed: int = 1) -> np.ndarray:
    """Leiden communities (modularity) of the sub-graph on ``members``; -1 elsewhere."""
    labels = np.full(graph.vcount(), -1, np.int64)
    if len(members) < 2:
        return labels
    sub = graph.induced_subgraph(members.tolist(), implementation="create_from_scratch")
    if sub.ecount() == 0:
        return labels
    import random

    random.seed(seed)  # igraph's Leiden draws from Python's random generator
    parts = sub.community_leiden(objective_function="modularity", weights="weight", n_iterations=4)
    labels[members] = np.asarray(parts.membership)
    return labels
