"""What detection found, for the other areas (network analytics, referral, reports).

A read-only contract over the detection tables:

* :func:`flagged_posts` yields every post with an alert: its strength of evidence,
  its triage status, and the TCO Regulation Art. 1(3) exemption when an analyst
  rejected it for one (journalism, research, counter-speech, education, art);
* :func:`account_exemptions` gives, per account, the exemption analysts recorded
  when they rejected that account's posts.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa

from ...store import tables_detect as td

#: Rejection reasons that are exemptions under Art. 1(3) of Regulation (EU) 2021/784.
EXEMPTIONS = ("journalism", "research", "counter-speech", "education", "art")

#: Alert status in the detect tables -> status in this contract.
_STATUS = {"open": "matched", "confirmed": "confirmed", "rejected": "rejected"}


@dataclass(frozen=True, slots=True)
class FlaggedPost:
    """A post that detection flagged.

    ``strength`` is the combined strength of evidence, 0..1; ``status`` is
    ``"matched"`` (not yet reviewed), ``"confirmed"`` or ``"rejected"``;
    ``exemption`` is one of :data:`EXEMPTIONS` when an analyst rejected the post for it.
    """

    platform: str
    post_id: str
    strength: float
    status: str
    exemption: str | None = None


def exemption_of(reason: str | None) -> str | None:
    """The Art. 1(3) exemption a rejection reason names, if any (``"Journalism"`` too)."""
    if not reason:
        return None
    cleaned = reason.strip().lower().replace("_", "-").replace(" ", "-")
    if cleaned == "counterspeech":
        cleaned = "counter-speech"
    return cleaned if cleaned in EXEMPTIONS else None


def flagged_posts(conn: sa.Connection) -> Iterator[FlaggedPost]:
    """Every post with an alert, strongest first."""
    a = td.detect_alerts
    rows = conn.execute(
        sa.select(a.c.platform, a.c.post_id, a.c.strength, a.c.status, a.c.reason).order_by(
            a.c.strength.desc(), a.c.platform, a.c.post_id
        )
    )
    for row in rows:
        status = _STATUS.get(row.status, "matched")
        exemption = exemption_of(row.reason) if status == "rejected" else None
        yield FlaggedPost(
            row.platform, row.post_id, float(min(max(row.strength, 0.0), 1.0)), status, exemption
        )


def account_exemptions(conn: sa.Connection) -> dict[tuple[str, str], str]:
    """``(platform, account_id) -> exemption`` from analysts' rejections, the latest one winning."""
    d = td.detect_decisions
    rows = conn.execute(
        sa.select(d.c.platform, d.c.account_id, d.c.reason)
        .where(d.c.decision == "reject")
        .order_by(d.c.decided_at, d.c.id)
    )
    found: dict[tuple[str, str], str] = {}
    for row in rows:
        exemption = exemption_of(row.reason)
        if exemption:
            found[(row.platform, row.account_id)] = exemption
    return found
