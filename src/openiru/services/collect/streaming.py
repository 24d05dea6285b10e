"""Streamed targets: a watched ``stream:…`` target read from the platform's streaming API.

:class:`TargetStream` runs one such target (Mastodon ``stream:public``, ``stream:local``,
``stream:tag:NAME``; X ``stream:RULE``, the filtered stream) until stopped, in the thread
that calls :meth:`TargetStream.run`, through the connector's ``stream()`` and ``advance()``:

1. connect to the streaming API;
2. once the server has answered, fill the gap since the target's checkpoint through the
   REST API (:func:`~.runner.collect_target`: Mastodon ``min_id`` pages, X recent search
   ``since_id``; repeated until a run is not cut by ``max_pages``), while the server keeps
   new events in the connection;
3. store every streamed status at once through the same path as imports (ingest hooks:
   detection, alerts), with the checkpoint (the newest id stored) in that batch's
   transaction; a writer thread does it while the stream is read on, storing everything
   that has arrived meanwhile as one batch (one status a batch when they come slowly, up
   to ``BATCH`` when they come fast); before a gap fill it has stored everything streamed;
4. when the stream drops (connection closed, no heartbeat, 5xx, an expired token),
   wait 1 s, 2 s, 4 s… (at most ``max_wait``; back to 1 s after a connection that worked)
   and go to 1: the gap fill after the reconnect reads what was posted meanwhile.

A streamed status also returned by the gap fill is written once (posts are keyed by platform
ids, ``ON CONFLICT DO NOTHING``).  Only the process holding the lease ``stream:<id>``
streams a target; it renews the lease on every event and heartbeat, and stops when it
loses it.  ``sleep`` (the backoff wait) and ``stop`` are injected.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...sources.connectors.base import DEFAULT_MAX_PAGES, Page, Target
from ...sources.connectors.polite import ConnectorError
from ...sources.connectors.streams import StreamStopped
from . import checkpoints
from .runner import READ_ERRORS, TargetResult, build_connector, collect_target, store_page

#: Most streamed statuses stored in one import batch.
BATCH = 500
#: Seconds a stream's lease lasts without renewal (renewed on every event and heartbeat).
STREAM_LEASE_S = 120


def streamable(target: Target) -> bool:
    """Whether ``target`` is read from a streaming API under a long-running collector."""
    return target.connector in ("mastodon", "x") and target.target.startswith("stream:")


@dataclass
class StreamStats:
    """What a stream has done so far (read by the collector's report and the benchmark)."""

    target: str
    streamed: int = 0
    new_posts: int = 0
    gap_filled: int = 0
    connects: int = 0
    errors: list[str] = field(default_factory=list)
    checkpoint: dict[str, Any] | None = None


class TargetStream:
    """Streams one target until stopped (see the module's note)."""

    def __init__(
        self,
        engine: sa.Engine,
        target: Target,
        *,
        hooks: list[Any] | None = None,
        connector_options: dict[str, Any] | None = None,
        stop: threading.Event | None = None,
        sleep: Callable[[float], None] | None = None,
        max_wait: float = 60.0,
        job: str | None = None,
        holder: str | None = None,
        clock: Clock = system_now,
        on_post: Callable[[dict[str, Any]], None] | None = None,
        read_timeout: float | None = None,
    ) -> None:
        from .ingest import default_hooks

        self.engine, self.target = engine, target
        self.hooks = default_hooks(engine) if hooks is None else hooks
        self.options = connector_options or {}
        self.stop = stop or threading.Event()
        self.sleep = sleep or self.stop.wait
        self.max_wait, self.job, self.holder, self.clock = max_wait, job, holder, clock
        self.on_post = on_post
        self.read_timeout = read_timeout
        self.stats = StreamStats(str(target))
        self._renewed: datetime | None = None
        self._state: dict[str, Any] = {}
        self._sink: Any = None
        self._queue: queue.Queue[tuple[dict[str, Any], list[Any], Any] | None] = queue.Queue()

    def run(self) -> StreamStats:
        writer = threading.Thread(target=self._write, name=f"{self.target} writer", daemon=True)
        writer.start()
        try:
            return self._run()
        finally:
            self._queue.put(None)
            writer.join()

    def _run(self) -> StreamStats:
        attempt = 0
        while not self.stop.is_set():
            opened = threading.Event()
            try:
                connector = build_connector(self.target, **self.options)
            except ConnectorError as exc:
                self.stats.errors.append(str(exc))
                return self.stats
            if not hasattr(connector, "stream"):
                connector.close()
                self.stats.errors.append(f"{self.target}: no streaming API for this connector")
                return self.stats
            self._sink = connector  # names the import runs; its session only ever streams
            try:
                kwargs = {"read_timeout": self.read_timeout} if self.read_timeout else {}
                connector.stream(
                    on_open=partial(self._opened, opened),
                    on_status=self._store,
                    on_beat=self._beat,
                    stop=self.stop.is_set,
                    **kwargs,
                )  # type: ignore[arg-type]
            except StreamStopped:
                break
            except READ_ERRORS as exc:
                self.stats.errors.append(connector.credentials.redact(str(exc)))
            finally:
                connector.close()
            attempt = 0 if opened.is_set() else attempt + 1
            if not self.stop.is_set():
                self.sleep(min(self.max_wait, 2.0**attempt))
        return self.stats

    # -- steps -----------------------------------------------------------------------------

    def _opened(self, opened: threading.Event) -> None:
        opened.set()
        self.stats.connects += 1
        self._beat()
        self._queue.join()  # what the last connection streamed is stored before the gap is read
        while not self.stop.is_set():  # the gap since the checkpoint, through the REST timeline
            result = collect_target(
                self.engine, build_connector(self.target, **self.options), hooks=self.hooks
            )
            self.stats.gap_filled += result.new_posts
            self.stats.errors.extend(result.errors)
            if result.errors:
                raise ConnectorError(result.errors[-1])
            if result.pages < DEFAULT_MAX_PAGES:
                break
        self._state = dict(checkpoints.load_engine(self.engine, self.target.key) or {})

    def _store(self, status: dict[str, Any], records: list[Any]) -> None:
        """A streamed status, handed to the writer (the stream is read on meanwhile)."""
        self._queue.put((status, records, self._sink))

    def _write(self) -> None:
        """The writer: stores what the stream has read, everything waiting as one batch (at most
        ``BATCH``): one status at a time when they come slowly, batches when they come fast."""
        while True:
            batch = [self._queue.get()]
            while batch[-1] is not None and len(batch) < BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            items = [b for b in batch if b is not None]
            try:
                if items:
                    self._store_batch(items)
            except Exception as exc:  # noqa: BLE001 - a failed write is reported; the stream goes on
                self.stats.errors.append(
                    f"{self.target}: storing streamed statuses: {type(exc).__name__}: {exc}"
                )
            finally:
                for _ in batch:
                    self._queue.task_done()
            if batch[-1] is None:
                return

    def _store_batch(self, items: list[tuple[dict[str, Any], list[Any], Any]]) -> None:
        state = dict(self._state)
        records: list[Any] = []
        for item, recs, sink in items:
            records.extend(recs)
            state = sink.advance(state, item)
        result = TargetResult(str(self.target), self.target.key)
        store_page(self.engine, items[-1][2], Page(records, state, items=len(items)), self.hooks, result)
        self._state = self.stats.checkpoint = state
        self.stats.new_posts += result.new_posts
        self.stats.streamed += len(items)
        if self.on_post:
            for item, _recs, _sink in items:
                self.on_post(item)

    def _beat(self) -> None:
        """Renew the lease (at most every 10 s); lost to another process: stop."""
        if self.job is None or self.holder is None:
            return
        from .leases import acquire

        now = self.clock()
        if self._renewed is not None and (now - self._renewed).total_seconds() < 10:
            return
        if not acquire(self.engine, self.job, self.holder, now, ttl_s=STREAM_LEASE_S):
            self.stop.set()
            raise StreamStopped
        self._renewed = now
