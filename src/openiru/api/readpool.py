"""An asyncpg connection pool for the API's hottest read (the triage queue page).

Every other route uses the SQLAlchemy engine (psycopg) from a worker thread.
The triage page is the page many analysts reload all day.  Measured on a
2-core server with 50 concurrent clients (docs/benchmarks/api.md), a sync
route's thread-pool hop and ORM work capped it at a few hundred pages per
second; an ``async`` route without a thread serves several times that, and of
the async drivers asyncpg costs the least client CPU per page (0.10 ms against
0.19 ms for psycopg's async connection and 0.28 ms through psycopg_pool, same
statement, same machine: benchmarks/api_drivers.py).  Opened by the app's
lifespan on PostgreSQL only; elsewhere the route falls back to the engine in
the thread pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    import asyncpg


def dsn(engine: sa.Engine) -> str:
    """The engine's URL as a libpq connection string (``postgresql://...``)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def open_read_pool(engine: sa.Engine, size: int) -> asyncpg.Pool | None:
    """A pool of ``size`` connections to the engine's PostgreSQL, or ``None`` on other databases
    (or with ``size`` 0)."""
    if engine.dialect.name != "postgresql" or size <= 0:
        return None
    import asyncpg

    return await asyncpg.create_pool(dsn(engine), min_size=size, max_size=size, timeout=30,
                                     reset=_keep_session)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset between uses: these connections only run single SELECTs in autocommit (no
    session state to undo), and asyncpg's default reset (``RESET ALL; CLOSE ALL; UNLISTEN *;
    ...``) is a round trip per page, measured at a third of the page's client CPU."""
