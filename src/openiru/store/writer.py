"""Batched, idempotent writes of accounts, posts, media and edges.

One batch is one transaction: a crash (``kill -9`` included) loses at most the
batch in flight, and because every insert is ``ON CONFLICT DO NOTHING`` (or a
merge for accounts and media) running the same import again completes it with
no duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..interactions import edge_refs
from ..model import Account, AccountStatus, Media, Post
from . import schema


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """``INSERT`` with the dialect's ``ON CONFLICT`` support (SQLite and PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


def _json(value: Any) -> Any:
    return value if value else None


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def merge_account(old: Account, new: Account) -> Account:
    """Merge two descriptions of one account: known values win, seen-times widen."""
    for name in ("handle", "display_name", "bio", "avatar", "created_at", "followers"):
        if getattr(new, name) is None:
            setattr(new, name, getattr(old, name))
    new.first_seen = _earlier(old.first_seen, new.first_seen)
    new.last_seen = _later(old.last_seen, new.last_seen)
    if new.status == AccountStatus.UNKNOWN:
        new.status, new.status_changed_at = old.status, old.status_changed_at
    new.metadata = {**old.metadata, **new.metadata}
    return new


@dataclass
class BatchCounts:
    posts: int = 0
    accounts: int = 0
    media: int = 0
    edges: int = 0


@dataclass
class Batch:
    """Records gathered for one transaction."""

    accounts: dict[tuple[str, str], Account] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)

    def add_account(self, account: Account) -> None:
        k = (account.key.platform, account.key.account_id)
        old = self.accounts.get(k)
        self.accounts[k] = merge_account(old, account) if old else account

    def add_post(self, post: Post) -> None:
        self.posts.append(post)
        seen = Account(post.account, first_seen=post.timestamp, last_seen=post.timestamp)
        self.add_account(seen)

    def __len__(self) -> int:
        return len(self.posts) + len(self.accounts)


def _media_row(m: Media) -> dict[str, Any]:
    return {
        "media_key": m.key, "sha256": m.sha256, "md5": m.md5, "mime": m.mime, "size": m.size,
        "path": m.path, "url": m.url, "pdq": m.pdq, "pdq_quality": m.pdq_quality, "missing": m.missing,
    }


def _account_row(a: Account) -> dict[str, Any]:
    return {
        "platform": a.key.platform, "account_id": a.key.account_id, "handle": a.handle,
        "display_name": a.display_name, "bio": a.bio,
        "avatar_media": a.avatar.key if a.avatar else None,
        "created_at": a.created_at, "first_seen": a.first_seen, "last_seen": a.last_seen,
        "followers": a.followers, "status": str(a.status), "status_changed_at": a.status_changed_at,
        "meta": _json(a.metadata),
    }


def _post_row(p: Post) -> dict[str, Any]:
    return {
        "platform": p.key.platform, "post_id": p.key.post_id, "account_id": p.account.account_id,
        "timestamp": p.timestamp, "text": p.text, "language": p.language,
        "urls": _json(p.urls), "hashtags": _json(p.hashtags),
        "mentions": _json([m.account_id or m.handle for m in p.mentions]),
        "reply_to": p.reply_to.post_id if p.reply_to else None,
        "repost_of": p.repost_of.post_id if p.repost_of else None,
        "quote_of": p.quote_of.post_id if p.quote_of else None,
        "forward_from": p.forward_from.account_id if p.forward_from else None,
        "forward_from_name": p.forward_from_name, "meta": _json(p.metadata), "raw": p.raw,
    }


def _upsert_accounts(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    t = schema.accounts
    stmt = dialect_insert(conn, t)
    ex = stmt.excluded
    keep = {c: sa.func.coalesce(ex[c], t.c[c]) for c in
            ("handle", "display_name", "bio", "avatar_media", "created_at", "followers", "meta")}
    keep["first_seen"] = sa.case(
        (sa.or_(t.c.first_seen.is_(None), ex.first_seen < t.c.first_seen), ex.first_seen),
        else_=t.c.first_seen)
    keep["last_seen"] = sa.case(
        (sa.or_(t.c.last_seen.is_(None), ex.last_seen > t.c.last_seen), ex.last_seen),
        else_=t.c.last_seen)
    keep["status"] = sa.case((ex.status != "unknown", ex.status), else_=t.c.status)
    keep["status_changed_at"] = sa.case(
        (ex.status != "unknown", ex.status_changed_at), else_=t.c.status_changed_at)
    conn.execute(stmt.on_conflict_do_update(index_elements=["platform", "account_id"], set_=keep), rows)


def _upsert_media(conn: sa.Connection, rows: list[dict[str, Any]]) -> None:
    t = schema.media
    stmt = dialect_insert(conn, t)
    ex = stmt.excluded
    keep = {c: sa.func.coalesce(t.c[c], ex[c]) for c in
            ("sha256", "md5", "mime", "size", "path", "url", "pdq", "pdq_quality")}
    conn.execute(stmt.on_conflict_do_update(index_elements=["media_key"], set_=keep), rows)


def _insert_new(conn: sa.Connection, table: sa.Table, rows: list[dict[str, Any]]) -> int:
    """Insert rows that are not there yet; the number inserted.

    ``executemany`` row counts are not reliable across drivers, so the new rows
    are counted from ``RETURNING`` (batched into multi-row inserts by SQLAlchemy).
    """
    first_key = next(iter(table.primary_key.columns))
    stmt = dialect_insert(conn, table).on_conflict_do_nothing().returning(first_key)
    return len(conn.execute(stmt, rows).all())


def write_batch(conn: sa.Connection, batch: Batch) -> BatchCounts:
    """Write one batch inside the caller's transaction; counts are of new rows."""
    counts = BatchCounts()
    media_rows: dict[str, dict[str, Any]] = {}
    for account in batch.accounts.values():
        if account.avatar is not None:
            media_rows.setdefault(account.avatar.key, _media_row(account.avatar))
    if batch.accounts:
        _upsert_accounts(conn, [_account_row(a) for a in batch.accounts.values()])
        counts.accounts = len(batch.accounts)
    post_rows, link_rows, edge_rows = [], [], []
    seen_posts: set[tuple[str, str]] = set()
    for post in batch.posts:
        key = (post.key.platform, post.key.post_id)
        if key in seen_posts:
            continue
        seen_posts.add(key)
        post_rows.append(_post_row(post))
        for position, m in enumerate(post.media):
            media_rows.setdefault(m.key, _media_row(m))
            link_rows.append({"platform": key[0], "post_id": key[1], "position": position,
                              "media_key": m.key})
        for ref in edge_refs(post):
            edge_rows.append({
                "platform": key[0], "post_id": key[1], "kind": str(ref.kind), "target_ref": ref.target_ref,
                "source_account_id": post.account.account_id, "target_platform": ref.target_platform,
                "target_account_id": ref.target_account_id, "time": ref.time,
            })
    if media_rows:
        _upsert_media(conn, list(media_rows.values()))
        counts.media = len(media_rows)
    if post_rows:
        counts.posts = _insert_new(conn, schema.posts, post_rows)
    if link_rows:
        conn.execute(dialect_insert(conn, schema.post_media).on_conflict_do_nothing(), link_rows)
    if edge_rows:
        counts.edges = _insert_new(conn, schema.edges, edge_rows)
    return counts


def resolve_edges(conn: sa.Connection, platforms: Iterable[str] | None = None) -> int:
    """Fill in edge targets named by post, handle or display name; returns how many."""
    e, p, a = schema.edges, schema.posts, schema.accounts
    unresolved = e.c.target_account_id.is_(None)
    if platforms is not None:
        unresolved = sa.and_(unresolved, e.c.platform.in_(list(platforms)))
    ref_tail = sa.func.substr(e.c.target_ref, 6)
    by_post = (sa.select(p.c.account_id)
               .where(p.c.platform == e.c.target_platform, p.c.post_id == ref_tail)
               .scalar_subquery())
    by_handle = (sa.select(a.c.account_id)
                 .where(a.c.platform == e.c.target_platform,
                        sa.func.lower(a.c.handle) == sa.func.substr(e.c.target_ref, 8))
                 .order_by(a.c.last_seen.desc()).limit(1).scalar_subquery())
    by_name = (sa.select(a.c.account_id)
               .where(a.c.platform == e.c.target_platform,
                      a.c.display_name == ref_tail)
               .order_by(a.c.last_seen.desc()).limit(1).scalar_subquery())
    total = 0
    for prefix, sub in (("post:", by_post), ("handle:", by_handle), ("name:", by_name)):
        stmt = (sa.update(e).where(unresolved, e.c.target_ref.startswith(prefix))
                .values(target_account_id=sub).execution_options(synchronize_session=False))
        total += max(conn.execute(stmt).rowcount, 0)
    return total


def dumps(value: Any) -> str:
    """Compact JSON text for raw records (orjson, keeps non-ASCII as is)."""
    return orjson.dumps(value).decode()
