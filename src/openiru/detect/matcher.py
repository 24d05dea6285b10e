"""The Matcher extension point: what a built-in or plug-in matcher is.

Every matcher, built-in or third-party, is an ``openiru.matchers`` entry point naming a
factory ``factory(ruleset) -> Matcher`` (a Matcher class taking the ruleset is one).  A
matcher is of kind ``media`` (it looks at a post's media: hashes, PDQ) or ``text`` (it looks
at the text, links, hashtags).  The :class:`~openiru.detect.pipeline.Detector` runs the
media matchers, then the text matchers, each kind in ``order``, and applies suppression
banks and quarantine to every matcher's hits afterwards: a plug-in's hits are vetoed by a
suppression bank exactly like a built-in's.

:meth:`Matcher.get_examples` gives small examples (a ruleset, posts the matcher must hit and
posts it must not); ``tests/contracts/`` runs one suite over every registered matcher with
them, a third-party plug-in included.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field

from .evidence import Hit, ScanPost, ScanResult
from .rules import Ruleset

MEDIA = "media"
TEXT = "text"
KINDS = (MEDIA, TEXT)


@dataclass
class MatcherExample:
    """A ruleset with posts the matcher must hit (``hit``) and posts it must leave alone (``miss``)."""

    ruleset: Ruleset
    hit: list[ScanPost]
    miss: list[ScanPost] = field(default_factory=list)


class Matcher(ABC):
    """A matcher over batches of posts.

    ``name`` is the ``matcher`` of the hits it makes; ``kind`` is ``media`` or ``text``;
    ``order`` places it among the matchers of its kind (built-ins 10-50, plug-ins 100 by
    default).  ``text_veto``: a text matcher whose hits a suppression bank's match on the
    post's text vetoes (known texts and lexicon terms do; links, wallets and the classifier
    judge something else).
    """

    name: str = "plugin"
    kind: str = TEXT
    order: int = 100
    text_veto: bool = True

    @abstractmethod
    def scan(self, posts: Sequence[ScanPost], normalised: Sequence[str]) -> list[list[Hit]]:
        """Hits per post, in order.  ``normalised`` holds each post's normalised text (empty
        strings for media matchers, which the text is not normalised for)."""

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        """Add this matcher's hits (and signals) to ``results``: by default :meth:`scan`'s hits."""
        found = self.scan([r.post for r in results], normalised)
        for result, hits in zip(results, found, strict=True):
            result.hits.extend(hits)

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        """Small examples for the contract suite (none by default)."""
        return []


class BuiltinMatcher(Matcher):
    """A matcher that adds hits, signals or probabilities to results directly (:meth:`apply`)."""

    @abstractmethod
    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        """Add this matcher's findings to ``results``."""

    def scan(self, posts: Sequence[ScanPost], normalised: Sequence[str]) -> list[list[Hit]]:
        results = [ScanResult(p) for p in posts]
        self.apply(results, normalised)
        return [r.hits for r in results]
