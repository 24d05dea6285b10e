"""Engine creation and schema upgrades.

SQLite gets WAL journalling and ``synchronous=NORMAL``: a crash (even
``kill -9``) loses at most the transaction in flight, never a committed batch.
The schema is brought up to date with Alembic (``upgrade heads``: each area of
OpenIRU has its own migration branch on top of the foundation).
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ..errors import ConfigError
from ..settings import resolve_db_url

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    # 16 KiB pages for a new database (a no-op on an existing one): posts carry their raw
    # record, and fewer, fuller B-tree pages cut the importing thread's CPU by ~10 %
    # (measured on 100,000 twarc2 tweets).  Must precede journal_mode=WAL to take effect.
    cursor.execute("PRAGMA page_size=16384")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.execute("PRAGMA temp_store=MEMORY")
    cursor.close()


def make_engine(url: str | None = None) -> sa.Engine:
    url = resolve_db_url(url)
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"timeout": 30})
        sa.event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return sa.create_engine(url, pool_pre_ping=True)


def alembic_config(engine: sa.Engine) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["engine"] = engine
    return cfg


@cache
def _heads() -> frozenset[str]:
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    return frozenset(script.get_heads())


_REVISION_LINE = re.compile(r"^(revision|down_revision|depends_on)\s*(?::[^=]*)?=\s*(.+?)\s*$", re.MULTILINE)


def _names(value: object) -> tuple[str, ...] | None:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, tuple | list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    return None


@cache
def declared_revisions() -> dict[str, tuple[str, ...]] | None:
    """Each migration script's revision and the revisions it needs (``down_revision`` and
    ``depends_on``), read from their lines without importing Alembic (which takes longer
    than a small command); None when a script does not declare them plainly (then Alembic
    decides)."""
    graph: dict[str, tuple[str, ...]] = {}
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        if path.name.startswith(("__init__", ".#")):
            continue
        found = {m[1]: m[2] for m in _REVISION_LINE.finditer(path.read_text("utf-8"))}
        try:
            revision = ast.literal_eval(found["revision"])
            needs = [
                _names(ast.literal_eval(found.get(key, "None"))) for key in ("down_revision", "depends_on")
            ]
        except (KeyError, ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or None in needs:
            return None
        graph[revision] = tuple(name for names in needs for name in names or ())
    if not graph or any(name not in graph for needs in graph.values() for name in needs):
        return None  # a branch label or a partial id: only Alembic resolves those
    return graph


def covers_every_revision(recorded: frozenset[str], graph: dict[str, tuple[str, ...]]) -> bool:
    """Whether the revisions a database records, with everything they need, are every script."""
    if not recorded <= graph.keys():
        return False
    seen: set[str] = set()
    todo = list(recorded)
    while todo:
        revision = todo.pop()
        if revision not in seen:
            seen.add(revision)
            todo.extend(graph[revision])
    return seen == graph.keys()


def _recorded_heads(engine: sa.Engine) -> frozenset[str] | None:
    """The revisions the database records in ``alembic_version`` (None: no such table)."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return frozenset(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def is_current(engine: sa.Engine) -> bool:
    graph = declared_revisions()
    if graph is not None:  # the quick check: Alembic is imported only to migrate
        recorded = _recorded_heads(engine)
        return recorded is not None and covers_every_revision(recorded, graph)
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
    return frozenset(current) == _heads()


#: What Alembic creates to record the revisions (the same DDL, so a stamped file is as it makes one).
ALEMBIC_VERSION_DDL = (
    "CREATE TABLE alembic_version (\n\tversion_num VARCHAR(32) NOT NULL, \n\t"
    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n)"
)


def heads_recorded(graph: dict[str, tuple[str, ...]]) -> list[str]:
    """The revisions Alembic records after ``upgrade heads``: those no other one needs."""
    needed = {name for needs in graph.values() for name in needs}
    return sorted(set(graph) - needed)


def create_new_sqlite(engine: sa.Engine) -> bool:
    """On a SQLite file with no schema yet: create every table and index from the metadata
    and record the heads, in one transaction; False (nothing done) where the file already
    has a schema, the database is not SQLite or the revisions are not plainly declared.

    The schema equals the one the migrations build (columns in the same order, types,
    keys, indexes, the same SQL text: ``tests/test_store_new_file.py``), and creating it
    takes ~0.05 s where importing Alembic and running every migration took ~0.5 s (on
    SQLite Alembic rebuilds a table for each column it alters), a fixed cost of every
    command on a new file (``openiru ingest`` into one first of all).  ``BEGIN IMMEDIATE``
    takes the write lock before the file is found empty, so two processes creating it at
    once do not both create it; with SQLite's transactional DDL a crash leaves no half schema.
    """
    graph = declared_revisions()
    if engine.dialect.name != "sqlite" or graph is None:
        return False
    from sqlalchemy.schema import CreateIndex, CreateTable

    from .all_tables import metadata

    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        cursor = raw.cursor()
        try:
            cursor.execute("BEGIN IMMEDIATE")
            try:
                if cursor.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                    raw.rollback()
                    return False
                dialect = engine.dialect
                for table in metadata.sorted_tables:
                    cursor.execute(str(CreateTable(table).compile(dialect=dialect)))
                    for index in sorted(table.indexes, key=lambda i: i.name or ""):
                        cursor.execute(str(CreateIndex(index).compile(dialect=dialect)))
                cursor.execute(ALEMBIC_VERSION_DDL)
                cursor.executemany(
                    "INSERT INTO alembic_version (version_num) VALUES (?)",
                    [(head,) for head in heads_recorded(graph)],
                )
                raw.commit()
            except BaseException:
                raw.rollback()
                raise
        finally:
            cursor.close()
    return True


def upgrade(engine: sa.Engine) -> None:
    """Create or migrate the schema to the newest revision of every branch (a new SQLite
    file: created from the metadata, see :func:`create_new_sqlite`)."""
    if is_current(engine) or create_new_sqlite(engine):
        return
    from alembic import command

    command.upgrade(alembic_config(engine), "heads")


def open_database(url: str | None = None) -> sa.Engine:
    """An engine on an up-to-date schema (created on first use); a database that cannot be
    opened (no such folder, server down, wrong password) is a ConfigError naming it."""
    engine = make_engine(url)
    try:
        upgrade(engine)
    except sa.exc.OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig if exc.orig is not None else exc).strip().splitlines()
        where = engine.url.render_as_string(hide_password=True)
        raise ConfigError(
            f"cannot open the database {where}: {reason[0] if reason else type(exc).__name__}"
        ) from exc
    return engine
