"""``openiru db check`` and ``openiru db upgrade``: the schema of a production database.

Every other command migrates the database it opens (``open_database``); in production the
schema is migrated once, by the deployment (``openiru db upgrade`` in ``deploy/``), and
``openiru db check`` says, without changing anything, what is pending: the migrations the
code has that the database has not recorded, and the tables and indexes the code declares
(``store/schema.py`` and the ``tables_<area>.py`` modules) that the database lacks; and on
PostgreSQL whether ``posts`` is partitioned by time, with how many partitions lie ahead.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ...store import (
    all_tables,  # noqa: F401 - every area's tables on the metadata
    schema,
)
from ...store.db import MIGRATIONS_DIR, is_current, upgrade


def code_heads() -> list[str]:
    from alembic.script import ScriptDirectory

    return sorted(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads())


def recorded(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return []
        return sorted(conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars())


def pending_migrations(engine: sa.Engine) -> list[str]:
    """Revisions of the code not yet applied to the database, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS_DIR))
    done: set[str] = set()
    for rev in recorded(engine):
        done.update(r.revision for r in script.iterate_revisions(rev, "base"))
    return [r.revision for r in reversed(list(script.walk_revisions())) if r.revision not in done]


def missing_schema(engine: sa.Engine) -> tuple[list[str], list[str]]:
    """(tables, indexes) the code declares that the database lacks."""
    tables: list[str] = []
    indexes: list[str] = []
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        present = set(inspector.get_table_names())
        for table in schema.metadata.sorted_tables:
            if table.name not in present:
                tables.append(table.name)
                continue
            have = {ix["name"] for ix in inspector.get_indexes(table.name)}
            have |= {uc["name"] for uc in inspector.get_unique_constraints(table.name)}
            indexes += [
                f"{table.name}.{ix.name}"
                for ix in sorted(table.indexes, key=lambda i: str(i.name))
                if ix.name and ix.name not in have
            ]
    return tables, indexes


def check(engine: sa.Engine) -> dict[str, Any]:
    """``{"ok", "current", "code_heads", "recorded", "pending_migrations", "missing_tables",
    "missing_indexes", "posts_partitioning"}``; ``ok`` only when nothing is pending or missing
    (partitioning is reported, not required: :func:`.partitions.status`)."""
    from ...clock import from_env
    from .partitions import status

    pending = pending_migrations(engine)
    tables, indexes = missing_schema(engine)
    current = is_current(engine)
    return {
        "ok": current and not pending and not tables and not indexes,
        "current": current,
        "code_heads": code_heads(),
        "recorded": recorded(engine),
        "pending_migrations": pending,
        "missing_tables": tables,
        "missing_indexes": indexes,
        "posts_partitioning": status(engine, now=from_env()) if not tables else {"partitioned": False},
    }


def run_upgrade(engine: sa.Engine) -> dict[str, Any]:
    """Apply the pending migrations; what was applied."""
    before = pending_migrations(engine)
    upgrade(engine)
    return {"applied": before, "recorded": recorded(engine)}
