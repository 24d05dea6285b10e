"""Triage assignment: which analyst works on an alert.

An analyst claims alerts (assigns them to themselves) or hands them to a colleague; an
assignment can be lifted.  Assigning never changes the alert itself (status, priority,
decision): it is a separate row per post in ``detect_assignments``, so the queue's cards and
the classifier's training data stay as they are, and the triage views join it to show whose
an alert is and to filter "mine" or "unassigned" (``assignees``).  Every change is one
audit-log entry.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ...errors import ConfigError, NotFoundError, PermissionDenied
from ...model import utc
from ...store import tables_detect as td
from ..access import audit
from ..access.users import require_actor
from .alerts import ANALYST_ROLES, parse_post_key

#: The most alerts one call assigns (a console bulk selection, or a CLI line of posts).
MAX_POSTS = 500


def assign(
    engine: sa.Engine, posts: Sequence[str], to: str | None, *, actor: str | None, now: datetime | None = None
) -> dict[str, Any]:
    """Assign alerts (``PLATFORM:POST_ID`` each) to the analyst ``to`` (``None``: unassign)
    as ``actor``; every post must have an alert.  Returns the posts changed and the assignee."""
    user = require_actor(engine, actor, ANALYST_ROLES)
    if not posts:
        raise ConfigError("name at least one alert as PLATFORM:POST_ID")
    if len(posts) > MAX_POSTS:
        raise ConfigError(f"at most {MAX_POSTS} alerts at a time (got {len(posts)})")
    assignee = None
    if to is not None:
        try:
            assignee = require_actor(engine, to, ANALYST_ROLES).name
        except PermissionDenied as exc:
            raise ConfigError(f"cannot assign alerts to {to!r}: {exc}") from None
    keys = list(dict.fromkeys(parse_post_key(p) for p in posts))
    now = now or datetime.now(UTC)
    a, s = td.detect_alerts, td.detect_assignments
    with engine.begin() as conn:
        known = {
            (r.platform, r.post_id)
            for r in conn.execute(
                sa.select(a.c.platform, a.c.post_id).where(sa.tuple_(a.c.platform, a.c.post_id).in_(keys))
            )
        }
        missing = [f"{k[0]}:{k[1]}" for k in keys if k not in known]
        if missing:
            raise NotFoundError(
                f"no alert for post {missing[0]}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
            )
        conn.execute(sa.delete(s).where(sa.tuple_(s.c.platform, s.c.post_id).in_(keys)))
        if assignee is not None:
            conn.execute(
                sa.insert(s),
                [
                    {
                        "platform": k[0],
                        "post_id": k[1],
                        "assignee": assignee,
                        "assigned_by": user.name,
                        "assigned_at": now,
                    }
                    for k in keys
                ],
            )
        for k in keys:
            audit.record(
                conn,
                user.name,
                "assign" if assignee else "unassign",
                "alert",
                f"{k[0]}:{k[1]}",
                {"to": assignee},
                now=lambda: now,
            )
    return {
        "posts": [f"{k[0]}:{k[1]}" for k in keys],
        "assigned_to": assignee,
        "assigned_by": user.name,
        "assigned_at": utc(now),
    }
