"""The sparse PageRank and personalised PageRank agree with igraph's; Leiden finds planted blocks."""

from __future__ import annotations

import igraph as ig
import numpy as np
import pytest

from openiru.graph.algorithms import leiden, pagerank, personalised_pagerank, weighted_matrix


@pytest.fixture(scope="module")
def random_graph() -> tuple[int, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    n, m = 400, 3000
    src = rng.integers(0, n, m)
    dst = (rng.zipf(1.6, m) + src) % n  # skewed, with repeats, self-loops and dangling nodes
    return n, src, dst, rng.uniform(0.1, 2.0, m)


def _igraph(n: int, src: np.ndarray, dst: np.ndarray, w: np.ndarray, directed: bool) -> ig.Graph:
    keep = src != dst
    g = ig.Graph(n=n, edges=list(zip(src[keep].tolist(), dst[keep].tolist(), strict=True)), directed=directed)
    g.es["weight"] = w[keep].tolist()
    return g


def test_pagerank_equals_igraph(random_graph) -> None:
    n, src, dst, w = random_graph
    ours = pagerank(weighted_matrix(n, src, dst, w))
    theirs = np.asarray(_igraph(n, src, dst, w, True).pagerank(weights="weight", damping=0.85))
    assert np.abs(ours - theirs).max() < 1e-6
    assert ours.sum() == pytest.approx(1.0)


def test_personalised_pagerank_equals_igraph_undirected(random_graph) -> None:
    n, src, dst, w = random_graph
    reset = np.zeros(n)
    reset[[3, 50, 51]] = [1.0, 2.0, 1.0]
    ours = personalised_pagerank(weighted_matrix(n, src, dst, w, undirected=True), reset)
    theirs = np.asarray(
        _igraph(n, src, dst, w, False).personalized_pagerank(
            reset=reset.tolist(), weights="weight", damping=0.85, directed=False
        )
    )
    assert np.abs(ours - theirs).max() < 1e-6


def test_personalised_pagerank_without_seeds_is_zero() -> None:
    m = weighted_matrix(3, np.array([0, 1]), np.array([1, 2]), np.ones(2))
    assert personalised_pagerank(m, np.zeros(3)).tolist() == [0.0, 0.0, 0.0]


def test_leiden_separates_two_cliques_joined_by_one_edge() -> None:
    a = [(i, j) for i in range(6) for j in range(i + 1, 6)]
    b = [(i + 6, j + 6) for i, j in a]
    edges = np.asarray(a + b + [(0, 6)])
    m = weighted_matrix(13, edges[:, 0], edges[:, 1], np.ones(len(edges)), undirected=True)
    labels = leiden(m, np.arange(12))
    assert len(set(labels[:6])) == 1 and len(set(labels[6:12])) == 1 and labels[0] != labels[6]
    assert labels[12] == -1
