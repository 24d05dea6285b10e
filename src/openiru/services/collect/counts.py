"""Counts per platform: posts, accounts, edges (also by kind), media, first and last post time."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ...store import schema


def platform_stats(engine: sa.Engine) -> dict[str, Any]:
    """``{"platforms": {NAME: {"posts", "accounts", "edges", "media", ...}}}``.

    ``edges`` counts interactions whose target account is known, ``edges_by_kind`` the same by
    kind (mention, reply, repost, quote, forward); ``unresolved_edges`` those whose target is
    not in the data.  ``first_post`` and ``last_post`` are ISO 8601 UTC times (null: no posts).
    """
    p, a, e, pm = schema.posts, schema.accounts, schema.edges, schema.post_media
    out: dict[str, dict[str, Any]] = {}

    def put(rows: Any, name: str) -> None:
        for platform, n in rows:
            out.setdefault(platform, {"posts": 0, "accounts": 0, "edges": 0, "media": 0})[name] = int(n)

    with engine.connect() as conn:
        put(conn.execute(sa.select(p.c.platform, sa.func.count()).group_by(p.c.platform)), "posts")
        put(conn.execute(sa.select(a.c.platform, sa.func.count()).group_by(a.c.platform)), "accounts")
        put(
            conn.execute(
                sa.select(e.c.platform, sa.func.count())
                .where(e.c.target_account_id.is_not(None))
                .group_by(e.c.platform)
            ),
            "edges",
        )
        put(
            conn.execute(
                sa.select(e.c.platform, sa.func.count())
                .where(e.c.target_account_id.is_(None))
                .group_by(e.c.platform)
            ),
            "unresolved_edges",
        )
        put(
            conn.execute(
                sa.select(pm.c.platform, sa.func.count(sa.distinct(pm.c.media_key))).group_by(pm.c.platform)
            ),
            "media",
        )
        times = conn.execute(
            sa.select(p.c.platform, sa.func.min(p.c.timestamp), sa.func.max(p.c.timestamp)).group_by(
                p.c.platform
            )
        ).all()
        kinds = conn.execute(
            sa.select(e.c.platform, e.c.kind, sa.func.count())
            .where(e.c.target_account_id.is_not(None))
            .group_by(e.c.platform, e.c.kind)
        ).all()
    for platform, first, last in times:
        out[platform]["first_post"], out[platform]["last_post"] = _iso(first), _iso(last)
    for platform, kind, n in kinds:
        out[platform].setdefault("edges_by_kind", {})[kind] = int(n)
    for counts in out.values():
        counts.setdefault("unresolved_edges", 0)
        counts.setdefault("first_post", None)
        counts.setdefault("last_post", None)
        counts["edges_by_kind"] = dict(sorted(counts.get("edges_by_kind", {}).items()))
    return {"platforms": dict(sorted(out.items()))}


def _iso(value: Any) -> str | None:
    """A stored time as ISO 8601 UTC with ``Z`` (SQLite hands aggregates back as text)."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
