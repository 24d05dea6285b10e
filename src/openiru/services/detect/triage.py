"""The triage queue as pages: each alert's evidence card kept ready, pages read by keyset.

The console and the API show the queue fifty alerts at a time, to many analysts
at once.  Building an alert's item means joining its post and its evidence
hits; doing that for every page view made the page cost about 1.5 ms of
database CPU, which on a small server capped the queue at a few hundred pages
per second.  So the part of an item that only changes when a post is scanned
(the post's text and time as scanned, and its unsuppressed hits in evidence
order) is stored with the alert as JSON text, the *card*, written by
:func:`refresh_cards` in the same transaction that writes the hits.  A page is
then one keyset range scan of ``detect_alerts`` (no join), and each item is the
alert's live columns (status, decision, priority) serialised by orjson with the
card's JSON spliced in unparsed.

The card shows the text as it was when scanned: the text the hits' spans refer
to.  An alert without a card (written before cards existed, or by a path that
does not scan) is given one on read, from the same functions.

The page is offered twice, with the same SQL and the same item assembly: sync
over a SQLAlchemy engine (any database), and async over an asyncpg pool
(PostgreSQL), which the API's hot route uses so that a page costs no
thread-pool hop and no ORM work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Protocol

import orjson
import sqlalchemy as sa

from ...model import utc
from ...store import schema
from ...store import tables_detect as td
from .hits import hit_of, hits_by_post

if TYPE_CHECKING:
    from contextlib import AbstractAsyncContextManager

    import asyncpg


class ConnectionSource(Protocol):
    """Where async page reads get a connection: an ``asyncpg.Pool`` or a wrapper of one."""

    def acquire(self) -> AbstractAsyncContextManager[asyncpg.Connection]: ...


#: orjson options: datetimes as ``...Z`` (naive ones, from SQLite, are UTC).
JSON_OPTIONS = orjson.OPT_UTC_Z | orjson.OPT_NAIVE_UTC
#: Columns of a page row, in this order (the async path reads tuples).
COLUMNS = (
    "priority",
    "platform",
    "post_id",
    "account_id",
    "strength",
    "status",
    "reason",
    "decided_by",
    "decided_at",
    "model_probability",
    "card",
)
Key = tuple[float, str, str]
#: Characters of a post's text an alert shows (its card, and ``list_alerts``).
TEXT_SHOWN = 280


def _card_json(timestamp: Any, text: str | None, hits: list[dict[str, Any]]) -> str:
    return orjson.dumps(
        {
            "timestamp": utc(timestamp) if timestamp is not None else None,
            "text": (text or "")[:TEXT_SHOWN],
            "hits": hits,
        },
        option=JSON_OPTIONS,
        default=str,
    ).decode()


def build_cards(conn: sa.Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """Cards of these posts, from their rows and hits as they are now."""
    p = schema.posts
    out: dict[tuple[str, str], str] = {}
    keys = list(keys)
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        posts = {
            (r.platform, r.post_id): r
            for r in conn.execute(
                sa.select(p.c.platform, p.c.post_id, p.c.timestamp, p.c.text).where(
                    sa.tuple_(p.c.platform, p.c.post_id).in_(chunk)
                )
            )
        }
        hits = hits_by_post(conn, chunk)
        for key in chunk:
            post = posts.get(key)
            shown = [h for h in hits.get(key, []) if not h.get("suppressed")]
            out[key] = _card_json(post.timestamp if post else None, post.text if post else None, shown)
    return out


def cards_of_rows(
    posts: Sequence[tuple[tuple[str, str], Any, str | None]], hit_rows: Sequence[dict[str, Any]]
) -> dict[tuple[str, str], str]:
    """Cards of just-scanned posts from what the scan is about to store, without reading it back:
    ``posts`` are (key, timestamp, text) as stored, ``hit_rows`` the ``detect_hits`` rows written
    for them (all of each post's hits, in insertion order).  The same JSON as :func:`build_cards`
    reads from the database (tests/test_detect_cards_memory.py): hits by strength, highest first,
    then in insertion (id) order; each ``detail`` through JSON as its column stores it."""
    by_post: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for row in hit_rows:
        by_post.setdefault((row["platform"], row["post_id"]), []).append(row)
    out: dict[tuple[str, str], str] = {}
    for key, timestamp, text in posts:
        rows = sorted(by_post.get(key, []), key=lambda row: -row["strength"])  # stable: id order
        shown = [hit_of(_StoredHit(row), row["strength"]) for row in rows if not row["suppressed"]]
        out[key] = _card_json(timestamp, text, shown)
    return out


class _StoredHit:
    """A hit row dict read as :func:`~.hits.hit_of` reads a ``detect_hits`` row."""

    __slots__ = ("_row", "detail")

    def __init__(self, row: dict[str, Any]) -> None:
        self._row = row
        detail = row["detail"]
        self.detail = json.loads(json.dumps(detail)) if detail else detail  # the JSON column's round trip

    def __getattr__(self, name: str) -> Any:
        return self._row[name]


#: One card per alert, in the driver's own SQL (SQLAlchemy's executemany built parameters per row).
_UPDATE_CARD = "UPDATE detect_alerts SET card = {0} WHERE platform = {0} AND post_id = {0}"


def write_cards(conn: sa.Connection, cards: dict[tuple[str, str], str]) -> None:
    """Store these cards on their alerts, in the caller's transaction."""
    if cards:
        conn.exec_driver_sql(
            _UPDATE_CARD.format("?" if conn.dialect.name == "sqlite" else "%s"),
            [(card, key[0], key[1]) for key, card in cards.items()],
        )


def refresh_cards(conn: sa.Connection, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """(Re)write the cards of these alerts, in the caller's transaction; the cards written."""
    cards = build_cards(conn, keys)
    write_cards(conn, cards)
    return cards


def fill_missing_cards(engine: sa.Engine, batch: int = 2000) -> int:
    """Give every alert without a card one (after an upgrade); how many were filled."""
    a = td.detect_alerts
    done = 0
    while True:
        with engine.begin() as conn:
            keys = [
                (r.platform, r.post_id)
                for r in conn.execute(
                    sa.select(a.c.platform, a.c.post_id).where(a.c.card.is_(None)).limit(batch)
                )
            ]
            if not keys:
                return done
            done += len(refresh_cards(conn, keys))


# --- pages -------------------------------------------------------------------------------------------


def _page_statement(limit: int, status: str | None, after: Key | None) -> sa.Select[Any]:
    a = td.detect_alerts
    stmt = sa.select(*(a.c[name] for name in COLUMNS))
    if status and status != "all":
        stmt = stmt.where(a.c.status == status)
    if after is not None:
        priority, platform, post_id = after
        stmt = stmt.where(
            a.c.priority <= priority,
            sa.or_(
                a.c.priority < priority,
                sa.tuple_(a.c.platform, a.c.post_id)
                > sa.tuple_(sa.literal(platform, a.c.platform.type), sa.literal(post_id, a.c.post_id.type)),
            ),
        )
    return stmt.order_by(a.c.priority.desc(), a.c.platform, a.c.post_id).limit(limit)


def _async_sql(limit: int, status: str | None, after: Key | None) -> tuple[str, list[Any]]:
    """The page statement for asyncpg (``$n`` parameters).  Conditions are left out rather than
    made optional (``$1 IS NULL OR ...``): a prepared statement's generic plan could not use the
    index for an optional condition."""
    where = ["true"]
    args: list[Any] = []
    if status and status != "all":
        args.append(status)
        where.append(f"status = ${len(args)}")
    if after is not None:
        args += [after[0], after[1], after[2]]
        p, pl, pid = f"${len(args) - 2}", f"${len(args) - 1}", f"${len(args)}"
        where.append(f"priority <= {p} AND (priority < {p} OR (platform, post_id) > ({pl}, {pid}))")
    args.append(limit)
    return (
        f"SELECT {', '.join(COLUMNS)} FROM detect_alerts WHERE {' AND '.join(where)} "
        f"ORDER BY priority DESC, platform, post_id LIMIT ${len(args)}"
    ), args


def queue_rows(
    engine: sa.Engine, *, limit: int, status: str | None = "open", after: Key | None = None
) -> list[tuple[Any, ...]]:
    """Page rows (:data:`COLUMNS`) after the keyset ``after``, cards filled where missing."""
    with engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(_page_statement(limit, status, after))]
    if any(r[-1] is None for r in rows):
        rows = with_cards(engine, rows)
    return rows


async def queue_rows_async(
    pool: ConnectionSource, *, limit: int, status: str | None = "open", after: Key | None = None
) -> list[tuple[Any, ...]]:
    """:func:`queue_rows` over an asyncpg pool (statements prepared once per connection).  Rows
    lacking a card come back with ``None`` in its place: pass them to :func:`with_cards` (sync)."""
    sql, args = _async_sql(limit, status, after)
    async with pool.acquire() as conn:
        return [tuple(r) for r in await conn.fetch(sql, *args)]


def with_cards(engine: sa.Engine, rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Rows with a card built (and stored) for those that had none."""
    missing = [(r[1], r[2]) for r in rows if r[-1] is None]
    with engine.begin() as conn:
        cards = refresh_cards(conn, missing)
    return [r if r[-1] is not None else (*r[:-1], cards[(r[1], r[2])]) for r in rows]


def item_json(row: Sequence[Any]) -> bytes:
    """One queue item (as ``list_alerts`` gives it) from a page row, as JSON bytes."""
    priority, platform, post_id, account_id, strength, status, reason, decided_by, decided_at, prob, card = (
        row
    )
    head = orjson.dumps(
        {
            "id": f"{platform}:{post_id}",
            "post": {"platform": platform, "post_id": post_id},
            "account": {"platform": platform, "account_id": account_id},
            "priority": round(priority, 4),
            "strength": round(strength, 4),
            "status": status,
            "reason": reason,
            "decided_by": decided_by,
            "decided_at": decided_at,
            "model_probability": prob,
        },
        option=JSON_OPTIONS,
    )
    # both are JSON objects: splice the card's members after the alert's own
    return head[:-1] + b"," + card.encode()[1:]


def page_json(rows: Sequence[Sequence[Any]], limit: int, cursor_of: Any) -> bytes:
    """``{"items": [...], "next_cursor": ...}`` from up to ``limit + 1`` rows; ``cursor_of``
    turns the last item's keyset key into the opaque cursor."""
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = cursor_of([rows[-1][0], rows[-1][1], rows[-1][2]]) if more and rows else None
    return (
        b'{"items":['
        + b",".join(item_json(r) for r in rows)
        + b'],"next_cursor":'
        + orjson.dumps(cursor)
        + b"}"
    )
