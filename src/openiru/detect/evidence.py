"""What a scan produces: hits with their evidence, signals, and how they add up.

A :class:`Hit` is one piece of evidence on a post: which matcher, which bank item
(or lexicon term), the PDQ distance or text similarity, the matched term and its
span in the original text.  A :class:`Signal` is an indicator that is not evidence
on its own (a wallet, a donation link, a link to a file host or to an unknown
site) but links accounts and platforms.  :func:`combined_strength` and
:func:`priority` turn hits into the triage order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MATCHERS = ("pdq", "md5", "sha256", "url", "text", "term", "classifier")


@dataclass(slots=True)
class ScanMedia:
    key: str
    sha256: str | None = None
    md5: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    path: str | None = None
    mime: str | None = None
    #: the video's vPDQ signal, where it was hashed already (else the vpdq matcher hashes ``path``)
    vpdq: str | None = None
    #: text read from the medium where it was read already: OCR of an image, a document's pages
    #: joined by form feeds (else the media-text matcher reads ``path``)
    text: str | None = None
    #: the PDQ of the images inside a document, ``(page, pdq, quality)``, where they were read
    images: list[tuple[int, str, int]] | None = None


@dataclass(slots=True)
class ScanPost:
    platform: str
    post_id: str
    account_id: str
    text: str = ""
    urls: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    media: list[ScanMedia] = field(default_factory=list)
    timestamp: datetime | None = None
    language: str | None = None


@dataclass(slots=True)
class Hit:
    matcher: str
    strength: float
    bank: str | None = None
    item_id: int | None = None
    item: str | None = None
    label: str | None = None
    media_key: str | None = None
    distance: int | None = None
    similarity: float | None = None
    term: str | None = None
    span: tuple[int, int] | None = None
    suppressed: bool = False
    detail: dict[str, Any] = field(default_factory=dict)

    def evidence(self) -> dict[str, Any]:
        """The JSON form used by ``openiru alerts --json`` (keys only where known)."""
        out: dict[str, Any] = {
            "matcher": self.matcher,
            "bank": self.bank,
            "item": self.item,
            "label": self.label,
            "strength": round(self.strength, 4),
        }
        for name in ("item_id", "media_key", "distance", "similarity", "term"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.span is not None:
            out["span"] = list(self.span)
        if self.suppressed:
            out["suppressed"] = True
        out.update(self.detail)
        return out


@dataclass(frozen=True, slots=True)
class Signal:
    kind: str  # wallet | donation-link | file-host | paste | unknown-domain | outlet-link
    value: str
    label: str | None = None


@dataclass(slots=True)
class ScanResult:
    post: ScanPost
    hits: list[Hit] = field(default_factory=list)
    signals: list[Signal] = field(default_factory=list)
    language: str | None = None
    #: the active classifier's probability for this post, when it was classified
    model_probability: float | None = None

    @property
    def alerting_hits(self) -> list[Hit]:
        return [h for h in self.hits if not h.suppressed]


def pdq_strength(distance: int, max_distance: int) -> float:
    """1.0 for an identical image, falling to about 0.5 at the bank's threshold."""
    return 1.0 - 0.5 * distance / (max_distance + 1)


TERM_STRENGTH = {"term": 0.5, "hashtag": 0.5, "outlet": 0.6}


def combined_strength(hits: list[Hit]) -> float:
    """Independent-evidence combination: 1 - prod(1 - s) over unsuppressed hits."""
    remaining = 1.0
    for hit in hits:
        if not hit.suppressed:
            remaining *= 1.0 - min(max(hit.strength, 0.0), 1.0)
    return 1.0 - remaining


def priority(
    strength: float,
    *,
    followers: int | None = None,
    reach: int = 0,
    timestamp: datetime | None = None,
    now: datetime | None = None,
    account_alerts: int = 0,
) -> float:
    """Triage priority 0..1: strength of evidence first, then the account's rank
    (followers, how many alerts it already has), the post's reach (reposts, quotes,
    replies) and freshness (half-life of two weeks)."""
    rank = min(1.0, math.log10(1 + (followers or 0)) / 6) * 0.6 + min(1.0, account_alerts / 20) * 0.4
    reach_score = min(1.0, math.log10(1 + reach) / 3)
    fresh = 0.0
    if timestamp is not None and now is not None:
        age_days = max((now - timestamp).total_seconds() / 86400, 0.0)
        fresh = 0.5 ** (age_days / 14)
    return round(0.55 * strength + 0.15 * rank + 0.15 * reach_score + 0.15 * fresh, 6)
