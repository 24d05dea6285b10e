"""Triage-queue pages held by each server process until PostgreSQL says the queue changed.

Fifty analysts reloading the queue mostly ask for the same few pages, and the
queue changes only when posts are scanned or decided.  A statement-level trigger
on ``detect_alerts`` (migration ``0002_detect_notify``) sends ``NOTIFY
openiru_alerts`` at every commit that touched it; each process listens on its
own connection and, on a notification, drops every page it holds.  A page is
stored under the *generation* seen before its query started, and served only
while that generation is current, so a page read before a change and stored
after its notification is never served.  What a client can see is a page up to
one notification's delivery late (milliseconds), as if its request had come
that much earlier.

While the listening connection is down (start-up, a database restart) nothing
is cached and every page is read from the database.  SQLite has no
notifications: there the cache is never live.  Written by hand: the pieces
(asyncpg's ``add_listener``, a dict) are small, and a cache server would add a
hop and a dependency for what one process can know by itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from .deps import SAFE_METHODS

log = logging.getLogger("openiru.api")

CHANNEL = "openiru_alerts"


class PageCache:
    def __init__(self, max_pages: int = 512) -> None:
        self.max_pages = max_pages
        self.generation = 0
        self.live = False
        self.hits = 0
        self._pages: dict[Hashable, tuple[int, bytes]] = {}
        self._loading: dict[Hashable, tuple[int, asyncio.Task[bytes]]] = {}
        self._task: asyncio.Task[None] | None = None

    # --- pages ------------------------------------------------------------------------------
    def get(self, key: Hashable) -> bytes | None:
        if not self.live:
            return None
        entry = self._pages.get(key)
        if entry is None or entry[0] != self.generation:
            return None
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, generation: int, body: bytes) -> None:
        """Keep ``body``, read under ``generation`` (:attr:`generation` before the query)."""
        if not self.live or generation != self.generation:
            return
        if len(self._pages) >= self.max_pages:
            self._pages.pop(next(iter(self._pages)))  # the oldest
        self._pages[key] = (generation, body)

    async def fetch(self, key: Hashable, load: Callable[[], Awaitable[bytes]]) -> bytes:
        """The page ``key``: held, or being read for another request (then that read's result:
        after a change, fifty requests for the first page make one query, not fifty), or read
        now by ``load``.  The read runs as its own task, so a client that goes away does not
        cancel it for the others."""
        body = self.get(key)
        if body is not None:
            return body
        if not self.live:
            return await load()
        loading = self._loading.get(key)
        if loading is None or loading[0] != self.generation:
            generation = self.generation
            task = asyncio.ensure_future(self._read(key, generation, load))
            self._loading[key] = (generation, task)
            loading = (generation, task)
        return await asyncio.shield(loading[1])

    async def _read(self, key: Hashable, generation: int, load: Callable[[], Awaitable[bytes]]) -> bytes:
        try:
            body = await load()
            self.put(key, generation, body)
            return body
        finally:
            if self._loading.get(key, (None,))[0] == generation:
                del self._loading[key]

    def changed(self, *_: Any) -> None:
        """The queue changed (a notification, or the listener lost its connection)."""
        self.generation += 1
        self._pages.clear()

    # --- listening --------------------------------------------------------------------------
    def start(self, dsn: str) -> None:
        """Listen for changes in the background (in the running event loop)."""
        self._task = asyncio.get_running_loop().create_task(self._listen(dsn), name="openiru-page-cache")

    async def stop(self) -> None:
        self.live = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self, dsn: str, retry: float = 2.0) -> None:
        import asyncpg

        while True:
            conn = None
            try:
                conn = await asyncpg.connect(dsn, timeout=10)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _conn, lost=lost: lost.set())
                await conn.add_listener(CHANNEL, self.changed)
                self.changed()  # anything before this moment is unknown: start afresh
                self.live = True
                await lost.wait()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError, TimeoutError) as exc:
                log.warning("triage page cache: not listening (%s); pages read from the database", exc)
            finally:
                self.live = False
                self.changed()
                if conn is not None and not conn.is_closed():
                    with contextlib.suppress(Exception):
                        await conn.close(timeout=2)
            await asyncio.sleep(retry)


class DropPagesAfterWrites:
    """ASGI middleware: after any request that may write (not GET, HEAD or OPTIONS) this process
    drops its pages at once, without waiting for the notification: a client that decides an alert
    and reloads the queue on the same process sees its decision (other processes: within a
    notification's delivery)."""

    def __init__(self, app: ASGIApp, cache: PageCache) -> None:
        self.app, self.cache = app, cache

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            self.cache.changed()
