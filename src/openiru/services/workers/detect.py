"""The detect role: pull batches of post keys from JetStream, scan them, commit, then ack.

A batch is scanned with the same detector, media hashing, quarantine and result writer
as ``openiru scan`` and the in-process ingest hook
(:mod:`openiru.services.detect.scan`), in one transaction; the message is acknowledged
only after that transaction commits, and after a *graph dirty* signal for the graph workers
(:mod:`.graph`) was published.  A worker that dies before the ack loses nothing:
JetStream hands the message to another worker after ``ack_wait``.  Scanning a post again
gives the same hits once: :func:`~openiru.services.detect.store.write_results` replaces a
post's hits, and on PostgreSQL the posts of a batch are locked first (in key order), so
two workers handed the same post one after the other never interleave their writes.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ...detect.pipeline import Detector
from ..detect.banks import ruleset_version
from ..detect.features import fill_media_features
from ..detect.scan import Quarantine, build_detector, previous_scan_time
from ..detect.store import execute_by_platform, hash_missing_pdq, load_posts, write_results
from .graph import ensure_graph, publish_dirty
from .metrics import DETECTION_LATENCY, MESSAGES, POSTS_SCANNED
from .stream import Topology, connect, dead_letter, decode_keys, ensure, move_exhausted

#: the batch's posts locked in key order, in the driver's SQL (one statement text whatever the
#: number of keys; SQLAlchemy's tuple IN was compiled afresh for each batch)
_LOCK_SQL = (
    "SELECT 1 FROM posts p WHERE p.platform = {mark} AND p.post_id {keys} ORDER BY p.post_id FOR UPDATE"
)


class PostScanner:
    """Scans given post keys in one transaction; rebuilds its detector when the rules change."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.version: int | None = None
        self.detector: Detector | None = None
        self.quarantine: Quarantine | None = None

    def scan_keys(self, keys: Sequence[tuple[str, str]]) -> int:
        """Scan these posts (those that exist); returns how many were scanned (0 with no rules)."""
        with self.engine.begin() as conn:
            version = ruleset_version(conn)
            if self.detector is None or version != self.version:
                self.detector = build_detector(conn)
                self.quarantine = Quarantine(established_before=previous_scan_time(conn, record=False))
                self.version = version
            if self.detector.ruleset.empty or not keys:
                return 0  # left unscanned for a later ``openiru scan``, as the ingest hook does
            unique = sorted(set(keys))
            if conn.dialect.name == "postgresql":  # platforms in order, ids in order: no deadlock
                execute_by_platform(conn, _LOCK_SQL, unique)
            posts = load_posts(conn, unique)
            hash_missing_pdq(conn, posts)
            fill_media_features(conn, posts)  # vPDQ, OCR and document text, read once and stored
            results = self.detector.scan(posts)
            assert self.quarantine is not None
            self.quarantine.check(conn, self.detector, results)
            write_results(conn, results)
            return len(posts)


@dataclass
class WorkerSummary:
    messages: int = 0
    posts: int = 0
    failed: int = 0
    dead_lettered: int = 0


async def run_detect(
    engine: sa.Engine,
    nats_url: str,
    topo: Topology,
    *,
    fetch: int = 4,
    exit_when_idle: float | None = None,
    throttle: float = 0.0,
    log: Callable[[str], None] = print,
) -> WorkerSummary:
    """Pull and scan until stopped (SIGTERM/SIGINT: the batch in hand is finished first) or,
    with ``exit_when_idle``, until the queue has had nothing pending or in flight that long."""
    import nats.errors

    summary = WorkerSummary()
    nc = await connect(nats_url)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        try:
            loop.add_signal_handler(sig, stop.set)
        except (RuntimeError, ValueError):  # not the main thread
            pass
    try:
        js = nc.jetstream()
        await ensure(js, topo)
        await ensure_graph(js, topo, consumer=False)

        async def on_advisory(msg: Any) -> None:  # one worker of the queue group gets each
            if await move_exhausted(js, topo, msg.data):
                summary.dead_lettered += 1
                log(f"dead-lettered a message delivered {topo.max_deliver} times")

        await nc.subscribe(topo.advisory, queue=f"{topo.prefix}-dead-letters", cb=on_advisory)
        sub = await js.pull_subscribe_bind(topo.consumer, topo.stream)
        scanner = PostScanner(engine)
        idle_since = time.monotonic()
        log(f"detect worker ready: stream {topo.stream}, consumer {topo.consumer}")
        while not stop.is_set():
            try:
                msgs = await sub.fetch(fetch, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):  # nothing came (fetch of n raises the builtin)
                if exit_when_idle is not None:
                    info = await js.consumer_info(topo.stream, topo.consumer)
                    if info.num_pending or info.num_ack_pending:
                        idle_since = time.monotonic()
                    elif time.monotonic() - idle_since >= exit_when_idle:
                        break
                continue
            idle_since = time.monotonic()
            log(f"fetched {len(msgs)} messages")
            for msg in msgs:
                if stop.is_set():
                    break  # not acknowledged: handed to another worker after ack_wait
                await _handle(js, topo, scanner, msg, summary, log)
                if throttle:
                    await asyncio.sleep(throttle)
    finally:
        await nc.close()  # every ack was confirmed (ack_sync): nothing to drain
    return summary


async def _handle(
    js: Any,
    topo: Topology,
    scanner: PostScanner,
    msg: Any,
    summary: WorkerSummary,
    log: Callable[[str], None],
) -> None:
    seq = msg.metadata.sequence.stream
    try:
        keys = decode_keys(msg.data)
    except ValueError as exc:  # poisoned: set aside at once, the stream goes on
        await dead_letter(js, topo, msg.data, f"unreadable message: {exc}", seq)
        await msg.ack_sync()
        summary.dead_lettered += 1
        MESSAGES.labels("dead_lettered").inc()
        log(f"dead-lettered unreadable message {seq}: {exc}")
        return
    await msg.in_progress()  # the ack_wait clock restarts for a message that waited in the batch
    try:
        scanned = await asyncio.to_thread(scanner.scan_keys, keys)
        await publish_dirty(js, topo)  # committed: the graph's inputs changed (posts, hits)
    except Exception as exc:  # noqa: BLE001 - any failure: try again later, dead letters after max_deliver
        summary.failed += 1
        MESSAGES.labels("failed").inc()
        delivered = msg.metadata.num_delivered
        log(f"message {seq} failed (delivery {delivered}): {type(exc).__name__}: {exc}")
        await msg.nak(delay=min(2.0**delivered, 30.0))
        return
    await msg.ack_sync()
    summary.messages += 1
    summary.posts += scanned
    # the stream's own timestamp of the message: publish -> committed scan, seen by Prometheus
    latency = (datetime.now(UTC) - msg.metadata.timestamp).total_seconds()
    DETECTION_LATENCY.observe(max(latency, 0.0))
    POSTS_SCANNED.inc(scanned)
    MESSAGES.labels("scanned").inc()
    log(
        f"scanned {scanned} posts {latency:.3f} s after publish (message {seq}, delivery "
        f"{msg.metadata.num_delivered})"
    )
