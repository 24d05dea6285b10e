"""Known-text matching in batches (issue 14): the vectorised LSH look-up and the compiled
verification find exactly what the pair-by-pair algorithm found, with the same scores."""

from __future__ import annotations

import random

import numpy as np

from openiru.detect.minhash import band_keys
from openiru.detect.neardup import KnownText, KnownTextIndex, TextMatch, similarity
from openiru.detect.normalise import normalise

WORDS = (
    "gate",
    "northern",
    "assembly",
    "meets",
    "tonight",
    "silver",
    "dawn",
    "bread",
    "river",
    "market",
    "ворота",
    "собрание",
    "рассвет",
    "بوابة",
    "اجتماع",
    "فجر",
)


def corpus(seed: int) -> tuple[list[KnownText], list[str]]:
    """Known texts and posts from a small vocabulary: many posts resemble many known texts,
    some copy one (edited, padded or cut), some are short or empty."""
    rng = random.Random(seed)
    known = [
        KnownText(
            i,
            " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14))),
            min_similarity=rng.choice((0.3, 0.5, 0.8, 0.95)),
        )
        for i in range(150)
    ]
    posts = []
    for _ in range(1200):
        roll = rng.random()
        if roll < 0.3:
            base = rng.choice(known).text.split()
            if base and rng.random() < 0.5:
                base[rng.randrange(len(base))] = rng.choice(WORDS)
            text = " ".join(["padding"] * rng.randint(0, 30) + base)
        elif roll < 0.35:
            text = rng.choice(("", "gate", "a b"))
        else:
            text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 40)))
        posts.append(normalise(text))
    return known, posts


def pairwise(index: KnownTextIndex, posts: list[str]) -> list[list[tuple[int, float]]]:
    """The algorithm before issue 14: each candidate pair (every band compared in Python)
    verified with :func:`similarity` on the exact shingle sets."""
    from openiru.detect.neardup import _shingle_set

    out: list[list[tuple[int, float]]] = [[] for _ in posts]
    todo = [i for i, text in enumerate(posts) if len(text) >= 15]
    for grams, signatures, nonempty, owners in index._signatures([posts[i] for i in todo], todo):
        keys, r = band_keys(signatures, index.rows), index.rows
        known_keys = band_keys(index._sig, index.rows)
        for q in range(len(signatures)):
            row = int(nonempty[q])
            found = []
            for k in range(len(index)):
                if any(
                    keys[q, j] == known_keys[k, j]
                    and np.array_equal(index._sig[k, j * r : (j + 1) * r], signatures[q, j * r : (j + 1) * r])
                    for j in range(index.bands)
                ):
                    score = similarity(index._sets[k], _shingle_set(grams, row))
                    if score >= index._known[k].min_similarity:
                        found.append((index._known[k].id, round(score, 4)))
            out[owners[row]] = sorted(found, key=lambda m: (-m[1], m[0]))
    return out


def test_batch_matches_equal_the_pair_by_pair_algorithm() -> None:
    known, posts = corpus(3)
    index = KnownTextIndex(known)
    got = index.find_batch(posts)
    want = pairwise(index, posts)
    assert [[(m.known.id, m.similarity) for m in found] for found in got] == want
    assert sum(map(len, want)) > 300 and sum(1 for w in want if len(w) > 1) > 20  # many, and several per post
    assert all(isinstance(m, TextMatch) and type(m.similarity) is float for found in got for m in found)


def test_candidates_are_the_pairs_sharing_a_band() -> None:
    known, posts = corpus(4)
    index = KnownTextIndex(known)
    _, signatures, _, _ = next(index._signatures(posts[:400], list(range(400))))
    pairs = index._candidates(signatures)
    keys, known_keys = band_keys(signatures, index.rows), band_keys(index._sig, index.rows)
    brute = [
        (q, k) for q in range(len(signatures)) for k in range(len(index)) if (keys[q] == known_keys[k]).any()
    ]
    assert pairs == brute and len(pairs) > 1000


def test_a_post_and_an_index_without_shingles() -> None:
    assert KnownTextIndex([]).find_batch(["gate northern assembly"]) == [[]]
    index = KnownTextIndex([KnownText(1, "the assembly meets at the northern gate tonight")])
    found = index.find_batch(["", "gate", normalise("The assembly meets at the Northern Gate tonight!")])
    assert found[0] == [] and found[1] == [] and [m.known.id for m in found[2]] == [1]
    assert found[2][0].similarity == 1.0


def test_verification_stops_only_pairs_that_cannot_reach_the_count_they_need() -> None:
    """The early stop of the compiled merge: a pair comes back -1 exactly when its shared count
    (merged to the end) is below what it needs, else with that count."""
    from openiru.detect.neardup_kernel import common_counts, unique_runs

    rng = np.random.default_rng(5)
    sizes = rng.integers(0, 60, 400)
    hashes = rng.integers(0, 90, int(sizes.sum())).astype(np.uint32)  # small range: many shared values
    bounds = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    values, start, length = unique_runs(hashes, bounds, np.arange(400, dtype=np.int64))
    a, b = rng.integers(0, 400, 5000).astype(np.int64), rng.integers(0, 400, 5000).astype(np.int64)
    sets = (values, start, length)
    full = common_counts(*sets, a, *sets, b, np.zeros(5000, np.int64))
    want = [
        len(np.intersect1d(values[start[i] : start[i] + length[i]], values[start[j] : start[j] + length[j]]))
        for i, j in zip(a, b, strict=True)
    ]
    assert full.tolist() == want
    needed = rng.integers(0, 50, 5000).astype(np.int64)
    cut = common_counts(*sets, a, *sets, b, needed)
    assert cut.tolist() == [c if c >= n else -1 for c, n in zip(full.tolist(), needed.tolist(), strict=True)]
    assert 500 < int((cut == -1).sum()) < 4500


def test_permutations_and_bands_are_datasketchs() -> None:
    """The permutations and LSH bandings made without importing datasketch equal datasketch's."""
    from datasketch import MinHash, MinHashLSH

    from openiru.detect.minhash import KNOWN_BANDS, lsh_bands, permutations

    for num_perm, seed in ((64, 1), (128, 7), (3, 0)):
        a, b = permutations(num_perm, seed)
        want = MinHash(num_perm=num_perm, seed=seed, scheme="legacy").permutations
        assert a.dtype == b.dtype == np.uint64 and np.array_equal(np.stack([a, b]), want)
    for threshold, num_perm in [*KNOWN_BANDS, (0.65, 32)]:
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        assert lsh_bands(threshold, num_perm) == (lsh.b, lsh.r)
