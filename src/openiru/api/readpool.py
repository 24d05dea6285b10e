"""An async psycopg connection pool for the API's hottest read (the triage queue page).

Every other route uses the SQLAlchemy engine from a worker thread.  The triage
page is the page many analysts reload all day; measured on a 2-core server with
50 concurrent clients, a sync route costs a thread-pool hop and ORM work per
request that capped it at a few hundred pages per second, while an ``async``
route reading through psycopg's own async pool (same driver, no thread, a
handful of connections) served several times that (docs/benchmarks/api.md).
Opened by the app's lifespan on PostgreSQL only; elsewhere the route falls back
to the engine in the thread pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    from psycopg_pool import AsyncConnectionPool


def conninfo(engine: sa.Engine) -> str:
    """The engine's URL as a libpq connection string (psycopg's form of it)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def open_read_pool(engine: sa.Engine, size: int) -> AsyncConnectionPool | None:
    """A pool of ``size`` autocommit connections to the engine's PostgreSQL, or ``None`` on
    other databases (or with ``size`` 0)."""
    if engine.dialect.name != "postgresql" or size <= 0:
        return None
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(conninfo(engine), min_size=size, max_size=size, open=False,
                               kwargs={"autocommit": True}, name="openiru-read")
    await pool.open(wait=True, timeout=30)
    return pool
