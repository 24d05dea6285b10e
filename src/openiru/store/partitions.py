"""The posts table partitioned by time (PostgreSQL's declarative partitioning).

:func:`partition_posts` turns a plain ``posts`` table into ``PARTITION BY RANGE
("timestamp")`` in one transaction: a new parent with the primary key (platform, post_id,
timestamp) (a partitioned table's unique keys must hold the partition key; the writer's
check of the stored (platform, post_id) keys keeps those unique), a partition per month (or
week) holding data plus the next ``ahead`` ones, a DEFAULT partition for stray dates, the
rows copied, the names swapped and the old table's indexes made again on the parent (so
every partition has them).  On a table already partitioned it only adds what is missing.

:func:`ensure_partitions` creates the partitions from the current period to ``ahead``
periods on (the scheduler's daily job); rows of a new partition's range that the DEFAULT
partition holds are moved into it before it is attached, in the same transaction.
:func:`drop_partition` deletes a partition's posts' dependent rows, then the partition.

Partition names say their range: ``posts_m2026_03`` (March 2026), ``posts_w2026_03_02``
(the week from Monday 2 March 2026); ``posts_default``.  Bounds are UTC midnights.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

INTERVALS = ("month", "week")
DEFAULT_PARTITION = "posts_default"
#: serialises partition changes across processes (pg_advisory_xact_lock key)
LOCK_KEY = 7203418
#: tables holding rows keyed by a post's (platform, post_id), deleted with their partition
DEPENDENT_TABLES = (
    "post_media",
    "edges",
    "detect_hits",
    "detect_signals",
    "detect_alerts",
    "detect_decisions",
    "detect_assignments",
    "detect_post_tokens",
)
#: at most this many partitions to fill the gaps between the data's periods (a stray date
#: decades old would make hundreds): past it, only the periods holding posts
MAX_FILLED = 400
_BOUND = re.compile(r"FROM \('([^']+)'\) TO \('([^']+)'\)")


@dataclass(frozen=True)
class Partition:
    name: str
    lo: datetime | None  # None: the DEFAULT partition
    hi: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "from": self.lo.isoformat() if self.lo else None,
            "to": self.hi.isoformat() if self.hi else None,
        }


def period_start(t: datetime, interval: str) -> datetime:
    t = t.astimezone(UTC)
    if interval == "month":
        return datetime(t.year, t.month, 1, tzinfo=UTC)
    day = datetime(t.year, t.month, t.day, tzinfo=UTC)
    return day - timedelta(days=day.weekday())


def next_period(t: datetime, interval: str, n: int = 1) -> datetime:
    if interval == "week":
        return t + timedelta(weeks=n)
    months = t.year * 12 + t.month - 1 + n
    return datetime(months // 12, months % 12 + 1, 1, tzinfo=UTC)


def partition_name(lo: datetime, interval: str) -> str:
    return f"posts_m{lo:%Y_%m}" if interval == "month" else f"posts_w{lo:%Y_%m_%d}"


def _literal(t: datetime) -> str:
    return f"'{t.astimezone(UTC):%Y-%m-%d %H:%M:%S}+00'"


def _begin(conn: sa.Connection) -> None:
    """UTC for the bounds' text and date_trunc; one partition change at a time."""
    conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
    conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({LOCK_KEY})")


def posts_kind(conn: sa.Connection) -> str | None:
    """'plain', 'partitioned' or None (no posts table) in the current schema."""
    kind = conn.exec_driver_sql(
        "SELECT relkind FROM pg_class WHERE oid = to_regclass('posts')"
    ).scalar_one_or_none()
    return {"r": "plain", "p": "partitioned"}.get(str(kind)) if kind is not None else None


def partitions(conn: sa.Connection) -> list[Partition]:
    """The partitions of posts, oldest first, DEFAULT last (bounds read in UTC)."""
    conn.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
    rows = conn.exec_driver_sql(
        "SELECT c.relname, pg_get_expr(c.relpartbound, c.oid) FROM pg_inherits i "
        "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = to_regclass('posts')"
    ).all()
    found = []
    for name, bound in rows:
        m = _BOUND.search(bound or "")
        if m:
            found.append(Partition(name, datetime.fromisoformat(m[1]), datetime.fromisoformat(m[2])))
        else:
            found.append(Partition(name, None, None))
    return sorted(found, key=lambda p: (p.lo is None, p.lo or datetime.min.replace(tzinfo=UTC)))


def interval_of(parts: list[Partition]) -> str | None:
    for p in parts:
        if p.lo is not None and p.hi is not None:
            return "week" if p.hi - p.lo == timedelta(weeks=1) else "month"
    return None


def ahead_count(parts: list[Partition], now: datetime) -> int:
    """Partitions starting after ``now``, consecutive from the next period on."""
    ranged = {p.lo: p for p in parts if p.lo is not None}
    interval = interval_of(parts)
    if interval is None:
        return 0
    count, lo = 0, next_period(period_start(now, interval), interval)
    while lo in ranged:
        count += 1
        lo = next_period(lo, interval)
    return count


def _columns(conn: sa.Connection) -> str:
    names = conn.exec_driver_sql(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass('posts') AND attnum > 0 "
        "AND NOT attisdropped ORDER BY attnum"
    ).scalars()
    return ", ".join(f'"{n}"' for n in names)


def _convert(conn: sa.Connection, interval: str, ahead: int, now: datetime) -> dict[str, Any]:
    conn.exec_driver_sql("LOCK TABLE posts IN ACCESS EXCLUSIVE MODE")
    index_defs = conn.exec_driver_sql(
        "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
        "WHERE i.indrelid = to_regclass('posts') AND NOT i.indisprimary ORDER BY 1"
    ).all()
    pk = conn.exec_driver_sql(
        "SELECT conname FROM pg_constraint WHERE conrelid = to_regclass('posts') AND contype = 'p'"
    ).scalar_one_or_none()
    months = conn.exec_driver_sql(
        f"SELECT DISTINCT date_trunc('{interval}', \"timestamp\") FROM posts"
    ).scalars()
    horizon = next_period(period_start(now, interval), interval, ahead + 1)
    starts = {t for t in months if t < horizon}
    current = period_start(now, interval)
    starts |= {next_period(current, interval, n) for n in range(ahead + 1)}
    filled: set[datetime] = set()
    lo = min(starts)
    while lo < horizon and len(filled) <= MAX_FILLED:
        filled.add(lo)
        lo = next_period(lo, interval)
    if len(filled) <= MAX_FILLED:  # no gaps between the periods of the data and those ahead
        starts = filled
    conn.exec_driver_sql(
        "CREATE TABLE posts_partitioned (LIKE posts INCLUDING DEFAULTS INCLUDING CONSTRAINTS "
        'INCLUDING STORAGE INCLUDING COMMENTS) PARTITION BY RANGE ("timestamp")'
    )
    conn.exec_driver_sql(
        'ALTER TABLE posts_partitioned ADD CONSTRAINT posts_partitioned_pkey PRIMARY KEY (platform, post_id, "timestamp")'
    )
    created = []
    for lo in sorted(starts):
        name = partition_name(lo, interval)
        conn.exec_driver_sql(
            f"CREATE TABLE {name} PARTITION OF posts_partitioned "
            f"FOR VALUES FROM ({_literal(lo)}) TO ({_literal(next_period(lo, interval))})"
        )
        created.append(name)
    conn.exec_driver_sql(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF posts_partitioned DEFAULT")
    cols = _columns(conn)
    copied = conn.exec_driver_sql(f"INSERT INTO posts_partitioned ({cols}) SELECT {cols} FROM posts").rowcount
    conn.exec_driver_sql("DROP TABLE posts")
    conn.exec_driver_sql("ALTER TABLE posts_partitioned RENAME TO posts")
    conn.exec_driver_sql(f"ALTER TABLE posts RENAME CONSTRAINT posts_partitioned_pkey TO {pk or 'pk_posts'}")
    for _name, definition in index_defs:  # CREATE INDEX name ON public.posts ...: now the parent
        conn.exec_driver_sql(definition)
    return {"converted": True, "rows": copied, "created": created, "indexes": [n for n, _ in index_defs]}


def _attach(conn: sa.Connection, lo: datetime, interval: str) -> tuple[str, int]:
    """Create the partition [lo, next period), moving the DEFAULT partition's rows of that
    range into it first; (its name, rows moved)."""
    name, hi = partition_name(lo, interval), next_period(lo, interval)
    conn.exec_driver_sql(
        f"CREATE TABLE {name} (LIKE posts INCLUDING DEFAULTS INCLUDING CONSTRAINTS INCLUDING STORAGE)"
    )
    moved = 0
    if conn.exec_driver_sql(f"SELECT to_regclass('{DEFAULT_PARTITION}')").scalar() is not None:
        cols = _columns(conn)
        moved = conn.exec_driver_sql(
            f'WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE "timestamp" >= {_literal(lo)} '
            f'AND "timestamp" < {_literal(hi)} RETURNING {cols}) INSERT INTO {name} ({cols}) '
            f"SELECT {cols} FROM moved"
        ).rowcount
    conn.exec_driver_sql(
        f"ALTER TABLE posts ATTACH PARTITION {name} FOR VALUES FROM ({_literal(lo)}) TO ({_literal(hi)})"
    )
    return name, max(moved, 0)


def ensure_partitions(
    conn: sa.Connection, ahead: int, now: datetime, *, interval: str | None = None, backfill: bool = False
) -> dict[str, Any]:
    """In the caller's transaction on a partitioned posts table: create the partitions of the
    current period and the ``ahead`` next ones that are missing; with ``backfill``, also
    those of earlier periods whose rows the DEFAULT partition holds."""
    _begin(conn)
    parts = partitions(conn)
    have = interval_of(parts)
    interval = have or interval or "month"
    existing = {p.lo for p in parts if p.lo is not None}
    current = period_start(now, interval)
    wanted = {next_period(current, interval, n) for n in range(ahead + 1)}
    if backfill and any(p.name == DEFAULT_PARTITION for p in parts):
        horizon = next_period(current, interval, ahead + 1)
        wanted |= {
            t
            for t in conn.exec_driver_sql(
                f"SELECT DISTINCT date_trunc('{interval}', \"timestamp\") FROM {DEFAULT_PARTITION}"
            ).scalars()
            if t < horizon
        }
    created, moved = [], 0
    for lo in sorted(wanted - existing):
        if any(
            p.lo is not None and p.hi is not None and p.lo < next_period(lo, interval) and lo < p.hi
            for p in parts
        ):
            continue  # overlaps a partition of another shape (made by hand): left alone
        name, rows = _attach(conn, lo, interval)
        created.append(name)
        moved += rows
    parts = partitions(conn)
    return {
        "interval": interval,
        "created": created,
        "moved_from_default": moved,
        "partitions": len([p for p in parts if p.lo is not None]),
        "ahead": ahead_count(parts, now),
    }


def partition_posts(engine: sa.Engine, interval: str | None, ahead: int, now: datetime) -> dict[str, Any]:
    """Convert a plain posts table (one transaction), or add what a partitioned one lacks."""
    if interval is not None and interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")
    with engine.begin() as conn:
        _begin(conn)
        kind = posts_kind(conn)
        if kind is None:
            raise LookupError("the database has no posts table: run `openiru db upgrade` first")
        summary: dict[str, Any] = {"converted": False, "rows": 0, "indexes": []}
        if kind == "plain":
            summary = _convert(conn, interval or "month", ahead, now)
        else:
            have = interval_of(partitions(conn))
            if interval and have and interval != have:
                raise ValueError(f"posts is partitioned by {have}, not by {interval}")
        done = ensure_partitions(conn, ahead, now, interval=interval, backfill=True)
        done["created"] = summary.pop("created", []) + done["created"]
        return {**summary, **done}


def drop_partition(conn: sa.Connection, part: Partition) -> dict[str, int]:
    """Delete the dependent rows of the partition's posts, then the partition; counts."""
    if part.lo is None or part.name == DEFAULT_PARTITION:
        raise ValueError("the DEFAULT partition is never dropped")
    counts = {"posts": int(conn.exec_driver_sql(f"SELECT count(*) FROM {part.name}").scalar_one())}
    for table in DEPENDENT_TABLES:
        counts[table] = max(
            conn.exec_driver_sql(
                f"DELETE FROM {table} t USING {part.name} p WHERE t.platform = p.platform "
                "AND t.post_id = p.post_id"
            ).rowcount,
            0,
        )
    conn.exec_driver_sql(f"DROP TABLE {part.name}")
    return counts


def count_rows(conn: sa.Connection, part: Partition) -> int:
    return int(conn.exec_driver_sql(f"SELECT count(*) FROM {part.name}").scalar_one())
