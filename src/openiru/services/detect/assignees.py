"""Reading triage assignments: whose each alert is, and a query condition on the assignee.

The writes (claim, hand over, lift) are in ``assign``; these reads are what the queue views
(``alerts.list_alerts``, the console's filtered queue) join, kept apart so that the views do not
import the module that imports them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from ...model import utc
from ...store import tables_detect as td


def assignments(
    conn: sa.Connection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """The assignment of each of these posts that has one: assignee, by whom, when."""
    s = td.detect_assignments
    keys = list(keys)
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        for r in conn.execute(sa.select(s).where(sa.tuple_(s.c.platform, s.c.post_id).in_(chunk))):
            out[(r.platform, r.post_id)] = {
                "assigned_to": r.assignee,
                "assigned_by": r.assigned_by,
                "assigned_at": utc(r.assigned_at),
            }
    return out


def assigned_condition(platform: Any, post_id: Any, assigned: str) -> Any:
    """A WHERE condition on an alerts query: ``"none"`` unassigned alerts, ``"any"`` assigned to
    someone, otherwise assigned to that user."""
    s = td.detect_assignments
    mine = sa.exists().where(s.c.platform == platform, s.c.post_id == post_id)
    if assigned == "none":
        return ~mine
    if assigned == "any":
        return mine
    return sa.exists().where(s.c.platform == platform, s.c.post_id == post_id, s.c.assignee == assigned)
