"""The matcher contract, run over every registered matcher (``openiru.matchers`` entry points: the
built-ins and any installed plug-in) with the examples its ``get_examples()`` gives.

* it finds something (a hit or a signal) on each example's posts and nothing on its counter-examples;
* its hits are well formed (strength in 0..1, a bank the ruleset has, a media key the post has);
* it keeps to its kind: a media matcher finds the same without the text, a text matcher without the media;
* one batch gives what post-by-post scans give, whatever else is in the batch;
* damaged posts (odd text, malformed hashes and links) never make it raise;
* through the Detector, with every registered matcher, the example's posts alert.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace

import pytest

from openiru.detect.evidence import Hit, ScanMedia, ScanPost, ScanResult
from openiru.detect.matcher import KINDS, MEDIA, Matcher, MatcherExample
from openiru.detect.normalise import normalise
from openiru.detect.pipeline import Detector
from openiru.plugins import matchers

REGISTERED = matchers()
CASES = [
    pytest.param(name, i, ex, id=f"{name}-{i}")
    for name in sorted(REGISTERED)
    for i, ex in enumerate(REGISTERED[name].get_examples())
]


def run(matcher: Matcher, posts: Sequence[ScanPost]) -> list[ScanResult]:
    results = [ScanResult(p) for p in posts]
    normalised = [""] * len(posts) if matcher.kind == MEDIA else [normalise(p.text) for p in posts]
    matcher.apply(results, normalised)
    return results


def findings(result: ScanResult) -> list[object]:
    return [*result.hits, *result.signals]


def fingerprint(result: ScanResult) -> list[object]:
    return [repr(h) for h in result.hits] + [repr(s) for s in result.signals] + [result.model_probability]


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_every_matcher_gives_examples_and_a_kind(name: str) -> None:
    factory = REGISTERED[name]
    examples = factory.get_examples()
    assert examples, (
        f"{name}: give get_examples() (a ruleset, posts it hits, posts it leaves) for the contract"
    )
    assert all(isinstance(e, MatcherExample) and e.hit for e in examples)
    matcher = factory(examples[0].ruleset)
    assert isinstance(matcher, Matcher) and matcher.kind in KINDS


@pytest.mark.parametrize("name, n, example", CASES)
def test_hits_its_examples_and_leaves_the_others(name: str, n: int, example: MatcherExample) -> None:
    matcher = REGISTERED[name](example.ruleset)
    for post, result in zip(example.hit, run(matcher, example.hit), strict=True):
        assert findings(result), f"{name} found nothing in {post}"
    for post, result in zip(example.miss, run(matcher, example.miss), strict=True):
        assert not findings(result), f"{name} found {findings(result)} in {post}"


@pytest.mark.parametrize("name, n, example", CASES)
def test_hits_are_well_formed(name: str, n: int, example: MatcherExample) -> None:
    matcher = REGISTERED[name](example.ruleset)
    lexicons = {t.lexicon for t in example.ruleset.terms}
    for result in run(matcher, example.hit):
        for hit in result.hits:
            assert isinstance(hit, Hit) and hit.matcher
            assert 0.0 <= hit.strength <= 1.0
            assert hit.bank is None or hit.bank in example.ruleset.banks or hit.bank in lexicons
            assert not hit.suppressed  # suppression is the Detector's, after every matcher
            if hit.media_key is not None:
                assert hit.media_key in {m.key for m in result.post.media}


@pytest.mark.parametrize("name, n, example", CASES)
def test_keeps_to_its_kind(name: str, n: int, example: MatcherExample) -> None:
    matcher = REGISTERED[name](example.ruleset)
    if matcher.kind == MEDIA:
        stripped = [replace(p, text="", urls=[], hashtags=[]) for p in example.hit]
    else:
        stripped = [replace(p, media=[]) for p in example.hit]
    assert [fingerprint(r) for r in run(matcher, stripped)] == [
        fingerprint(r) for r in run(matcher, example.hit)
    ]


@pytest.mark.parametrize("name, n, example", CASES)
def test_a_batch_gives_what_single_posts_give(name: str, n: int, example: MatcherExample) -> None:
    posts = [*example.miss, *example.hit, *example.miss]
    batch = run(REGISTERED[name](example.ruleset), posts)
    alone = [run(REGISTERED[name](example.ruleset), [p])[0] for p in posts]
    assert [fingerprint(r) for r in batch] == [fingerprint(r) for r in alone]


ODD_TEXTS = [
    "",
    " ",
    "\x00" * 5,
    "\ud800 lone surrogate",
    "\u202e\u200b" * 50,
    "#" * 3000,
    "a" * 100_000,
    "https://",
    "http://[::1",
    "bc1" + "q" * 80,
    "#\u0000tag",
    "\U0001f600" * 500,
]
ODD_HASHES = [None, "", "zz", "0" * 63, "g" * 64, "F" * 64, "0" * 1000]


@pytest.mark.parametrize("name, n, example", CASES)
def test_damaged_posts_never_raise(name: str, n: int, example: MatcherExample) -> None:
    matcher = REGISTERED[name](example.ruleset)
    base = example.hit[0]
    posts = [
        replace(
            base, post_id=f"odd{i}", text=t, hashtags=[t[:50], ""], urls=[t[:200], "::", "http://x:99999"]
        )
        for i, t in enumerate(ODD_TEXTS)
    ]
    posts += [
        replace(base, post_id=f"hash{i}", media=[ScanMedia(f"m{i}", sha256=h, md5=h, pdq=h, pdq_quality=q)])
        for i, h in enumerate(ODD_HASHES)
        for q in (None, -1, 101)
    ]
    results = run(matcher, posts)  # never raises
    assert len(results) == len(posts)


@pytest.mark.parametrize("name, n, example", CASES)
def test_through_the_detector_the_examples_alert(name: str, n: int, example: MatcherExample) -> None:
    detector = Detector(copy.deepcopy(example.ruleset))
    for result in detector.scan(example.hit):
        assert findings(result)
        assert all(not h.suppressed for h in result.hits)
