"""SQLite inserts with a literal NULL for the columns NULL in every row (``store/writer.py:
_sqlite_many``) store exactly what binding each value stores, conflicts and merges included."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from openiru.store import writer
from openiru.store.db import open_database


def _rows(n: int, author: int) -> list[tuple[object, ...]]:
    # platform, account_id, handle, display_name, bio, avatar_media, created_at, first_seen,
    # last_seen, followers, status, status_changed_at, meta: several columns NULL throughout
    return [
        ("x", str(i), f"h{i}" if i % 3 else None, None, None, None, None, "2026-01-01 00:00:00.000000",
         None, author if i == 7 else None, "unknown", None, None)
        for i in range(n)
    ]  # fmt: skip


def _stored(engine: sa.Engine) -> list[tuple[object, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql("SELECT * FROM accounts ORDER BY rowid")]


def _write(engine: sa.Engine, batches: list[list[tuple[object, ...]]], literal_nulls: bool) -> int:
    total = 0
    for rows in batches:
        with engine.begin() as conn:
            if literal_nulls:
                total += writer._sqlite_many(conn, "accounts", rows)
            else:  # one row a statement, every value bound
                for row in rows:
                    total += conn.exec_driver_sql(writer._insert_sql("sqlite", "accounts"), row).rowcount
    return total


def test_literal_nulls_store_what_bound_values_store(tmp_path: Path) -> None:
    ours, bound = (open_database(f"sqlite:///{tmp_path / name}") for name in ("ours.db", "bound.db"))
    batches = [
        _rows(3000, 5),  # more rows than one statement takes, and a tail
        _rows(5, 9),  # the followers column is NULL throughout: one more literal NULL; all conflicts
        [("x", "9999", None, None, None, None, None, None, None, None, "unknown", None, None)],
    ]
    try:
        _write(ours, batches, literal_nulls=True)  # (upserts count merges and padding rows)
        _write(bound, batches, literal_nulls=False)
        stored = _stored(ours)
        assert len(stored) == 3001 and stored == _stored(bound)
    finally:
        ours.dispose()
        bound.dispose()
    assert "NULL" in writer._insert_sql("sqlite", "accounts", 2, (3, 4))
