"""Where flagged content links to, how that changes week by week, and which domains are emerging.

A domain is *known* when the platform registry names it (or a parent domain of it).  An unknown
domain is *emerging* when flagged content links to it often enough and its share of the week's
flagged links grows: a group launching its own platform, a new file host.  ``migration`` gives each
platform's share of a community's posts per ISO week (a community moving from one platform to
another).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from .content import domain_of

MIN_EMERGING_LINKS = 5
#: Relative growth of the weekly share over the period, and growth of the weekly links from the
#: earlier to the later half of the weeks, that make an unknown domain emerging.
GROWTH = 0.1
LINK_GROWTH = 1.5
#: Weeks with fewer links than this fraction of the median week are left out of the trend.
PARTIAL_WEEK = 0.25


@dataclass
class DomainStats:
    domain: str
    platform: str | None
    known: bool
    flagged_links: int
    first_seen: float
    weekly: list[dict[str, Any]] = field(default_factory=list)
    emerging: bool = False
    growth: float = 0.0


def iso_week(t: float) -> str:
    year, week, _ = datetime.fromtimestamp(t, tz=UTC).isocalendar()
    return f"{year}-W{week:02d}"


def registry_lookup(domain: str, registry: dict[str, str]) -> str | None:
    """The platform a domain belongs to, matching parent domains too (``m.example.org``)."""
    parts = domain.split(".")
    for k in range(len(parts) - 1):
        found = registry.get(".".join(parts[k:]))
        if found:
            return found
    return None


def plausible_domain(domain: str) -> bool:
    """A host name with a dot and an alphabetic top-level label of two or more letters."""
    labels = domain.split(".")
    return len(labels) >= 2 and all(labels) and labels[-1].isalpha() and len(labels[-1]) >= 2


def domain_stats(times: np.ndarray, urls: list[list[str]], registry: dict[str, str]) -> list[DomainStats]:
    """Per linked domain of the given (flagged) posts: counts, first time, weekly shares, emergence."""
    links: dict[str, list[float]] = defaultdict(list)
    week_total: Counter[str] = Counter()
    for t, post_urls in zip(times.tolist(), urls, strict=True):
        for domain in {d for d in (domain_of(u) for u in post_urls or () if "\u2026" not in u) if d}:
            if plausible_domain(domain):
                links[domain].append(t)
                week_total[iso_week(t)] += 1
    # A truncated URL ("drevan" of "drevanto.io") leaves a prefix of a domain seen far more often.
    for domain in [
        d
        for d in links
        if any(o != d and o.startswith(d) and len(links[o]) >= 3 * len(links[d]) for o in links)
    ]:
        for t in links.pop(domain):
            week_total[iso_week(t)] -= 1
    weeks = sorted(week_total)
    full = _full_weeks(weeks, week_total)
    out = []
    for domain, ts in links.items():
        platform = registry_lookup(domain, registry)
        per_week = Counter(iso_week(t) for t in ts)
        weekly = [
            {
                "week": w,
                "links": per_week.get(w, 0),
                "share": round(per_week.get(w, 0) / week_total[w], 4) if week_total[w] else 0.0,
            }
            for w in weeks
        ]
        stats = DomainStats(domain, platform, platform is not None, len(ts), min(ts), weekly)
        stats.growth, stats.emerging = _growth([w for w in weekly if w["week"] in full], len(ts), stats.known)
        out.append(stats)
    out.sort(key=lambda s: (-s.flagged_links, s.domain))
    return out


def _full_weeks(weeks: list[str], total: Counter[str]) -> set[str]:
    """Weeks with enough links to compare shares (a partial first or last week has few)."""
    if not weeks:
        return set()
    median = float(np.median([total[w] for w in weeks]))
    return {w for w in weeks if total[w] >= PARTIAL_WEEK * median}


def _growth(weekly: list[dict[str, Any]], total: int, known: bool) -> tuple[float, bool]:
    """Relative growth of the weekly share over the period (least-squares slope x span / mean share).

    Emerging: unknown, at least :data:`MIN_EMERGING_LINKS` links, a relative share growth of at least
    :data:`GROWTH`, and :data:`LINK_GROWTH` times as many links in the later half of the weeks as in
    the earlier half.
    """
    if len(weekly) < 3:
        return 0.0, False
    shares = np.asarray([w["share"] for w in weekly])
    x = np.arange(len(shares), dtype=np.float64)
    mean = float(shares.mean())
    if mean <= 0:
        return 0.0, False
    slope = float(np.polyfit(x, shares, 1)[0])
    growth = slope * (len(shares) - 1) / mean
    half = len(weekly) // 2
    early = sum(w["links"] for w in weekly[:half])
    late = sum(w["links"] for w in weekly[half:])
    emerging = not known and total >= MIN_EMERGING_LINKS and growth >= GROWTH and late >= LINK_GROWTH * early
    return round(growth, 3), emerging


def migration(times: np.ndarray, platforms: list[str]) -> list[dict[str, Any]]:
    """Share of the given posts per platform per ISO week."""
    per_week: dict[str, Counter[str]] = defaultdict(Counter)
    for t, p in zip(times.tolist(), platforms, strict=True):
        per_week[iso_week(t)][p] += 1
    out = []
    for week in sorted(per_week):
        counts = per_week[week]
        total = sum(counts.values())
        out.append(
            {
                "week": week,
                "posts": total,
                "platforms": {
                    p: {"posts": c, "share": round(c / total, 4)} for p, c in sorted(counts.items())
                },
            }
        )
    return out
