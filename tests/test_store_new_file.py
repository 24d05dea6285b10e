"""A new SQLite file is created from the metadata (``store/db.py: create_new_sqlite``), not by
running every migration: the result must be the file Alembic builds, column for column, index for
index, with the same revisions recorded; a file that has a schema still goes through Alembic."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from openiru.store import db as store_db
from openiru.store.all_tables import metadata


def _alembic_file(path: Path, revision: str = "heads") -> Path:
    engine = store_db.make_engine(f"sqlite:///{path}")
    try:
        command.upgrade(store_db.alembic_config(engine), revision)
    finally:
        engine.dispose()
    return path


def _describe(path: Path) -> dict[str, Any]:
    """Every table's columns (order, type, NOT NULL, default, key), foreign keys and indexes
    (name, unique, origin, columns), the SQL of each object (quoting and layout aside) and the
    revisions recorded."""
    conn = sqlite3.connect(path)
    try:
        out: dict[str, Any] = {}
        for name, kind, sql in conn.execute("SELECT name, type, sql FROM sqlite_master ORDER BY name"):
            text = re.sub(r"\s+", " ", (sql or "").replace('"', "").replace("IF NOT EXISTS ", "")).strip()
            entry: dict[str, Any] = {"type": kind, "sql": text}
            if kind == "table":
                entry["columns"] = conn.execute(f"PRAGMA table_xinfo('{name}')").fetchall()
                entry["foreign_keys"] = sorted(conn.execute(f"PRAGMA foreign_key_list('{name}')").fetchall())
                entry["indexes"] = sorted(
                    (row[1], row[2], row[3], [c[2] for c in conn.execute(f"PRAGMA index_info('{row[1]}')")])
                    for row in conn.execute(f"PRAGMA index_list('{name}')")
                )
            out[name] = entry
        out["revisions"] = sorted(r[0] for r in conn.execute("SELECT version_num FROM alembic_version"))
        return out
    finally:
        conn.close()


def test_a_new_file_is_the_file_the_migrations_build(tmp_path: Path) -> None:
    migrated = _describe(_alembic_file(tmp_path / "migrated.db"))
    engine = store_db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        assert store_db.create_new_sqlite(engine)
        assert store_db.is_current(engine)
    finally:
        engine.dispose()
    created = _describe(tmp_path / "new.db")
    assert "posts" in created and created["posts"]["indexes"]
    assert created == migrated


def test_the_migrations_match_the_metadata_on_sqlite(tmp_path: Path) -> None:
    # the test fixtures' SQLite files are created from the metadata now: the migrations
    # themselves are compared with it here (tests/test_store.py does it on PostgreSQL)
    engine = store_db.make_engine(f"sqlite:///{_alembic_file(tmp_path / 'migrated.db')}")
    try:
        with engine.connect() as conn:
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    finally:
        engine.dispose()


def test_a_file_with_a_schema_is_migrated_by_alembic(tmp_path: Path) -> None:
    path = _alembic_file(tmp_path / "old.db", "0001")  # the foundation only
    engine = store_db.make_engine(f"sqlite:///{path}")
    try:
        assert not store_db.create_new_sqlite(engine)  # not empty: left alone
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [
                "0001"
            ]
        store_db.upgrade(engine)
        assert store_db.is_current(engine)
    finally:
        engine.dispose()
    assert _describe(path) == _describe(_alembic_file(tmp_path / "migrated.db"))


def test_an_interrupted_creation_leaves_no_schema(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = store_db.make_engine(f"sqlite:///{tmp_path / 'new.db'}")
    monkeypatch.setattr(store_db, "ALEMBIC_VERSION_DDL", "CREATE TABLE broken (")  # fails last
    try:
        with pytest.raises(sqlite3.OperationalError):
            store_db.create_new_sqlite(engine)
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT count(*) FROM sqlite_master").scalar() == 0
        monkeypatch.undo()
        store_db.upgrade(engine)  # the next command creates it whole
        assert store_db.is_current(engine)
    finally:
        engine.dispose()
