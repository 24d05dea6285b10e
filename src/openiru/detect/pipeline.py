"""The detection pipeline: every matcher over a batch of posts, pure and in memory.

A :class:`Detector` takes a :class:`~openiru.detect.rules.Ruleset` (what the banks
and lexicons hold) and the matchers compiled from it: by default every
``openiru.matchers`` entry point, the built-ins (:mod:`openiru.detect.matchers`)
and installed plug-ins alike.  It scans batches of
:class:`~openiru.detect.evidence.ScanPost`: the media matchers, then the text
matchers, each kind in its ``order``; then suppression and quarantine over every
matcher's hits.  Suppression banks veto matches on the same media or text;
quarantined bank items still produce hits, marked suppressed, so their evidence is
kept without alerting.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..plugins import matchers as registered_matchers
from .evidence import ScanPost, ScanResult
from .matcher import KINDS, MEDIA, TEXT, BuiltinMatcher, Matcher, MatcherExample
from .normalise import normalise
from .rules import BANK_KINDS, EXACT_KINDS, BankItem, BankSpec, PackedPDQ, Ruleset

__all__ = [
    "BANK_KINDS",
    "EXACT_KINDS",
    "BankItem",
    "BankSpec",
    "BuiltinMatcher",
    "Detector",
    "Matcher",
    "MatcherExample",
    "PackedPDQ",
    "Ruleset",
    "compile_matchers",
]


def compile_matchers(ruleset: Ruleset) -> list[Matcher]:
    """Every registered matcher (``openiru.matchers`` entry points), compiled for ``ruleset``."""
    return [factory(ruleset) for factory in registered_matchers().values()]


class Detector:
    """A compiled ruleset: its matchers, media first, each kind in ``order`` (then name)."""

    def __init__(self, ruleset: Ruleset, matchers: Iterable[Matcher] | None = None) -> None:
        self.ruleset = ruleset
        found = compile_matchers(ruleset) if matchers is None else list(matchers)
        for m in found:
            if m.kind not in KINDS:
                raise ValueError(f"matcher {m.name!r} has kind {m.kind!r}; kinds: {', '.join(KINDS)}")
        found.sort(key=lambda m: (m.order, m.name))
        self.media_matchers = [m for m in found if m.kind == MEDIA]
        self.text_matchers = [m for m in found if m.kind == TEXT]
        #: hits of these matchers are vetoed by a suppression bank's match on the post's text
        self.text_vetoed = {"text", "term"} | {m.name for m in self.text_matchers if m.text_veto}

    @property
    def matchers(self) -> list[Matcher]:
        return self.media_matchers + self.text_matchers

    # ------------------------------------------------------------------ scan
    def scan(self, posts: Sequence[ScanPost], *, media: bool = True) -> list[ScanResult]:
        """Every matcher over a batch of posts; ``media=False`` leaves out the media matchers,
        whose hits :meth:`scan_media` gives on their own: media hits come first in a post's
        hits and do not depend on the text's, so the two add up to :meth:`scan` (see
        :mod:`openiru.detect.parallel`)."""
        results = [ScanResult(p) for p in posts]
        if media:
            self._media(results)
        normalised = [normalise(p.text) for p in posts]
        for matcher in self.text_matchers:
            matcher.apply(results, normalised)
        for result in results:
            self._apply_suppression(result, media_level=False)
        return results

    def scan_media(self, posts: Sequence[ScanPost]) -> list[ScanResult]:
        """Only the media matchers' results (with suppression)."""
        results = [ScanResult(p) for p in posts]
        if any(p.media for p in posts):
            self._media(results)
        return results

    def _media(self, results: list[ScanResult]) -> None:
        blank = [""] * len(results)
        for matcher in self.media_matchers:
            matcher.apply(results, blank)
        for result in results:
            self._apply_suppression(result, media_level=True)

    def _apply_suppression(self, result: ScanResult, media_level: bool) -> None:
        """Suppression-bank matches veto the other matches on the same media (or the text);
        quarantined items' hits are kept but do not alert."""
        vetoed_media: set[str | None] = set()
        text_vetoed = False
        for hit in result.hits:
            spec = self.ruleset.banks.get(hit.bank or "")
            if spec is not None and spec.purpose == "suppression":
                hit.suppressed = True
                hit.detail["suppression"] = True
                if hit.media_key is not None:
                    vetoed_media.add(hit.media_key)
                elif hit.matcher == "text":
                    text_vetoed = True
        for hit in result.hits:
            if hit.media_key is not None and hit.media_key in vetoed_media:
                hit.suppressed = True
            if not media_level and text_vetoed and hit.matcher in self.text_vetoed:
                hit.suppressed = True
            if hit.item_id is not None and hit.matcher != "term" and self._quarantined(hit.item_id):
                hit.suppressed = True
                hit.detail["quarantined"] = True

    def _quarantined(self, item_id: int) -> bool:
        return item_id in self.quarantined_ids

    @property
    def quarantined_ids(self) -> set[int]:
        cached = getattr(self, "_quarantined_ids", None)
        if cached is None:
            cached = {
                i.id for i in self.ruleset.items if i.status == "quarantined"
            } | self.ruleset.quarantined
            self._quarantined_ids = cached
        return cached

    def quarantine(self, item_ids: Iterable[int]) -> None:
        """Treat these bank items as quarantined from now on."""
        self.quarantined_ids.update(item_ids)
