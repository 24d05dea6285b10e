"""Statistics figures computed from plain referral records (pure: no database, no clock).

A :class:`Referral` is one referral as the store keeps it, reduced to what the figures
need; every figure is defined in docs/reports.md.  Items are the referral's targets (the
unit the EU IRU counts), times are per referral (all its items share one answer).
Percentiles interpolate linearly between the closest ranks (numpy's default, Hyndman &
Fan type 7).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

HOUR = 3600.0

#: Outcome of a referral -> the key its items are counted under.
OUTCOME_KEYS = {
    "removed": "removed",
    "access_disabled": "access_disabled",
    "rejected": "refused",
    "no_response": "no_response",
    "sent": "pending",
    "acknowledged": "pending",
    "on_hold": "on_hold",
    "withdrawn": "withdrawn",
    "draft": "not_sent",
    "approved": "not_sent",
}
COUNT_KEYS = (
    "removed",
    "access_disabled",
    "refused",
    "no_response",
    "pending",
    "on_hold",
    "withdrawn",
    "not_sent",
)


@dataclass(slots=True)
class Item:
    platform: str | None
    language: str | None
    key: str


@dataclass(slots=True)
class Referral:
    id: int
    kind: str
    state: str
    provider: str | None
    created_at: datetime
    sent_at: datetime | None
    items: list[Item]
    ack_s: float | None = None  # sending -> acknowledgement, clock stops excluded
    removal_s: float | None = None  # sending -> removal / disabling, clock stops excluded
    resolved_at: datetime | None = None
    held: bool = False  # ever put on hold by deconfliction
    agency: str | None = None
    operation_id: int | None = None
    cross_border: bool | None = None
    labels: set[str] = field(default_factory=set)

    @property
    def down(self) -> bool:
        return self.state in ("removed", "access_disabled")


def percentile(values: list[float], q: float) -> float | None:
    """The ``q``-th percentile (0-100), linear interpolation; None for no values."""
    if not values:
        return None
    return float(np.percentile(np.asarray(values, dtype=float), q))


def durations(values: Iterable[float | None]) -> dict[str, Any]:
    """Count, median, p90 (seconds), mean and the share within 1 hour and 2 hours."""
    vals = sorted(float(v) for v in values if v is not None)
    n = len(vals)
    med, p90 = percentile(vals, 50), percentile(vals, 90)
    return {
        "n": n,
        "median_s": _r(med),
        "p90_s": _r(p90),
        "mean_s": _r(sum(vals) / n) if n else None,
        "within_1h": sum(v <= HOUR for v in vals),
        "within_2h": sum(v <= 2 * HOUR for v in vals),
        "share_within_1h": rate(sum(v <= HOUR for v in vals), n),
        "share_within_2h": rate(sum(v <= 2 * HOUR for v in vals), n),
    }


def rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _r(v: float | None) -> float | None:
    return round(v, 1) if v is not None else None


def referral_figures(refs: list[Referral]) -> dict[str, Any]:
    """Items referred and their outcomes, removal rate, times, deconfliction holds."""
    counts = dict.fromkeys(COUNT_KEYS, 0)
    for r in refs:
        counts[OUTCOME_KEYS.get(r.state, "pending")] += len(r.items)
    sent = [r for r in refs if r.sent_at is not None]
    items_sent = sum(len(r.items) for r in sent)
    items_down = sum(len(r.items) for r in sent if r.down)
    answered = sum(len(r.items) for r in sent if r.state in ("removed", "access_disabled", "rejected"))
    return {
        "referrals": len(refs),
        "removal_orders": sum(r.kind == "removal-order" for r in refs),
        "items_referred": sum(len(r.items) for r in refs),
        "referrals_sent": len(sent),
        "items_sent": items_sent,
        **counts,
        "removal_rate": rate(items_down, items_sent),
        "answer_rate": rate(answered, items_sent),
        "time_to_acknowledgement": durations(r.ack_s for r in sent),
        "time_to_removal": durations(r.removal_s for r in sent if r.down),
        "deconfliction_holds": sum(r.held for r in refs),
        "platforms": sorted({i.platform for r in refs for i in r.items if i.platform}),
        "languages": sorted({i.language for r in refs for i in r.items if i.language}),
        "providers": sorted({r.provider for r in refs if r.provider}),
    }


def compliance(refs: list[Referral], deadline_s: Callable[[str], float]) -> list[dict[str, Any]]:
    """Per provider: items sent and their outcomes, removal rate, median time to removal and the
    share of sent referrals removed or disabled within their deadline (``deadline_s(kind)``)."""
    by: dict[str, list[Referral]] = {}
    for r in refs:
        if r.sent_at is not None:
            by.setdefault(r.provider or "(none)", []).append(r)
    rows = []
    for provider, group in sorted(by.items()):
        f = referral_figures(group)
        on_time = sum(
            1 for r in group if r.down and r.removal_s is not None and r.removal_s <= deadline_s(r.kind)
        )
        rows.append(
            {
                "provider": provider,
                "referrals_sent": f["referrals_sent"],
                "items_sent": f["items_sent"],
                "removed": f["removed"],
                "access_disabled": f["access_disabled"],
                "refused": f["refused"],
                "no_response": f["no_response"],
                "pending": f["pending"],
                "removal_rate": f["removal_rate"],
                "median_time_to_removal_s": f["time_to_removal"]["median_s"],
                "p90_time_to_removal_s": f["time_to_removal"]["p90_s"],
                "within_deadline": on_time,
                "share_within_deadline": rate(on_time, len(group)),
            }
        )
    return rows


def group_key(by: str, r: Referral, item: Item | None = None) -> str:
    if by == "provider":
        return r.provider or "(none)"
    if by == "week":
        t = r.created_at
        return date.fromordinal(t.date().toordinal() - t.weekday()).isoformat()
    if by == "platform":
        return (item.platform if item else None) or "(unknown)"
    if by == "language":
        return (item.language if item else None) or "(unknown)"
    raise ValueError(by)


def split(refs: list[Referral], by: str) -> dict[str, list[Referral]]:
    """Referrals grouped by provider or week; by platform or language each referral is cut
    into the part whose items have that platform or language (its answer and times kept)."""
    groups: dict[str, list[Referral]] = {}
    for r in refs:
        if by in ("provider", "week"):
            groups.setdefault(group_key(by, r), []).append(r)
            continue
        parts: dict[str, list[Item]] = {}
        for item in r.items:
            parts.setdefault(group_key(by, r, item), []).append(item)
        for k, items in parts.items():
            groups.setdefault(k, []).append(r if len(parts) == 1 else _with_items(r, items))
    return dict(sorted(groups.items()))


def _with_items(r: Referral, items: list[Item]) -> Referral:
    return Referral(
        r.id,
        r.kind,
        r.state,
        r.provider,
        r.created_at,
        r.sent_at,
        items,
        r.ack_s,
        r.removal_s,
        r.resolved_at,
        r.held,
        r.agency,
        r.operation_id,
        r.cross_border,
        r.labels,
    )
