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
