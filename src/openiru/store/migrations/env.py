"""Alembic environment: runs migrations on the engine OpenIRU hands over."""

from __future__ import annotations

from alembic import context

from openiru.store.all_tables import metadata
from openiru.store.db import make_engine

config = context.config
engine = config.attributes.get("engine") or make_engine(config.get_main_option("sqlalchemy.url"))

with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()
