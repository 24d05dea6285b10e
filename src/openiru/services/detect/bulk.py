"""Bulk insertion of bank items: a million hashes in seconds, not a minute.

Row-by-row ``INSERT ... RETURNING`` through SQLAlchemy spent most of a large
``openiru bank import`` building parameter dictionaries and processing each bound
value.  Here rows go as plain tuples into a staging table (``executemany`` on
SQLite, ``COPY`` through psycopg's ``cursor.copy`` on PostgreSQL), and one
``INSERT INTO detect_bank_items ... SELECT ... ORDER BY <staging order>
ON CONFLICT DO NOTHING`` moves them across: items keep the order of the file
(ids ascend with it), the first of duplicate values is kept, and the statement's
row count says how many were new.  For a large batch the secondary index on
``(kind, value_key)`` is dropped first and built once at the end (a sort instead
of a million random B-tree insertions), inside the same transaction, when the batch
outnumbers the rows already there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

import sqlalchemy as sa

from ...store import tables_detect as td
from ...store.schema import TS
from ...store.writer import dialect_insert

STAGE = "openiru_bank_stage"
COLUMNS = ("kind", "value", "value_key", "item", "label", "organisation", "outlet", "source", "language")
#: From this many rows on, the (kind, value_key) index is rebuilt once instead of maintained per row.
REBUILD_INDEX_FROM = 50_000
SECONDARY_INDEX = "ix_detect_bank_items_kind_value"


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

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if self.created and exc_type is None:
            self.conn.exec_driver_sql(f"DROP TABLE {STAGE}")

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
        raw = self.conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            if self.postgres:
                with cursor.copy(f"COPY {STAGE} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join("?" for _ in columns)
                cursor.executemany(f"INSERT INTO {STAGE} ({', '.join(columns)}) VALUES ({marks})",
                                   rows)  # type: ignore[arg-type]  # sqlite3 takes any iterable
        finally:
            cursor.close()

    def _move(self, n: int, kind: str | None = None) -> tuple[int, int]:
        """Stage -> bank items; ``(added, existing)``.  With ``kind``, only values were staged."""
        t = td.detect_bank_items
        stage = sa.table(STAGE, *(sa.column(c) for c in COLUMNS), sa.column("seq"))
        order = stage.c.seq if self.postgres else sa.literal_column(f"{STAGE}.rowid")
        columns: list[Any] = [stage.c[c] for c in COLUMNS]
        if kind is not None:
            columns[0], columns[2] = sa.literal(kind, sa.String), stage.c.value
        select = sa.select(sa.literal(self.bank, sa.String), *columns,
                           sa.literal("active", sa.String), sa.literal(0, sa.Integer),
                           sa.literal(self.now, TS)).order_by(order)
        stmt = dialect_insert(self.conn, t).from_select(
            ["bank", *COLUMNS, "status", "match_count", "added_at"], select).on_conflict_do_nothing()
        # rebuild the secondary index only when the batch outnumbers the rows already indexed
        # (a first large import); a re-import of existing hashes adds nothing to index
        rebuild = n >= REBUILD_INDEX_FROM and n > self.conn.execute(sa.select(sa.func.count()).select_from(t)
                                                                    ).scalar_one()
        if rebuild:
            self.conn.exec_driver_sql(f"DROP INDEX IF EXISTS {SECONDARY_INDEX}")
        if self.postgres:  # psycopg reports no row count for INSERT ... SELECT through SQLAlchemy
            inserted = stmt.returning(t.c.id).cte("inserted")
            added = int(self.conn.execute(sa.select(sa.func.count()).select_from(inserted)).scalar_one())
        else:
            added = max(self.conn.execute(stmt).rowcount, 0)
        if rebuild:
            self.conn.exec_driver_sql(f"CREATE INDEX {SECONDARY_INDEX} ON {t.name} (kind, value_key)")
        self.conn.exec_driver_sql(f"DELETE FROM {STAGE}")
        return added, n - added

    def insert(self, rows: list[tuple[Any, ...]]) -> tuple[int, int]:
        """Rows of ``COLUMNS``; ``(added, existing)``."""
        if not rows:
            return 0, 0
        self._load(COLUMNS, rows)
        return self._move(len(rows))

    def insert_values(self, kind: str, values: list[str]) -> tuple[int, int]:
        """Bare values of one kind (value_key is the value: short hashes); ``(added, existing)``."""
        if not values:
            return 0, 0
        self._load(("value",), zip(values))
        return self._move(len(values), kind)
