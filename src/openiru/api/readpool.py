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

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa

if TYPE_CHECKING:
    import asyncpg


class FairPool:
    """An asyncpg pool whose waiters are served first come, first served.

    asyncpg hands out connections through an ``asyncio.Queue``: a waiter woken for a
    released connection can find it taken by a request that arrived just then, and
    queues again at the back.  Under steady load some requests lost that race over and
    over: the triage page's p99 was ten times its median.  A FIFO ``asyncio.Semaphore``
    (fair since Python 3.11.1) sized to the pool admits requests in arrival order, and an
    admitted request always finds a connection free."""

    def __init__(self, pool: asyncpg.Pool, size: int) -> None:
        self.pool = pool
        self._turns = asyncio.Semaphore(size)

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        async with self._turns, self.pool.acquire() as conn:
            yield conn

    async def close(self) -> None:
        await self.pool.close()


def dsn(engine: sa.Engine) -> str:
    """The engine's URL as a libpq connection string (``postgresql://...``)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


async def open_read_pool(engine: sa.Engine, size: int) -> FairPool | None:
    """A pool of ``size`` connections to the engine's PostgreSQL, or ``None`` on other databases
    (or with ``size`` 0)."""
    if engine.dialect.name != "postgresql" or size <= 0:
        return None
    import asyncpg

    pool = await asyncpg.create_pool(
        dsn(engine), min_size=size, max_size=size, timeout=30, reset=_keep_session
    )
    return FairPool(pool, size)


async def _keep_session(conn: asyncpg.Connection) -> None:
    """No reset between uses: these connections only run single SELECTs in autocommit (no
    session state to undo), and asyncpg's default reset (``RESET ALL; CLOSE ALL; UNLISTEN *;
    ...``) is a round trip per page, measured at a third of the page's client CPU."""
