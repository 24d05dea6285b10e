"""Read-only views of collected content for the API and the console.

Pages of posts and accounts (keyset, any depth at the same cost), one post with
its media and author, one account, a media file's path, an account's
interaction neighbourhood, and what detection found on one post.  A page is
``(items, next_key)``: the adapter turns the key of the last item into its
opaque cursor.  Writes always go through the other services.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ...errors import NotFoundError
from ...store import schema
from ...store import tables_detect as td
from .media import MediaStore

#: ``(items, key of the last item when there is a next page, else None)``
Page = tuple[list[dict[str, Any]], list[Any] | None]


def _page(
    rows: Sequence[Any], limit: int, key: Callable[[Any], list[Any]], render: Callable[[Any], dict[str, Any]]
) -> Page:
    """A page from up to ``limit + 1`` rows (the extra one tells whether there is more)."""
    more = len(rows) > limit
    rows = rows[:limit]
    return [render(r) for r in rows], (key(rows[-1]) if more and rows else None)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def post_dict(r: Any) -> dict[str, Any]:
    return {
        "platform": r.platform,
        "post_id": r.post_id,
        "account": {"platform": r.platform, "account_id": r.account_id},
        "timestamp": _iso(r.timestamp),
        "text": r.text,
        "language": r.language,
        "urls": r.urls or [],
        "hashtags": r.hashtags or [],
        "reply_to": r.reply_to,
        "repost_of": r.repost_of,
        "quote_of": r.quote_of,
        "forward_from": r.forward_from,
    }


def account_dict(r: Any) -> dict[str, Any]:
    return {
        "platform": r.platform,
        "account_id": r.account_id,
        "handle": r.handle,
        "display_name": r.display_name,
        "bio": r.bio,
        "followers": r.followers,
        "status": r.status,
        "created_at": _iso(r.created_at),
        "first_seen": _iso(r.first_seen),
        "last_seen": _iso(r.last_seen),
    }


_POST_COLUMNS = (
    "platform",
    "post_id",
    "account_id",
    "timestamp",
    "text",
    "language",
    "urls",
    "hashtags",
    "reply_to",
    "repost_of",
    "quote_of",
    "forward_from",
)


def list_posts(
    engine: sa.Engine,
    limit: int,
    after: tuple[datetime, str, str] | None = None,
    platform: str | None = None,
    account_id: str | None = None,
) -> Page:
    """Posts, newest first, after the keyset ``(timestamp, platform, post id)`` of the previous
    page's last post."""
    p = schema.posts
    order = [p.c.timestamp, p.c.platform, p.c.post_id]
    query = sa.select(*(p.c[name] for name in _POST_COLUMNS))
    if platform:
        query = query.where(p.c.platform == platform)
    if account_id:
        query = query.where(p.c.account_id == account_id)
    if after is not None:
        query = query.where(
            sa.tuple_(*order) < sa.tuple_(*(sa.literal(v, c.type) for c, v in zip(order, after, strict=True)))
        )
    query = query.order_by(*(c.desc() for c in order)).limit(limit + 1)
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return _page(rows, limit, lambda r: [_iso(r.timestamp), r.platform, r.post_id], post_dict)


def get_post(engine: sa.Engine, platform: str, post_id: str) -> dict[str, Any]:
    p, pm, m = schema.posts, schema.post_media, schema.media
    with engine.connect() as conn:
        row = conn.execute(sa.select(p).where(p.c.platform == platform, p.c.post_id == post_id)).first()
        if row is None:
            raise NotFoundError(f"no post {platform}:{post_id}")
        media = conn.execute(
            sa.select(
                pm.c.position, m.c.media_key, m.c.sha256, m.c.md5, m.c.mime, m.c.size, m.c.pdq, m.c.missing
            )
            .join(m, m.c.media_key == pm.c.media_key)
            .where(pm.c.platform == platform, pm.c.post_id == post_id)
            .order_by(pm.c.position)
        ).all()
        author = conn.execute(
            sa.select(schema.accounts).where(
                schema.accounts.c.platform == platform, schema.accounts.c.account_id == row.account_id
            )
        ).first()
    out = post_dict(row)
    out["mentions"] = row.mentions or []
    out["author"] = account_dict(author) if author is not None else None
    out["media"] = [
        {
            "position": x.position,
            "media_key": x.media_key,
            "sha256": x.sha256,
            "md5": x.md5,
            "mime": x.mime,
            "size": x.size,
            "pdq": x.pdq,
            "missing": bool(x.missing),
        }
        for x in media
    ]
    return out


def list_accounts(
    engine: sa.Engine,
    limit: int,
    after: tuple[str, str] | None = None,
    platform: str | None = None,
    handle: str | None = None,
) -> Page:
    """Accounts by (platform, account id), after that key of the previous page's last one."""
    a = schema.accounts
    order = [a.c.platform, a.c.account_id]
    query = sa.select(a)
    if platform:
        query = query.where(a.c.platform == platform)
    if handle:
        query = query.where(sa.func.lower(a.c.handle) == handle.lower())
    if after is not None:
        query = query.where(
            sa.tuple_(*order) > sa.tuple_(*(sa.literal(v, c.type) for c, v in zip(order, after, strict=True)))
        )
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(*order).limit(limit + 1)).all()
    return _page(rows, limit, lambda r: [r.platform, r.account_id], account_dict)


def get_account(engine: sa.Engine, platform: str, account_id: str) -> dict[str, Any]:
    a, p = schema.accounts, schema.posts
    with engine.connect() as conn:
        row = conn.execute(sa.select(a).where(a.c.platform == platform, a.c.account_id == account_id)).first()
        if row is None:
            raise NotFoundError(f"no account {platform}:@{account_id}")
        n_posts = conn.execute(
            sa.select(sa.func.count())
            .select_from(p)
            .where(p.c.platform == platform, p.c.account_id == account_id)
        ).scalar_one()
    out = account_dict(row)
    out["posts"] = int(n_posts)
    return out


def media_file(engine: sa.Engine, media_key: str) -> tuple[str | None, str | None]:
    """``(path in the media store, recorded MIME type)`` of a media item; the path is None when
    the store has no file with the item's SHA-256.  The path the row records (where the import
    found the file) is never served: only the content-addressed store is."""
    m = schema.media
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(m.c.sha256, m.c.mime, m.c.missing).where(m.c.media_key == media_key)
        ).first()
    if row is None:
        raise NotFoundError("no such media item")
    stored = None if row.missing else MediaStore().get(row.sha256)
    return (str(stored) if stored else None), row.mime


def neighbourhood(engine: sa.Engine, platform: str, account_id: str, limit: int = 40) -> dict[str, Any]:
    """The account's strongest interaction partners and the interactions among them.

    Nodes: the account and up to ``limit`` partners by number of interactions
    either way; edges: counts per (source, target, kind) inside that set.
    """
    e, a = schema.edges, schema.accounts
    with engine.connect() as conn:
        if (
            conn.execute(
                sa.select(a.c.account_id).where(a.c.platform == platform, a.c.account_id == account_id)
            ).first()
            is None
        ):
            raise NotFoundError(f"no account {platform}:@{account_id}")
        out_q = (
            sa.select(
                e.c.target_platform.label("p"), e.c.target_account_id.label("a"), sa.func.count().label("n")
            )
            .where(
                e.c.platform == platform,
                e.c.source_account_id == account_id,
                e.c.target_account_id.is_not(None),
            )
            .group_by(e.c.target_platform, e.c.target_account_id)
        )
        in_q = (
            sa.select(e.c.platform.label("p"), e.c.source_account_id.label("a"), sa.func.count().label("n"))
            .where(e.c.target_platform == platform, e.c.target_account_id == account_id)
            .group_by(e.c.platform, e.c.source_account_id)
        )
        weights: dict[tuple[str, str], int] = {}
        for r in [*conn.execute(out_q), *conn.execute(in_q)]:
            if (r.p, r.a) != (platform, account_id):
                weights[(r.p, r.a)] = weights.get((r.p, r.a), 0) + int(r.n)
        partners = sorted(weights, key=lambda k: (-weights[k], k))[:limit]
        members = [(platform, account_id), *partners]
        ids = [m[1] for m in members]
        handles = {
            (r.platform, r.account_id): r.handle
            for r in conn.execute(
                sa.select(a.c.platform, a.c.account_id, a.c.handle).where(a.c.account_id.in_(ids))
            )
        }
        inside = set(members)
        edges = []
        for r in conn.execute(
            sa.select(
                e.c.platform,
                e.c.source_account_id,
                e.c.target_platform,
                e.c.target_account_id,
                e.c.kind,
                sa.func.count().label("n"),
            )
            .where(e.c.source_account_id.in_(ids), e.c.target_account_id.in_(ids))
            .group_by(
                e.c.platform, e.c.source_account_id, e.c.target_platform, e.c.target_account_id, e.c.kind
            )
        ):
            s, t = (r.platform, r.source_account_id), (r.target_platform, r.target_account_id)
            if s in inside and t in inside and s != t:
                edges.append(
                    {
                        "source": f"{s[0]}:{s[1]}",
                        "target": f"{t[0]}:{t[1]}",
                        "kind": r.kind,
                        "count": int(r.n),
                    }
                )
    nodes = [
        {
            "id": f"{p}:{x}",
            "platform": p,
            "account_id": x,
            "handle": handles.get((p, x)),
            "center": (p, x) == (platform, account_id),
            "weight": weights.get((p, x), 0),
        }
        for p, x in members
    ]
    return {"nodes": nodes, "edges": edges}


def post_evidence(engine: sa.Engine, platform: str, post_id: str) -> dict[str, Any] | None:
    """The alert on one post and its detection hits (evidence), or ``None`` without an alert.

    One indexed lookup of the alert and one of its hits, every hit shown (suppressed ones marked).
    """
    a, h = td.detect_alerts, td.detect_hits
    with engine.connect() as conn:
        alert = conn.execute(sa.select(a).where(a.c.platform == platform, a.c.post_id == post_id)).first()
        hits = conn.execute(
            sa.select(h)
            .where(h.c.platform == platform, h.c.post_id == post_id)
            .order_by(h.c.strength.desc(), h.c.id)
        ).all()
    if alert is None and not hits:
        return None
    out_hits = []
    for r in hits:
        hit: dict[str, Any] = {
            "matcher": r.matcher,
            "bank": r.bank,
            "item": r.item,
            "label": r.label,
            "strength": round(r.strength, 4),
            "media_key": r.media_key,
            "distance": r.distance,
            "similarity": r.similarity,
            "term": r.term,
            "span": [r.span_start, r.span_end] if r.span_start is not None else None,
            "suppressed": bool(r.suppressed),
        }
        if r.detail:
            hit["detail"] = r.detail
        out_hits.append(hit)
    return {
        "status": alert.status if alert else None,
        "priority": alert.priority if alert else None,
        "reason": alert.reason if alert else None,
        "decided_by": alert.decided_by if alert else None,
        "model_probability": alert.model_probability if alert else None,
        "hits": out_hits,
    }
