"""A small cache for whole-graph analytics the console reads often.

Key accounts, coordination groups and re-created links are computed by the
graph services over the whole store (seconds on millions of posts).  The API
keeps the last result per (name, arguments) for ``ttl`` seconds, then serves
the stale value while one background thread recomputes it, so a page never
waits for a ranking twice and concurrent requests do not recompute in
parallel.  Written by hand: the standard library's ``functools`` caches have
no expiry or stale-while-revalidate, and the value is a single in-process
object, so a cache server would add nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any


class AnalyticsCache:
    def __init__(self, ttl: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl = ttl
        self.clock = clock
        self._values: dict[Hashable, tuple[float, Any]] = {}
        self._locks: dict[Hashable, threading.Lock] = {}
        self._refreshing: set[Hashable] = set()
        self._backdated: dict[Hashable, float] = {}
        self._guard = threading.Lock()
        #: Whether anything was invalidated in this process (then stored results are old news).
        self.invalidated = False

    def _lock(self, key: Hashable) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        entry = self._values.get(key)
        if entry is None:
            with self._lock(key):
                entry = self._values.get(key)
                if entry is None:
                    value = compute()
                    self._values[key] = (self.clock() - self._backdated.pop(key, 0.0), value)
                    return value
        stamp, value = entry
        if self.clock() - stamp > self.ttl:
            self._refresh_in_background(key, compute)
        return value

    def peek(self, key: Hashable, compute: Callable[[], Any] | None = None) -> Any:
        """The value held for ``key`` without waiting (``None`` when there is none yet); a stale
        one is served and, given ``compute``, refreshed in the background as by :meth:`get`."""
        entry = self._values.get(key)
        if entry is None:
            return None
        if compute is not None and self.clock() - entry[0] > self.ttl:
            self._refresh_in_background(key, compute)
        return entry[1]

    def _refresh_in_background(self, key: Hashable, compute: Callable[[], Any]) -> None:
        with self._guard:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def run() -> None:
            try:
                self._values[key] = (self.clock(), compute())
            finally:
                with self._guard:
                    self._refreshing.discard(key)

        threading.Thread(target=run, name=f"openiru-cache-{key}", daemon=True).start()

    def backdate(self, key: Hashable, age: float) -> None:
        """Mark the value being computed for ``key`` as ``age`` seconds old (a stored result:
        served now, refreshed in the background once older than the TTL)."""
        self._backdated[key] = age

    def invalidate(self) -> None:
        """Forget everything (after a change the analyst expects to see at once)."""
        self.invalidated = True
        self._values.clear()
