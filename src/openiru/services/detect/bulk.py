"""Bulk insertion of bank items: a million hashes in seconds, not a minute.

Rows go as plain tuples into a staging table (``executemany`` on SQLite, ``COPY``
through psycopg's ``cursor.copy`` on PostgreSQL), and one ``INSERT INTO
detect_bank_items ... SELECT ... ORDER BY <staging order> ON CONFLICT DO NOTHING``
moves them across: items keep the order of the file (ids ascend with it), the first
of duplicate values is kept, and the count of rows moved says how many were new.

Two things keep a large batch cheap:

* duplicates are dropped before staging: within the batch by a dict (first one
  kept), and, when the bank is not much larger than the batch, against the bank's
  keys read in one query (a million probes of the unique index cost ~5x more than
  reading the keys), so a re-import stages nothing;
* the one index, the unique ``(value_key, kind, bank)``, is dropped first and built
  once at the end (a sort instead of a million random B-tree insertions), inside the
  same transaction, when the batch outnumbers the rows already there.  Dropping it
  takes the write lock first (SQLite's writer lock, PostgreSQL's exclusive table
  lock), so the keys read next are every key there is and no other writer adds one
  before the index is back.

On a SQLite file that no other connection has open, a large batch is written in
rollback-journal mode (``bulk_transaction``): in WAL mode every new page is written
twice, to the WAL and again when it is checkpointed into the database (~370 MB for a
million PDQ hashes); new pages past the end of the file need no journal, so they are
written once.  WAL is set again right after the commit.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from ...store import tables_detect as td
from ...store.schema import TS
from ...store.writer import dialect_insert

STAGE = "openiru_bank_stage"
COLUMNS = ("kind", "value", "value_key", "item", "label", "organisation", "outlet", "source", "language")
#: From this many rows on, the unique index is rebuilt once instead of maintained per row.
REBUILD_INDEX_FROM = 50_000
#: From this many rows on, the bank's keys are read to drop existing values before staging ...
PREFILTER_FROM = 10_000
#: ... when the table holds at most this many rows per row of the batch.
PREFILTER_RATIO = 4
UNIQUE_INDEX = "uq_detect_bank_items_value"
UNIQUE_COLUMNS = "value_key, kind, bank"  # value_key first: sorted ~25 % faster (0015)


@contextmanager
def bulk_transaction(engine: sa.Engine, rows: int) -> Iterator[sa.Connection]:
    """``engine.begin()``; for ``rows`` >= ``REBUILD_INDEX_FROM`` on a SQLite file that no
    other connection has open, in rollback-journal mode (``synchronous=FULL`` meanwhile)."""
    if (
        engine.dialect.name != "sqlite"
        or rows < REBUILD_INDEX_FROM
        or engine.url.database in (None, "", ":memory:")
    ):
        with engine.begin() as conn:
            yield conn
        return
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        switched = _journal_mode(raw, "DELETE", wait=False)
        try:
            with conn.begin():
                yield conn
        finally:
            if switched:
                _journal_mode(raw, "WAL", wait=True)


def _journal_mode(raw: Any, mode: str, wait: bool) -> bool:
    """Set the journal mode (and the matching ``synchronous``) outside a transaction; False
    where it could not be (another connection has the file open: no waiting for it)."""
    cursor = raw.cursor()
    try:
        timeout = cursor.execute("PRAGMA busy_timeout").fetchone()[0]
        if not wait:
            cursor.execute("PRAGMA busy_timeout = 0")
        try:
            got = cursor.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0]
        except sqlite3.OperationalError:  # locked
            return False
        finally:
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout)}")
        if str(got).upper() != mode:
            return False
        cursor.execute("PRAGMA synchronous = " + ("NORMAL" if mode == "WAL" else "FULL"))
        return True
    finally:
        cursor.close()


class BulkInserter:
    """Adds rows of ``COLUMNS`` to one bank inside the caller's transaction."""

    def __init__(self, conn: sa.Connection, bank: str, now: datetime) -> None:
        self.conn = conn
        self.bank = bank
        self.now = now
        self.postgres = conn.dialect.name == "postgresql"
        self.created = False

    def __enter__(self) -> BulkInserter:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.created and exc_type is None:
            self.conn.exec_driver_sql(f"DROP TABLE {STAGE}")

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        """The driver's own cursor on this transaction's connection (a million rows without a
        SQLAlchemy Row or parameter dict each), closed after use."""
        raw = self.conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def _stage(self) -> None:
        if self.created:
            return
        cols = ", ".join(f"{c} TEXT" for c in COLUMNS)
        if self.postgres:
            self.conn.exec_driver_sql(f"CREATE TEMP TABLE {STAGE} (seq BIGSERIAL, {cols}) ON COMMIT DROP")
        else:  # the rowid gives the order
            self.conn.exec_driver_sql(f"DROP TABLE IF EXISTS temp.{STAGE}")
            self.conn.exec_driver_sql(f"CREATE TEMP TABLE {STAGE} ({cols})")
        self.created = True

    def _load(self, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> None:
        self._stage()
        with self._cursor() as cursor:
            if self.postgres:
                with cursor.copy(f"COPY {STAGE} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {STAGE} ({', '.join(columns)}) VALUES ({marks})", rows)

    def _begin(self, n: int, kind: str | None) -> tuple[bool, set[Any] | None]:
        """Whether the unique index is rebuilt (then it is dropped now), and the bank's keys
        (``value_key``s of ``kind``, else ``(kind, value_key)`` pairs) when worth reading."""
        t = td.detect_bank_items
        total = 0
        if n >= min(REBUILD_INDEX_FROM, PREFILTER_FROM):
            total = self.conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
        # rebuild only when the batch outnumbers the rows already indexed (a first large import)
        rebuild = n >= REBUILD_INDEX_FROM and n > total
        if rebuild:  # first: the write lock, before the keys are read
            self.conn.exec_driver_sql(f"DROP INDEX IF EXISTS {UNIQUE_INDEX}")
        if not rebuild and (n < PREFILTER_FROM or total > PREFILTER_RATIO * n):
            return False, None
        # through the driver's cursor: a million keys without a Row object each
        mark = "%s" if self.postgres else "?"
        sql, params = f"SELECT kind, value_key FROM {t.name} WHERE bank = {mark}", [self.bank]
        if kind is not None:
            sql, params = sql + f" AND kind = {mark}", [self.bank, kind]
        with self._cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return rebuild, {v for _, v in rows} if kind is not None else set(rows)

    def _move(self, rebuild: bool, kind: str | None = None) -> int:
        """Stage -> bank items; how many were added.  With ``kind``, only values were staged."""
        t = td.detect_bank_items
        stage = sa.table(STAGE, *(sa.column(c) for c in COLUMNS), sa.column("seq"))
        order = stage.c.seq if self.postgres else sa.literal_column(f"{STAGE}.rowid")
        columns: list[Any] = [stage.c[c] for c in COLUMNS]
        if kind is not None:
            columns[0], columns[2] = sa.literal(kind, sa.String), stage.c.value
        select = sa.select(
            sa.literal(self.bank, sa.String),
            *columns,
            sa.literal("active", sa.String),
            sa.literal(0, sa.Integer),
            sa.literal(self.now, TS),
        ).order_by(order)
        stmt = (
            dialect_insert(self.conn, t)
            .from_select(["bank", *COLUMNS, "status", "match_count", "added_at"], select)
            .on_conflict_do_nothing()
        )
        if self.postgres:  # psycopg reports no row count for INSERT ... SELECT through SQLAlchemy
            inserted = stmt.returning(t.c.id).cte("inserted")
            added = int(self.conn.execute(sa.select(sa.func.count()).select_from(inserted)).scalar_one())
        else:
            added = max(self.conn.execute(stmt).rowcount, 0)
        self.conn.exec_driver_sql(f"DELETE FROM {STAGE}")
        return added

    def _end(self, rebuild: bool) -> None:
        if not rebuild:
            return
        if not self.postgres:  # SQLite's sorter may merge on a second thread (0 by default)
            self.conn.exec_driver_sql("PRAGMA threads = 2")
        try:
            self.conn.exec_driver_sql(
                f"CREATE UNIQUE INDEX {UNIQUE_INDEX} ON {td.detect_bank_items.name} ({UNIQUE_COLUMNS})"
            )
        finally:
            if not self.postgres:
                self.conn.exec_driver_sql("PRAGMA threads = 0")

    def insert(self, rows: list[tuple[Any, ...]]) -> tuple[int, int]:
        """Rows of ``COLUMNS``; ``(added, existing)``."""
        if not rows:
            return 0, 0
        rebuild, seen = self._begin(len(rows), None)
        seen = seen if seen is not None else set()
        fresh = []
        for row in rows:  # the first of duplicates (kind, value_key) kept, known ones dropped
            key = (row[0], row[2])
            if key not in seen:
                seen.add(key)
                fresh.append(row)
        added = 0
        if fresh:
            self._load(COLUMNS, fresh)
            added = self._move(rebuild)
        self._end(rebuild)
        return added, len(rows) - added

    def insert_values(self, kind: str, values: list[str]) -> tuple[int, int]:
        """Bare values of one kind (value_key is the value: short hashes); ``(added, existing)``."""
        if not values:
            return 0, 0
        rebuild, known = self._begin(len(values), kind)
        fresh = list(dict.fromkeys(values))  # the first of duplicates, in file order
        if known:
            fresh = [v for v in fresh if v not in known]
        added = 0
        if fresh and self.postgres:
            self._load(("value",), zip(fresh))
            added = self._move(rebuild, kind)
        elif fresh:
            added = self._insert_sqlite(kind, fresh)
        self._end(rebuild)
        return added, len(values) - added

    def _insert_sqlite(self, kind: str, values: list[str]) -> int:
        """Values straight into the bank's table on SQLite, one bound parameter a row (the bank,
        kind and time as quoted literals: a staging table and its ``INSERT ... SELECT`` cost
        twice as much for a million rows); how many were new."""
        stamp = TS.bind_processor(self.conn.dialect)
        added_at = stamp(self.now) if stamp is not None else self.now.isoformat(sep=" ")
        sql = (
            f"INSERT INTO {td.detect_bank_items.name} "
            "(bank, kind, value, value_key, status, match_count, added_at) "
            f"VALUES ({_quoted(self.bank)}, {_quoted(kind)}, ?1, ?1, 'active', 0, {_quoted(str(added_at))}) "
            "ON CONFLICT DO NOTHING"
        )
        with self._cursor() as cursor:
            cursor.executemany(sql, zip(values))
            return max(cursor.rowcount, 0)


def _quoted(text: str) -> str:
    """An SQL string literal (quotes doubled); NUL, which SQLite would cut the text at, refused."""
    if "\x00" in text:
        raise ValueError("NUL in an SQL literal")
    return "'" + text.replace("'", "''") + "'"
