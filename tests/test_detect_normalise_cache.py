"""The normaliser's cache (issue 14, scan speed): the same results as the uncached normaliser,
long texts not cached, and a scan batch normalising each post text once for the matchers and its
token index together."""

from __future__ import annotations

import uuid

import pytest

from openiru.detect import normalise as norm
from openiru.detect.evidence import ScanPost, ScanResult
from openiru.services.detect.tokens import post_tokens

TEXTS = [
    "Plain words, nothing more.",
    "D43SH l33t and #Hash_Tag",
    "Ｆｕｌｌ-width ﬁ ligature and ÀCCENTS",
    "бюллетень зеркало архива",
    "مرآة الأرشيف",
    "d a e s h spaced out",
    "x" * (norm.CACHED_CHARS + 1) + " Long Tail",
]


def test_cached_normalise_equals_the_normaliser_and_skips_long_texts() -> None:
    for text in TEXTS:
        assert norm.normalise(text) == norm._normalise(text)
        assert norm.normalise(text) == norm._normalise(text)  # from the cache the second time
    cached = norm._normalise_cached.cache_info().currsize
    norm.normalise("y" * (norm.CACHED_CHARS + 5))
    assert norm._normalise_cached.cache_info().currsize == cached  # a long text is not kept


def test_tokens_after_the_matchers_reuse_their_normalised_texts(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    inner = norm._normalise

    def counting(text: str) -> str:
        calls.append(text)
        return inner(text)

    monkeypatch.setattr(norm, "_normalise", counting)
    run = uuid.uuid4().hex  # texts no earlier test has put in the cache
    texts = [f"cache probe {run} {k} #Probe{run}{k % 3}" for k in range(50)]
    results = [
        ScanResult(ScanPost("test", f"p{k}", "a", t, hashtags=[f"Probe{run}{k % 3}"]))
        for k, t in enumerate(texts)
    ]
    matched = [norm.normalise(r.post.text) for r in results]  # the pipeline's pass
    tokens = [post_tokens(r.post.text, r.post.hashtags) for r in results]  # the token index's pass
    assert calls.count(texts[7]) == 1
    assert len(calls) == 50 + 3  # each text once, each distinct hashtag once
    assert all(m.split()[0] in t for m, t in zip(matched, tokens, strict=True))
