"""Near-duplicate text clusters on arrays (graph/neardup.py) against the exact Jaccard rule."""

from __future__ import annotations

import random

from openiru.graph.neardup import NEAR_TEXT_JACCARD, near_duplicate_clusters


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i:i + 3]) for i in range(len(words) - 2)}


def _jaccard(a: list[str], b: list[str]) -> float:
    sa, sb = _shingles(a), _shingles(b)
    return len(sa & sb) / len(sa | sb)


def _corpus(seed: int) -> dict[int, list[str]]:
    """Base texts of 40 random words, each with exact copies and copies with one word changed
    at the end (Jaccard >= 0.9), plus unrelated texts."""
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(5000)]
    posts: dict[int, list[str]] = {}
    n = 0
    for _ in range(30):
        base = [rng.choice(vocab) for _ in range(40)]
        for variant in range(4):
            words = list(base)
            if variant >= 2:
                words[-1] = rng.choice(vocab)
            posts[n] = words
            n += 1
    for _ in range(60):
        posts[n] = [rng.choice(vocab) for _ in range(40)]
        n += 1
    return posts


def test_clusters_follow_the_jaccard_threshold() -> None:
    posts = _corpus(7)
    clusters = near_duplicate_clusters(posts)
    assert set(clusters) == set(posts)
    ids = sorted(posts)
    for i in ids:
        for j in ids:
            if i >= j:
                continue
            similar = _jaccard(posts[i], posts[j]) >= NEAR_TEXT_JACCARD
            together = clusters[i] == clusters[j]
            if not similar:
                # never joined directly; a chain through a third text would need it to be similar to both
                assert not together or any(
                    _jaccard(posts[i], posts[k]) >= NEAR_TEXT_JACCARD for k in ids if k not in (i, j))
    # every planted family of four (copies and one-word edits) lands in one cluster
    for family in range(30):
        members = {clusters[family * 4 + v] for v in range(4)}
        assert len(members) == 1
    # unrelated texts stay alone, represented by themselves
    for k in range(120, 180):
        assert clusters[k] == k


def test_empty_and_identical_texts() -> None:
    assert near_duplicate_clusters({}) == {}
    same = ["a", "b", "c", "d"]
    assert near_duplicate_clusters({3: same, 5: list(same), 9: ["x", "y", "z", "q"]}) == {3: 3, 5: 3, 9: 9}
