"""Deadline policies with clock stops, computed on an injected clock.

A voluntary referral carries the unit's own 2-hour target; a TCO removal
order must be executed within 1 hour of receipt (Regulation 2021/784 Art.
3(3)).  The clock stops during force majeure or while the provider waits for a
clarification and runs again when that ends (Art. 3(7), 3(8)): each pause
adds its length to the deadline; an open pause stops the clock at its start.

Until a referral is sent the deadline is provisional, counted from creation,
so that drafts left waiting show up as overdue too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..model import parse_time
from .workflow import OPEN_STATES, Kind, State

POLICIES: dict[str, timedelta] = {
    Kind.REFERRAL.value: timedelta(hours=2),
    Kind.REMOVAL_ORDER.value: timedelta(hours=1),
}
PAUSE_REASONS = ("force_majeure", "clarification")
SOON_DUE = timedelta(minutes=30)


@dataclass(frozen=True, slots=True)
class Pause:
    start: datetime
    end: datetime | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat() if self.end else None,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Pause:
        return cls(
            parse_time(d["start"]),
            parse_time(d["end"]) if d.get("end") else None,
            str(d.get("reason") or "clarification"),
        )


def policy_for(kind: str) -> timedelta:
    try:
        return POLICIES[kind]
    except KeyError:
        raise ValueError(f"unknown referral kind {kind!r}; kinds: {', '.join(POLICIES)}") from None


def paused_time(pauses: Iterable[Pause], until: datetime) -> timedelta:
    """Total stopped time up to ``until`` (an open pause counts up to ``until``)."""
    total = timedelta()
    for p in pauses:
        end = min(p.end or until, until)
        if end > p.start:
            total += end - p.start
    return total


def is_paused(pauses: Iterable[Pause]) -> bool:
    return any(p.end is None for p in pauses)


def deadline(
    kind: str, created_at: datetime, sent_at: datetime | None, pauses: Iterable[Pause], now: datetime
) -> datetime:
    """The moment the provider's time runs out, as known at ``now``.

    With an open pause the deadline moves forward as time passes (the clock
    is stopped), so it is computed up to ``now``.
    """
    pauses = list(pauses)
    start = sent_at or created_at
    relevant = [p for p in pauses if p.start >= start]
    return start + policy_for(kind) + paused_time(relevant, now)


def is_overdue(state: str, due: datetime | None, now: datetime, pauses: Iterable[Pause] = ()) -> bool:
    if due is None or State(state) not in OPEN_STATES or is_paused(pauses):
        return False
    return now > due


def is_soon_due(
    state: str,
    due: datetime | None,
    now: datetime,
    pauses: Iterable[Pause] = (),
    within: timedelta = SOON_DUE,
) -> bool:
    if due is None or State(state) not in OPEN_STATES or is_paused(pauses):
        return False
    return now <= due <= now + within


def elapsed_excluding_pauses(
    start: datetime | None, end: datetime | None, pauses: Iterable[Pause]
) -> timedelta | None:
    """Working time between two moments, stopped-clock time left out."""
    if start is None or end is None:
        return None
    relevant = [p for p in pauses if p.start >= start]
    return end - start - paused_time(relevant, end)
