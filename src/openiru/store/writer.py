"""Batched, idempotent writes of accounts, posts, media and edges.

One batch is one transaction: a crash (``kill -9`` included) loses at most the
batch in flight, and because every insert is ``ON CONFLICT DO NOTHING`` (or a
merge for accounts and media) running the same import again completes it with
no duplicates.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from ..interactions import edge_refs
from ..model import Account, AccountStatus, EdgeKind, Media, Post
from . import schema


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """``INSERT`` with the dialect's ``ON CONFLICT`` support (SQLite and PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


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
    """Records gathered for one transaction.

    The author of every post is written with the batch (so no post is ever
    without its account); the times it was seen are kept in ``seen`` as
    ``[first, last]`` rather than as one merged Account per post.
    """

    accounts: dict[tuple[str, str], Account] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    seen: dict[tuple[str, str], list[datetime]] = field(default_factory=dict)

    def add_account(self, account: Account) -> None:
        k = (account.key.platform, account.key.account_id)
        old = self.accounts.get(k)
        self.accounts[k] = merge_account(old, account) if old else account

    def add_post(self, post: Post) -> None:
        self.posts.append(post)
        k = (post.account.platform, post.account.account_id)
        when = self.seen.get(k)
        if when is None:
            self.seen[k] = [post.timestamp, post.timestamp]
        elif post.timestamp < when[0]:
            when[0] = post.timestamp
        elif post.timestamp > when[1]:
            when[1] = post.timestamp

    def __len__(self) -> int:
        return len(self.posts) + len(self.accounts)


class SeenTimes:
    """First/last-seen times of the authors of one import, applied in one pass at the end.

    The first batch in which an author appears writes its account row with the times
    known so far, so no post is ever without its account.  Later batches only widen
    the times kept here (:meth:`take`), and :meth:`write` applies the widened ones:
    at the end of the import, or earlier when ``limit`` authors are held (bounded
    memory).  Without this every batch re-upserted most of its authors (profiled:
    a third of the SQL time on X data).
    """

    def __init__(self, limit: int = 500_000) -> None:
        self.limit = limit
        self.times: dict[tuple[str, str], list[Any]] = {}  # key -> [first, last, widened]

    def __len__(self) -> int:
        return len(self.times)

    def take(self, batch: Batch) -> None:
        """Fold the seen-times of authors already written into this tracker, and drop
        them from the batch unless it writes their account anyway."""
        times = self.times
        if not times:
            return
        for k in [k for k in batch.seen if k in times]:
            first, last = batch.seen[k] if k in batch.accounts else batch.seen.pop(k)
            kept = times[k]
            if first < kept[0]:
                kept[0], kept[2] = first, True
            if last > kept[1]:
                kept[1], kept[2] = last, True

    def note(self, batch: Batch) -> None:
        """After the batch is committed: its authors are written."""
        times = self.times
        for k, (first, last) in batch.seen.items():
            if k not in times:
                times[k] = [first, last, False]

    def write(self, conn: sa.Connection) -> int:
        """Apply the widened times; empties the tracker.  Returns the rows updated."""
        t = _sqlite_time if conn.dialect.name == "sqlite" else _keep_time
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        rows = [(first, first, last, last, k[0], k[1]) for k, v in self.times.items() if v[2]
                for first, last in ((t(v[0]), t(v[1])),)]
        self.times.clear()
        if not rows:
            return 0
        conn.exec_driver_sql(
            f"UPDATE accounts SET "
            f"first_seen = CASE WHEN first_seen IS NULL OR {mark} < first_seen THEN {mark} ELSE first_seen END, "
            f"last_seen = CASE WHEN last_seen IS NULL OR {mark} > last_seen THEN {mark} ELSE last_seen END "
            f"WHERE platform = {mark} AND account_id = {mark}", rows)
        return len(rows)


# -- raw executemany --------------------------------------------------------------------------
# The rows of a batch go to the driver's executemany with SQL built once per dialect from
# the schema: SQLAlchemy's per-row parameter processing cost more than the inserts
# themselves (profiled: ~60 % of an import).  Values are therefore given in the form
# SQLAlchemy itself stores them: JSON as text, and on SQLite datetimes as UTC
# "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's SQLite DATETIME storage format), so
# everything reads back through SQLAlchemy exactly as before.

ACCOUNT_COLS = ("platform", "account_id", "handle", "display_name", "bio", "avatar_media", "created_at",
                "first_seen", "last_seen", "followers", "status", "status_changed_at", "meta")
MEDIA_COLS = ("media_key", "sha256", "md5", "mime", "size", "path", "url", "pdq", "pdq_quality", "missing")
POST_COLS = ("platform", "post_id", "account_id", "timestamp", "text", "language", "urls", "hashtags",
             "mentions", "reply_to", "repost_of", "quote_of", "forward_from", "forward_from_name", "meta", "raw")
LINK_COLS = ("platform", "post_id", "position", "media_key")
EDGE_COLS = ("platform", "post_id", "kind", "target_ref", "source_account_id", "target_platform",
             "target_account_id", "time")
JSON_COLS = frozenset({"meta", "urls", "hashtags", "mentions"})


def _insert_sql(dialect: str, table: str, cols: tuple[str, ...], conflict: str) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    values = ", ".join(f"{mark}::json" if dialect == "postgresql" and c in JSON_COLS else mark for c in cols)
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({values}) {conflict}"


def _statements(dialect: str) -> dict[str, str]:
    keep_new = ", ".join(f"{c} = COALESCE(excluded.{c}, accounts.{c})" for c in
                         ("handle", "display_name", "bio", "avatar_media", "created_at", "followers", "meta"))
    account_conflict = (
        "ON CONFLICT (platform, account_id) DO UPDATE SET " + keep_new + ", "
        "first_seen = CASE WHEN accounts.first_seen IS NULL OR excluded.first_seen < accounts.first_seen "
        "THEN excluded.first_seen ELSE accounts.first_seen END, "
        "last_seen = CASE WHEN accounts.last_seen IS NULL OR excluded.last_seen > accounts.last_seen "
        "THEN excluded.last_seen ELSE accounts.last_seen END, "
        "status = CASE WHEN excluded.status <> 'unknown' THEN excluded.status ELSE accounts.status END, "
        "status_changed_at = CASE WHEN excluded.status <> 'unknown' THEN excluded.status_changed_at "
        "ELSE accounts.status_changed_at END")
    keep_old = ", ".join(f"{c} = COALESCE(media.{c}, excluded.{c})" for c in
                         ("sha256", "md5", "mime", "size", "path", "url", "pdq", "pdq_quality"))
    nothing = "ON CONFLICT DO NOTHING"
    return {
        "accounts": _insert_sql(dialect, "accounts", ACCOUNT_COLS, account_conflict),
        "media": _insert_sql(dialect, "media", MEDIA_COLS, "ON CONFLICT (media_key) DO UPDATE SET " + keep_old),
        "posts": _insert_sql(dialect, "posts", POST_COLS, nothing),
        "post_media": _insert_sql(dialect, "post_media", LINK_COLS, nothing),
        "edges": _insert_sql(dialect, "edges", EDGE_COLS, nothing),
    }


_SQL = {d: _statements(d) for d in ("sqlite", "postgresql")}


def _sqlite_time(value: datetime | None) -> str | None:
    if value is None:
        return None
    tz = value.tzinfo
    if tz is not UTC and tz is not None:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # "%Y-%m-%d %H:%M:%S.%f", 3x faster than strftime


def _keep_time(value: datetime | None) -> datetime | None:
    return value


_KIND = {kind: str(kind) for kind in EdgeKind}


def _json_text(value: Any) -> str | None:
    return orjson.dumps(value).decode() if value else None


def _media_tuple(m: Media) -> tuple[Any, ...]:
    return (m.key, m.sha256, m.md5, m.mime, m.size, m.path, m.url, m.pdq, m.pdq_quality, m.missing)


def _account_tuples(batch: Batch, t: Any) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    for k in batch.accounts.keys() | batch.seen.keys():
        a = batch.accounts.get(k)
        when = batch.seen.get(k)
        first, last = (when[0], when[1]) if when else (None, None)
        if a is None:
            rows.append((k[0], k[1], None, None, None, None, None, t(first), t(last), None, "unknown", None, None))
            continue
        rows.append((k[0], k[1], a.handle, a.display_name, a.bio, a.avatar.key if a.avatar else None,
                     t(a.created_at), t(_earlier(a.first_seen, first)), t(_later(a.last_seen, last)),
                     a.followers, str(a.status), t(a.status_changed_at), _json_text(a.metadata)))
    return rows


def existing_posts(conn: sa.Connection, posts: list[Post], chunk: int = 500) -> set[tuple[str, str]]:
    """The (platform, post_id) keys of ``posts`` already in the database."""
    mark = "?" if conn.dialect.name == "sqlite" else "%s"
    wanted: dict[str, list[str]] = {}
    for post in posts:
        wanted.setdefault(post.key.platform, []).append(post.key.post_id)
    found: set[tuple[str, str]] = set()
    for platform, ids in wanted.items():
        ids = list(dict.fromkeys(ids))
        if mark == "%s":  # PostgreSQL: one array parameter, one plan (an IN list is re-planned each time)
            sql = "SELECT post_id FROM posts WHERE platform = %s AND post_id = ANY(%s)"
            found.update((platform, row[0]) for row in conn.exec_driver_sql(sql, (platform, ids)))
            continue
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            sql = (f"SELECT post_id FROM posts WHERE platform = {mark} "
                   f"AND post_id IN ({', '.join([mark] * len(part))})")
            found.update((platform, row[0]) for row in conn.exec_driver_sql(sql, (platform, *part)))
    return found


class PostAuthors:
    """Authors of the posts one import has written, by (platform, post id), bounded.

    An edge to a post (``post:<id>``: a repost, quote or reply without an account id)
    whose post this import wrote is given its target account as it is written, instead
    of by :func:`resolve_edges` afterwards (profiled: the closing UPDATE was ~6 % of an
    X import, on one core after the reading has ended).  The value is the one that
    UPDATE would set (the account of the stored post), so the result is the same;
    when the map is full it is emptied, and the rest is left to ``resolve_edges``.
    """

    def __init__(self, limit: int = 200_000) -> None:
        self.limit = limit
        self.authors: dict[tuple[str, str], str] = {}


def write_batch(conn: sa.Connection, batch: Batch, post_authors: PostAuthors | None = None) -> BatchCounts:
    """Write one batch inside the caller's transaction; counts are of new rows
    (accounts and media: of rows written, new or merged).  ``post_authors`` (optional)
    fills in post-targeted edges whose post this import wrote (see :class:`PostAuthors`)."""
    dialect = conn.dialect.name
    sql = _SQL["sqlite" if dialect == "sqlite" else "postgresql"]
    t = _sqlite_time if dialect == "sqlite" else _keep_time
    counts = BatchCounts()
    media_rows: dict[str, tuple[Any, ...]] = {}
    for account in batch.accounts.values():
        if account.avatar is not None:
            avatar_key = account.avatar.key
            if avatar_key not in media_rows:
                media_rows[avatar_key] = _media_tuple(account.avatar)
    account_rows = _account_tuples(batch, t)
    post_rows: list[tuple[Any, ...]] = []
    link_rows: list[tuple[Any, ...]] = []
    edge_rows: list[tuple[Any, ...]] = []
    # Posts already stored (a re-run, a tweet seen again in includes) are skipped whole:
    # their media, links and edges were written with them, and writing the media of a
    # second, different description of the post would leave rows no post links to.
    seen_posts = existing_posts(conn, batch.posts)
    dumps = orjson.dumps
    post_append, link_append, edge_append = post_rows.append, link_rows.append, edge_rows.append
    seen_add = seen_posts.add
    new_posts: list[Post] = []
    for post in batch.posts:
        key = post.key
        platform, post_id = key.platform, key.post_id
        if (platform, post_id) in seen_posts:
            continue
        seen_add((platform, post_id))
        new_posts.append(post)
        author = post.account.account_id
        timestamp = post.timestamp
        when = t(timestamp)
        mentions, reply_to, repost_of, quote_of = post.mentions, post.reply_to, post.repost_of, post.quote_of
        forward_from, forward_from_name = post.forward_from, post.forward_from_name
        # JSON columns inline (as _json_text: NULL when empty): hundreds of thousands a second
        urls, hashtags, meta = post.urls, post.hashtags, post.metadata
        post_append((
            platform, post_id, author, when, post.text, post.language,
            dumps(urls).decode() if urls else None, dumps(hashtags).decode() if hashtags else None,
            dumps([m.account_id or m.handle for m in mentions]).decode() if mentions else None,
            reply_to.post_id if reply_to else None,
            repost_of.post_id if repost_of else None,
            quote_of.post_id if quote_of else None,
            forward_from.account_id if forward_from else None,
            forward_from_name, dumps(meta).decode() if meta else None, post.raw))
        if post.media:
            for position, m in enumerate(post.media):
                media_key = m.key
                if media_key not in media_rows:
                    media_rows[media_key] = _media_tuple(m)
                link_append((platform, post_id, position, media_key))
        if (mentions or reply_to or post.reply_to_account or repost_of or quote_of
                or forward_from or forward_from_name):
            for ref in edge_refs(post):
                edge_append((platform, post_id, _KIND[ref.kind], ref.target_ref, author, ref.target_platform,
                             ref.target_account_id, when if ref.time is timestamp else t(ref.time)))
    if post_authors is not None and new_posts:
        authors = post_authors.authors
        if len(authors) + len(new_posts) > post_authors.limit:
            authors.clear()
        for post in new_posts:
            authors[(post.key.platform, post.key.post_id)] = post.account.account_id
        for index, row in enumerate(edge_rows):
            if row[6] is None and row[3].startswith("post:"):
                target = authors.get((row[5], row[3][5:]))
                if target is not None:
                    edge_rows[index] = (*row[:6], target, row[7])
    if account_rows:
        conn.exec_driver_sql(sql["accounts"], account_rows)
        counts.accounts = len(account_rows)
    if media_rows:
        conn.exec_driver_sql(sql["media"], list(media_rows.values()))
        counts.media = len(media_rows)
    if post_rows:
        counts.posts = max(conn.exec_driver_sql(sql["posts"], post_rows).rowcount, 0)
    if link_rows:
        conn.exec_driver_sql(sql["post_media"], link_rows)
    if edge_rows:
        counts.edges = max(conn.exec_driver_sql(sql["edges"], edge_rows).rowcount, 0)
    return counts


def resolve_edges(conn: sa.Connection, platforms: Iterable[str] | None = None) -> int:
    """Fill in edge targets named by post, handle or display name; returns how many.

    Posts are found through the posts' primary key.  Handles and display names have no
    usable index (handles compare case-insensitively), so the distinct names the
    unresolved edges use are looked up once each, in chunks, and applied in one pass
    through a temporary table (a correlated lookup per edge scanned every account for
    every edge: minutes at 100,000 Telegram forwards).
    """
    e, p = schema.edges, schema.posts
    unresolved: sa.ColumnElement[bool] = e.c.target_account_id.is_(None)
    if platforms is not None:
        unresolved = sa.and_(unresolved, e.c.platform.in_(list(platforms)))
    by_post = (sa.select(p.c.account_id)
               .where(p.c.platform == e.c.target_platform, p.c.post_id == sa.func.substr(e.c.target_ref, 6))
               .scalar_subquery())
    stmt = (sa.update(e).where(unresolved, e.c.target_ref.startswith("post:"), sa.exists(by_post))
            .values(target_account_id=by_post).execution_options(synchronize_session=False))
    total = max(conn.execute(stmt).rowcount, 0)
    mapping = _named_targets(conn, unresolved)
    if mapping:
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        conn.exec_driver_sql("CREATE TEMPORARY TABLE openiru_ref_map (platform VARCHAR(100), ref VARCHAR(300), "
                             "account_id VARCHAR(255), PRIMARY KEY (platform, ref))")
        try:
            conn.exec_driver_sql(f"INSERT INTO openiru_ref_map VALUES ({mark}, {mark}, {mark})", mapping)
            match = ("FROM openiru_ref_map m WHERE m.platform = edges.target_platform "
                     "AND m.ref = edges.target_ref")
            total += max(conn.exec_driver_sql(
                f"UPDATE edges SET target_account_id = (SELECT m.account_id {match}) "
                f"WHERE target_account_id IS NULL AND EXISTS (SELECT 1 {match})").rowcount, 0)
        finally:
            conn.exec_driver_sql("DROP TABLE openiru_ref_map")
    return total


def _named_targets(conn: sa.Connection, unresolved: Any, chunk: int = 500) -> list[tuple[str, str, str]]:
    """(platform, "handle:…"/"name:…" ref, account id) for the refs of unresolved edges
    that name a known account; the most recently seen account wins a tie."""
    e, a = schema.edges, schema.accounts
    found: list[tuple[str, str, str]] = []
    for prefix, column in (("handle:", sa.func.lower(a.c.handle)), ("name:", a.c.display_name)):
        wanted: dict[str, dict[str, str]] = {}
        rows = conn.execute(sa.select(e.c.target_platform, e.c.target_ref)
                            .where(unresolved, e.c.target_ref.startswith(prefix)).distinct())
        for platform, ref in rows:
            wanted.setdefault(platform, {})[ref[len(prefix):]] = ref
        for platform, refs in wanted.items():
            names = list(refs)
            best: dict[str, tuple[str, Any]] = {}
            for start in range(0, len(names), chunk):
                query = sa.select(column, a.c.account_id, a.c.last_seen).where(
                    a.c.platform == platform, column.in_(names[start:start + chunk]))
                for name, account_id, last_seen in conn.execute(query):
                    held = best.get(name)
                    if held is None or (held[1] is None or (last_seen is not None and last_seen > held[1])):
                        best[name] = (account_id, last_seen)
            found.extend((platform, refs[name], account_id) for name, (account_id, _) in best.items())
    return found


def dumps(value: Any) -> str:
    """Compact JSON text for raw records (orjson, keeps non-ASCII as is)."""
    return orjson.dumps(value).decode()
