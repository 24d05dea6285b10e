"""Counts per platform: posts, accounts, edges, media."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ..store import schema


def platform_stats(engine: sa.Engine) -> dict[str, Any]:
    """``{"platforms": {NAME: {"posts", "accounts", "edges", "media", ...}}}``.

    ``edges`` counts interactions whose target account is known;
    ``unresolved_edges`` those whose target is not in the data.
    """
    p, a, e, pm = schema.posts, schema.accounts, schema.edges, schema.post_media
    out: dict[str, dict[str, int]] = {}

    def put(rows: Any, name: str) -> None:
        for platform, n in rows:
            out.setdefault(platform, {"posts": 0, "accounts": 0, "edges": 0, "media": 0})[name] = int(n)

    with engine.connect() as conn:
        put(conn.execute(sa.select(p.c.platform, sa.func.count()).group_by(p.c.platform)), "posts")
        put(conn.execute(sa.select(a.c.platform, sa.func.count()).group_by(a.c.platform)), "accounts")
        put(conn.execute(sa.select(e.c.platform, sa.func.count())
                         .where(e.c.target_account_id.is_not(None)).group_by(e.c.platform)), "edges")
        put(conn.execute(sa.select(e.c.platform, sa.func.count())
                         .where(e.c.target_account_id.is_(None)).group_by(e.c.platform)), "unresolved_edges")
        put(conn.execute(sa.select(pm.c.platform, sa.func.count(sa.distinct(pm.c.media_key)))
                         .group_by(pm.c.platform)), "media")
    for counts in out.values():
        counts.setdefault("unresolved_edges", 0)
    return {"platforms": dict(sorted(out.items()))}
