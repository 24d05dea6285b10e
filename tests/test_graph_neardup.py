"""Near-duplicate text clusters on arrays (graph/neardup.py) against the exact Jaccard rule."""

from __future__ import annotations

import random

import pytest

from openiru.graph import neardup
from openiru.graph.neardup import BANDS, MAX_BUCKET_CLUSTERS, NEAR_TEXT_JACCARD, near_duplicate_clusters


def _shingles(words: list[str]) -> set[tuple[str, ...]]:
    """Words and pairs of neighbouring words (graph/neardup.py's shingles)."""
    return {(w,) for w in words} | {tuple(words[i : i + 2]) for i in range(len(words) - 1)}


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
                    _jaccard(posts[i], posts[k]) >= NEAR_TEXT_JACCARD for k in ids if k not in (i, j)
                )
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


# --- templated boilerplate: one LSH bucket holding thousands of texts stays linear ---------------

_TEMPLATE = (
    "this is a neutral placeholder notice from the fictional example service about item number".split()
)


def _templated(n: int, start: int = 0) -> dict[int, list[str]]:
    """Texts of one template with two variable words: 27 shared shingles (words and word pairs) of
    31, so pairwise Jaccard 27/35 = 0.77 (never near-duplicates), yet about (27/31)^11 = 22 % of
    them share the band key made of the template's minima in each band."""
    return {start + i: [*_TEMPLATE, f"a{i}", f"b{i}"] for i in range(n)}


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    calls = [0]
    exact = neardup.similar

    def similar(a: set[int], b: set[int]) -> bool:
        calls[0] += 1
        return exact(a, b)

    monkeypatch.setattr(neardup, "similar", similar)
    return calls


def test_huge_template_bucket_stays_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = _templated(2)
    assert _jaccard(texts[0], texts[1]) < NEAR_TEXT_JACCARD
    calls = _counting(monkeypatch)
    confirmations = []
    for n in (2000, 4000):
        calls[0] = 0
        clusters = near_duplicate_clusters(_templated(n))
        assert all(clusters[k] == k for k in range(n))  # boilerplate is not merged
        confirmations.append(calls[0])
        # at most MAX_BUCKET_CLUSTERS confirmations per text and band
        assert calls[0] <= BANDS * MAX_BUCKET_CLUSTERS * n
    # one text per cluster for every text before it (no cap) would grow fourfold when n doubles
    # (232,000 confirmations at n = 2000, 930,000 at 4000); capped, the work grows with n (79,000, 169,000)
    assert confirmations[1] < 2.5 * confirmations[0]
    assert confirmations[1] < 400_000


def test_campaign_inside_boilerplate_still_clusters() -> None:
    posts = _templated(3000)
    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(5000)]
    base = [rng.choice(vocab) for _ in range(40)]
    campaign = list(range(10_000, 10_100))
    for k in campaign:  # near-identical copies (one word changed at the end), after the boilerplate
        posts[k] = [*base[:-1], rng.choice(vocab)]
    clusters = near_duplicate_clusters(posts)
    assert len({clusters[k] for k in campaign}) == 1
    assert all(clusters[k] == k for k in range(3000))


def test_full_bucket_still_joins_a_burst_of_copies() -> None:
    """Past MAX_BUCKET_CLUSTERS unrelated texts a bucket keeps the most recent clusters: a burst of
    copies arriving later still joins its own cluster, at a bounded cost per text."""
    n_boiler = 3 * MAX_BUCKET_CLUSTERS
    sets = {i: {10 * i + j for j in range(10)} for i in range(n_boiler)}  # disjoint: never similar
    burst = list(range(n_boiler, n_boiler + 5))
    for k, i in enumerate(burst):
        sets[i] = set(range(-20, 0)) | {-100 - k}  # Jaccard 20/22 with each other
    parent = list(range(n_boiler + len(burst)))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    calls = [0]

    def shingle_set(i: int) -> set[int]:
        calls[0] += 1
        return sets[i]

    neardup._confirm_bucket(list(range(n_boiler)) + burst, find, shingle_set, parent)
    assert len({find(i) for i in burst}) == 1
    assert len({find(i) for i in range(n_boiler)}) == n_boiler
    # each text reads its own set and at most MAX_BUCKET_CLUSTERS others
    assert calls[0] <= len(parent) * (1 + MAX_BUCKET_CLUSTERS)


def test_full_bucket_keeps_a_campaign_that_keeps_arriving() -> None:
    """A campaign that entered the bucket before the boilerplate filled it, with a copy every few
    texts, is the cluster met most recently: it is never the one that gives way."""
    n_boiler = 4 * MAX_BUCKET_CLUSTERS
    sets = {i: {10 * i + j for j in range(10)} for i in range(n_boiler)}
    members: list[int] = []
    copies: list[int] = []
    for i in range(n_boiler):
        if i % (MAX_BUCKET_CLUSTERS // 4) == 0:
            k = n_boiler + len(copies)
            sets[k] = set(range(-20, 0)) | {-100 - len(copies)}
            copies.append(k)
            members.append(k)
        members.append(i)
    parent = list(range(len(sets)))

    def find(x: int) -> int:
        while parent[x] != x:
            x = parent[x]
        return x

    neardup._confirm_bucket(members, find, sets.__getitem__, parent)
    assert len(copies) == 16
    assert len({find(k) for k in copies}) == 1
    assert len({find(i) for i in range(n_boiler)}) == n_boiler
