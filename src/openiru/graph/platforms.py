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

MIN_EMERGING_LINKS = 3
GROWTH_FACTOR = 1.5


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


def domain_stats(times: np.ndarray, urls: list[list[str]], registry: dict[str, str]) -> list[DomainStats]:
    """Per linked domain of the given (flagged) posts: counts, first time, weekly shares, emergence."""
    links: dict[str, list[float]] = defaultdict(list)
    week_total: Counter[str] = Counter()
    for t, post_urls in zip(times.tolist(), urls, strict=True):
        for domain in {d for d in (domain_of(u) for u in post_urls or ()) if d}:
            links[domain].append(t)
            week_total[iso_week(t)] += 1
    weeks = sorted(week_total)
    out = []
    for domain, ts in links.items():
        platform = registry_lookup(domain, registry)
        per_week = Counter(iso_week(t) for t in ts)
        weekly = [{"week": w, "links": per_week.get(w, 0),
                   "share": round(per_week.get(w, 0) / week_total[w], 4)} for w in weeks]
        stats = DomainStats(domain, platform, platform is not None, len(ts), min(ts), weekly)
        stats.growth, stats.emerging = _growth(weekly, len(ts), stats.known)
        out.append(stats)
    out.sort(key=lambda s: (-s.flagged_links, s.domain))
    return out


def _growth(weekly: list[dict[str, Any]], total: int, known: bool) -> tuple[float, bool]:
    """Late share over early share of the week's flagged links (early weeks without links count 0)."""
    shares = [w["share"] for w in weekly]
    if len(shares) < 2:
        return 0.0, False
    half = len(shares) // 2
    early = float(np.mean(shares[:half])) if half else 0.0
    late = float(np.mean(shares[half:]))
    growth = late / early if early > 0 else (float("inf") if late > 0 else 0.0)
    late_links = sum(w["links"] for w in weekly[half:])
    emerging = (not known and total >= MIN_EMERGING_LINKS and late_links >= 2
                and growth >= GROWTH_FACTOR)
    return (round(growth, 3) if np.isfinite(growth) else 1e9), emerging


def migration(times: np.ndarray, platforms: list[str]) -> list[dict[str, Any]]:
    """Share of the given posts per platform per ISO week."""
    per_week: dict[str, Counter[str]] = defaultdict(Counter)
    for t, p in zip(times.tolist(), platforms, strict=True):
        per_week[iso_week(t)][p] += 1
    out = []
    for week in sorted(per_week):
        counts = per_week[week]
        total = sum(counts.values())
        out.append({"week": week, "posts": total,
                    "platforms": {p: {"posts": c, "share": round(c / total, 4)}
                                  for p, c in sorted(counts.items())}})
    return out
