"""Batched, idempotent writes of accounts, posts, media and edges.

One batch is one transaction: a crash (``kill -9`` included) loses at most the
batch in flight, and because every insert is ``ON CONFLICT DO NOTHING`` (or a
merge for accounts and media) running the same import again completes it with
no duplicates.  A post already stored is left as it is, unless the batch holds a
fuller description of it (see :func:`~openiru.store.batch.fullness`), which then
replaces it with its media links and edges.

The rows come ready-made (:mod:`openiru.store.batch`, built in the import's reading
thread); what happens here is SQL.  Edges named by post, handle or display name are
resolved after the import (:mod:`openiru.store.resolve`).
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from .batch import Batch, BatchRows, SeenTimes, batch_rows, fullness, merge_account
from .resolve import resolve_edges

__all__ = [
    "Batch",
    "BatchCounts",
    "PostAuthors",
    "SeenTimes",
    "dialect_insert",
    "existing_posts",
    "merge_account",
    "resolve_edges",
    "stored_posts",
    "write_batch",
    "write_rows",
]


def dialect_insert(conn: sa.Connection, table: sa.Table) -> Any:
    """``INSERT`` with the dialect's ``ON CONFLICT`` support (SQLite and PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


@dataclass
class BatchCounts:
    posts: int = 0
    accounts: int = 0
    media: int = 0
    edges: int = 0


# -- statements -------------------------------------------------------------------------------
# The rows of a batch go to the driver with SQL built once per dialect from the schema:
# SQLAlchemy's per-row parameter processing cost more than the inserts themselves
# (profiled: ~60 % of an import).

ACCOUNT_COLS = (
    "platform",
    "account_id",
    "handle",
    "display_name",
    "bio",
    "avatar_media",
    "created_at",
    "first_seen",
    "last_seen",
    "followers",
    "status",
    "status_changed_at",
    "meta",
)
MEDIA_COLS = ("media_key", "sha256", "md5", "mime", "size", "path", "url", "pdq", "pdq_quality", "missing")
POST_COLS = (
    "platform",
    "post_id",
    "account_id",
    "timestamp",
    "text",
    "language",
    "urls",
    "hashtags",
    "mentions",
    "reply_to",
    "repost_of",
    "quote_of",
    "forward_from",
    "forward_from_name",
    "meta",
    "raw",
)
LINK_COLS = ("platform", "post_id", "position", "media_key")
EDGE_COLS = (
    "platform",
    "post_id",
    "kind",
    "target_ref",
    "source_account_id",
    "target_platform",
    "target_account_id",
    "time",
)
JSON_COLS = frozenset({"meta", "urls", "hashtags", "mentions"})


#: When the stored status stands against the incoming one (:func:`.batch.keeps_status` in SQL):
#: unknown says nothing; "active" from a look-up replaces a removal only when the removal is known
#: to be earlier; of two "active", the later look-up stays.
_KEEP_STATUS = (
    "(excluded.status = 'unknown' OR (excluded.status = 'active' AND ("
    "(accounts.status IN ('suspended', 'deleted') AND (accounts.status_changed_at IS NULL "
    "OR excluded.status_changed_at IS NULL OR accounts.status_changed_at >= excluded.status_changed_at)) "
    "OR (accounts.status = 'active' AND accounts.status_changed_at IS NOT NULL "
    "AND (excluded.status_changed_at IS NULL OR accounts.status_changed_at > excluded.status_changed_at)))))"
)


def _conflicts() -> dict[str, tuple[tuple[str, ...], str]]:
    """Each table's columns and ON CONFLICT clause."""
    keep_new = ", ".join(
        f"{c} = COALESCE(excluded.{c}, accounts.{c})"
        for c in ("handle", "display_name", "bio", "avatar_media", "created_at", "followers", "meta")
    )
    account_conflict = (
        "ON CONFLICT (platform, account_id) DO UPDATE SET " + keep_new + ", "
        "first_seen = CASE WHEN accounts.first_seen IS NULL OR excluded.first_seen < accounts.first_seen "
        "THEN excluded.first_seen ELSE accounts.first_seen END, "
        "last_seen = CASE WHEN accounts.last_seen IS NULL OR excluded.last_seen > accounts.last_seen "
        "THEN excluded.last_seen ELSE accounts.last_seen END, "
        f"status = CASE WHEN {_KEEP_STATUS} THEN accounts.status ELSE excluded.status END, "
        f"status_changed_at = CASE WHEN {_KEEP_STATUS} THEN accounts.status_changed_at "
        "ELSE excluded.status_changed_at END"
    )
    keep_old = ", ".join(
        f"{c} = COALESCE(media.{c}, excluded.{c})"
        for c in ("sha256", "md5", "mime", "size", "path", "url", "pdq", "pdq_quality")
    )
    nothing = "ON CONFLICT DO NOTHING"
    return {
        "accounts": (ACCOUNT_COLS, account_conflict),
        "media": (MEDIA_COLS, "ON CONFLICT (media_key) DO UPDATE SET " + keep_old),
        "posts": (POST_COLS, nothing),
        "post_media": (LINK_COLS, nothing),
        "edges": (EDGE_COLS, nothing),
    }


_CONFLICTS = _conflicts()


@cache
def _insert_sql(dialect: str, table: str, rows: int = 1, nulls: tuple[int, ...] = ()) -> str:
    """The INSERT of ``table`` with ``rows`` rows of values (more than one: SQLite only);
    the columns at the positions ``nulls`` get a literal NULL, not a parameter (SQLite only)."""
    cols, conflict = _CONFLICTS[table]
    mark = "?" if dialect == "sqlite" else "%s"
    values = (
        "("
        + ", ".join(
            "NULL" if i in nulls else f"{mark}::json" if dialect == "postgresql" and c in JSON_COLS else mark
            for i, c in enumerate(cols)
        )
        + ")"
    )
    return f"INSERT INTO {table} ({', '.join(cols)}) VALUES {', '.join([values] * rows)} {conflict}"


def _driver_many(conn: sa.Connection, table: str, rows: list[tuple[Any, ...]]) -> int:
    """PostgreSQL: the driver's executemany (psycopg pipelines it).  A multi-row VALUES
    is refused there when one statement upserts the same key twice."""
    return max(conn.exec_driver_sql(_insert_sql("postgresql", table), rows).rowcount, 0)


#: Values per multi-row INSERT on SQLite (SQLITE_MAX_VARIABLE_NUMBER's default since 3.32).
SQLITE_PARAMS_PER_STATEMENT = 32_766


def _sqlite_many(conn: sa.Connection, table: str, rows: list[tuple[Any, ...]]) -> int:
    """SQLite: rows in a few multi-row ``INSERT … VALUES (…), (…)`` statements.

    sqlite3 releases the GIL for every call into SQLite (each step, each reset) and
    must take it back after; while the reading thread runs Python, taking it back
    waits up to the interpreter's switch interval.  With one row a step (plain
    executemany) the writing thread queued for the GIL row after row and the two
    threads hardly ran at once (an import's wall clock was the sum of both).  Here a
    table's rows go in statements of as many rows as the parameter limit allows
    (2,047 posts), and the remainder in one statement of the next power-of-two share
    of that size, filled up with copies of its last row: a copy conflicts with its
    original and changes nothing (``DO NOTHING``; the upserts of accounts and media
    merge the same values again).  So a table costs a batch one or two calls, and
    every statement text is one of a few, prepared once and cached.  SQLite applies
    ``ON CONFLICT`` row by row, duplicates within one statement included, so the rows
    stored are those executemany stored; the count is of rows changed (``DO NOTHING``
    tables: rows inserted, as before).
    """
    total, n = 0, len(rows)
    # A column that is NULL in every row is a literal NULL in the statement: sqlite3 binds a
    # None through its adapter look-up (a key tuple, a dict probe, two attribute look-ups),
    # ~0.5 us each, and 100,000 tweets bind ~860,000 of them in such columns (avatars,
    # forwards, account statuses).
    first = rows[0]
    nulls = tuple(
        i
        for i, value in enumerate(first)
        if value is None and list(map(itemgetter(i), rows)).count(None) == n
    )
    if nulls:
        keep = [i for i in range(len(first)) if i not in nulls]
        if not keep:
            nulls = ()
        else:
            pick = itemgetter(*keep)
            rows = [(v,) for v in map(pick, rows)] if len(keep) == 1 else list(map(pick, rows))
    size = SQLITE_PARAMS_PER_STATEMENT // len(rows[0])
    full = n - n % size
    chain = itertools.chain.from_iterable
    params = [tuple(chain(rows[i : i + size])) for i in range(0, full, size)]
    left = n - full
    tail: tuple[Any, ...] = ()
    tail_size = size
    if left:
        while tail_size // 2 >= left:
            tail_size //= 2
        tail = tuple(chain(rows[full:] + [rows[-1]] * (tail_size - left)))
    # The driver's own cursor, inside the caller's transaction: SQLAlchemy's statement
    # machinery around each call costs the writing thread GIL hand-overs of its own.
    cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
    try:
        if params:
            cursor.executemany(_insert_sql("sqlite", table, size, nulls), params)
            total += max(cursor.rowcount, 0)
        if tail:
            cursor.execute(_insert_sql("sqlite", table, tail_size, nulls), tail)
            total += max(cursor.rowcount, 0)
    finally:
        cursor.close()
    return total


# -- posts already stored -------------------------------------------------------------------


def stored_posts(conn: sa.Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, int]]:
    """Of the (platform, post id) ``keys``, those already stored, with the fullness of
    the stored description: (media items, length of text).  The ids go as one JSON array
    (SQLite) or one array parameter (PostgreSQL): one statement per platform and batch,
    one plan (an IN list was re-planned for each length, and cost the writing thread
    ten GIL hand-overs a batch)."""
    wanted: dict[str, list[str]] = {}
    for platform, post_id in keys:
        wanted.setdefault(platform, []).append(post_id)
    if conn.dialect.name == "sqlite":
        sql = "?) AND p.post_id IN (SELECT value FROM json_each(?))"
    else:
        sql = "%s) AND p.post_id = ANY(%s)"
    sql = (
        "SELECT p.post_id, (SELECT count(*) FROM post_media m WHERE m.platform = p.platform "
        "AND m.post_id = p.post_id), length(p.text) FROM posts p WHERE p.platform = (" + sql
    )
    sqlite = conn.dialect.name == "sqlite"
    found: dict[tuple[str, str], tuple[int, int]] = {}
    for platform, ids in wanted.items():
        for post_id, media, length in conn.exec_driver_sql(
            sql, (platform, orjson.dumps(ids).decode() if sqlite else ids)
        ):
            found[(platform, post_id)] = (media, length or 0)
    return found


def existing_posts(conn: sa.Connection, posts: list[Any]) -> set[tuple[str, str]]:
    """The (platform, post_id) keys of ``posts`` already in the database."""
    return set(stored_posts(conn, [(p.key.platform, p.key.post_id) for p in posts]))


def _settle_stored(conn: sa.Connection, rows: BatchRows, counts: BatchCounts) -> None:
    """Leave out the posts already stored, except where this batch's description is
    fuller: then the stored post, its media links and edges make way for it."""
    stored = stored_posts(conn, [(r[0], r[1]) for r in rows.posts])
    if not stored:
        return
    media = Counter((r[0], r[1]) for r in rows.links if (r[0], r[1]) in stored)
    replace = [
        k for r in rows.posts if (k := (r[0], r[1])) in stored and fullness(media[k], r[4]) > stored[k]
    ]
    skip = stored.keys() - set(replace)
    if replace:
        for table in ("post_media", "edges", "posts"):
            deleted = conn.exec_driver_sql(
                f"DELETE FROM {table} WHERE platform = {_mark(conn)} AND post_id = {_mark(conn)}", replace
            ).rowcount
            if table == "edges":
                counts.edges -= max(deleted, 0)
        counts.posts -= len(replace)
    if skip:
        rows.posts = [r for r in rows.posts if (r[0], r[1]) not in skip]
        rows.links = [r for r in rows.links if (r[0], r[1]) not in skip]
        rows.edges = [r for r in rows.edges if (r[0], r[1]) not in skip]
        # the media of a description not written would be rows no post links to
        linked = {r[3] for r in rows.links}
        rows.media = {k: v for k, v in rows.media.items() if k in linked}


def _mark(conn: sa.Connection) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


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

    def fill(self, rows: BatchRows) -> None:
        """Remember the authors of ``rows.posts`` and give post-targeted edges theirs."""
        authors = self.authors
        if len(authors) + len(rows.posts) > self.limit:
            authors.clear()
        for row in rows.posts:
            authors[(row[0], row[1])] = row[2]
        edges = rows.edges
        for index, row in enumerate(edges):
            if row[6] is None and row[3].startswith("post:"):
                target = authors.get((row[5], row[3][5:]))
                if target is not None:
                    edges[index] = (*row[:6], target, row[7])


def write_rows(conn: sa.Connection, rows: BatchRows, post_authors: PostAuthors | None = None) -> BatchCounts:
    """Write one batch's rows inside the caller's transaction; counts are of new rows
    (accounts and media: of rows written, new or merged).  ``post_authors`` (optional)
    fills in post-targeted edges whose post this import wrote (see :class:`PostAuthors`)."""
    counts = BatchCounts()
    _settle_stored(conn, rows, counts)
    if post_authors is not None and rows.posts:
        post_authors.fill(rows)
    many = _sqlite_many if conn.dialect.name == "sqlite" else _driver_many
    if rows.accounts:
        many(conn, "accounts", rows.accounts)
        counts.accounts = len(rows.accounts)
    media = rows.avatars
    if rows.media:
        media = {**rows.media, **rows.avatars}  # an avatar's own row first, as it always was
    if media:
        many(conn, "media", list(media.values()))
        counts.media = len(media)
    if rows.posts:
        counts.posts += many(conn, "posts", rows.posts)
    if rows.links:
        many(conn, "post_media", rows.links)
    if rows.edges:
        counts.edges += many(conn, "edges", rows.edges)
    return counts


def write_batch(conn: sa.Connection, batch: Batch, post_authors: PostAuthors | None = None) -> BatchCounts:
    """Build a batch's rows (:func:`~openiru.store.batch.batch_rows`) and write them."""
    return write_rows(conn, batch_rows(batch, conn.dialect.name == "sqlite"), post_authors)


def dumps(value: Any) -> str:
    """Compact JSON text for raw records (orjson, keeps non-ASCII as is)."""
    return orjson.dumps(value).decode()
