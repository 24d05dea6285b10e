"""The graph role: keep the whole-graph analytics fresh as detection adds data.

A detect worker publishes a small *graph dirty* message on ``<prefix>.graph.dirty`` after
each batch it committed (before acknowledging the batch, so a committed batch always leaves a
signal: a redelivered batch publishes it again).  The stream (``OPENIRU_GRAPH``) keeps at most
one message (``max_msgs_per_subject=1``): a new signal replaces the waiting one, so any number
of batches coalesce into one pending refresh.

Every graph worker binds one durable pull consumer (explicit ack, unlimited deliveries).  On a
signal a worker takes the lease ``job:graph-refresh`` in ``scheduler_leases`` (the collection
scheduler's leases) and, if ``every`` seconds have passed since the last refresh anywhere,
recomputes key accounts, coordination groups and re-created accounts and stores them in
``api_rankings`` (:mod:`openiru.services.graph.stored`: the API serves them from there), then
records the run, gives the lease back and acknowledges the signal.  While a graph worker runs
(its presence row, renewed), the API serves the stored results instead of computing them.  Otherwise the signal is
negatively acknowledged with the delay left in the window (or, the lease being held, a short
one), so a window gives at most one refresh across machines.  While it computes, the worker
renews the lease and tells JetStream the message is in progress; killed (``kill -9``), it
leaves both to expire (``AckWait``, the lease ``3 × AckWait``) and the next worker redoes the
refresh.  See docs/scale-out.md.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...store.tables_collect import scheduler_leases
from ..collect.leases import acquire, holder_name, release
from ..graph.stored import announce, save, withdraw
from .metrics import GRAPH_REFRESH_SECONDS, GRAPH_REFRESHES
from .stream import Topology, connect

JOB = "job:graph-refresh"
#: the stored results' names in ``api_rankings`` (what the API's graph pages read)
STORED = ("key-accounts", "coordination", "recreated")


async def ensure_graph(js: Any, topo: Topology, consumer: bool = True) -> None:
    """Create the graph signal stream (and, for a graph worker, its consumer) if missing."""
    from nats.js.api import AckPolicy, ConsumerConfig, RetentionPolicy, StorageType, StreamConfig
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(topo.graph_stream)
    except NotFoundError:
        await js.add_stream(
            StreamConfig(
                name=topo.graph_stream,
                subjects=[topo.graph_subject],
                retention=RetentionPolicy.WORK_QUEUE,
                max_msgs_per_subject=1,
                storage=StorageType.FILE,
            )
        )
    if not consumer:
        return
    config = ConsumerConfig(
        durable_name=topo.graph_consumer,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=topo.ack_wait,
        max_deliver=-1,  # a signal is never poison: it waits for its window, however long
        filter_subject=topo.graph_subject,
    )
    try:
        info = await js.consumer_info(topo.graph_stream, topo.graph_consumer)
    except NotFoundError:
        await js.add_consumer(topo.graph_stream, config)
        return
    if info.config.ack_wait != topo.ack_wait:
        await js.add_consumer(topo.graph_stream, config)


async def publish_dirty(js: Any, topo: Topology) -> None:
    """Signal that the graph's inputs changed (replaces a signal still waiting)."""
    await js.publish(topo.graph_subject, b"{}", stream=topo.graph_stream)


def refresh(engine: sa.Engine, pause: float = 0.0) -> dict[str, int]:
    """Recompute the whole-graph analytics the API serves and store them; rows per result.
    ``pause``: seconds to wait before storing (tests: a refresh to kill midway)."""
    from ..graph import analysis  # numpy and the graph core: loaded by graph workers only
    from ..graph.load import load_graph

    results = {"key-accounts": analysis.key_accounts(engine)}
    data = load_graph(engine, with_detection=False)  # as the API computes them: one load for both
    results["coordination"] = analysis.coordination(engine, data=data)
    results["recreated"] = analysis.resurgence(engine, data=data)
    if pause:
        time.sleep(pause)
    for name in STORED:
        save(engine, name, results[name])
    return {name: len(rows) for name, rows in results.items()}


def last_refresh(engine: sa.Engine) -> datetime | None:
    with engine.connect() as conn:
        last = conn.execute(
            sa.select(scheduler_leases.c.last_run_at).where(scheduler_leases.c.job == JOB)
        ).scalar_one_or_none()
    return last.replace(tzinfo=UTC) if last is not None and last.tzinfo is None else last


@dataclass
class GraphSummary:
    refreshes: int = 0
    deferred: int = 0
    failed: int = 0


async def run_graph(
    engine: sa.Engine,
    nats_url: str,
    topo: Topology,
    *,
    every: float = 300.0,
    now: Clock = system_now,
    exit_when_idle: float | None = None,
    pause: float = 0.0,
    log: Callable[[str], None] = print,
) -> GraphSummary:
    """Handle refresh signals until SIGTERM/SIGINT (a refresh in progress is finished first) or,
    with ``exit_when_idle``, until no signal has been pending or in flight that long."""
    import nats.errors

    summary = GraphSummary()
    holder = holder_name()
    lease_s = max(int(3 * topo.ack_wait + 0.999), 5)
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
        await ensure_graph(js, topo)
        sub = await js.pull_subscribe_bind(topo.graph_consumer, topo.graph_stream)
        idle_since = time.monotonic()
        presence = timedelta(seconds=max(4 * lease_s, 60))
        announced = time.monotonic()
        await asyncio.to_thread(announce, engine, holder, presence)
        log(f"graph worker ready: stream {topo.graph_stream}, refresh at most every {every:g} s")
        while not stop.is_set():
            if time.monotonic() - announced > presence.total_seconds() / 4:
                announced = time.monotonic()
                await asyncio.to_thread(announce, engine, holder, presence)
            try:
                [msg] = await sub.fetch(1, timeout=1.0)
            except (TimeoutError, nats.errors.TimeoutError):
                if exit_when_idle is not None:
                    info = await js.consumer_info(topo.graph_stream, topo.graph_consumer)
                    if info.num_pending or info.num_ack_pending:
                        idle_since = time.monotonic()
                    elif time.monotonic() - idle_since >= exit_when_idle:
                        break
                continue
            idle_since = time.monotonic()
            await _handle(engine, msg, holder, lease_s, every, now, pause, summary, log)
    finally:
        await nc.close()
        await asyncio.to_thread(withdraw, engine, holder)
    return summary


async def _handle(
    engine: sa.Engine,
    msg: Any,
    holder: str,
    lease_s: int,
    every: float,
    now: Clock,
    pause: float,
    summary: GraphSummary,
    log: Callable[[str], None],
) -> None:
    seq, delivered = msg.metadata.sequence.stream, msg.metadata.num_delivered
    start = now()
    if not await asyncio.to_thread(acquire, engine, JOB, holder, start, lease_s):
        summary.deferred += 1
        GRAPH_REFRESHES.labels("deferred").inc()
        log(f"signal {seq} deferred: another worker holds {JOB}")
        await msg.nak(delay=max(1.0, lease_s / 3))
        return
    last = await asyncio.to_thread(last_refresh, engine)
    if last is not None and last + timedelta(seconds=every) > start:
        await asyncio.to_thread(release, engine, JOB, holder, None)
        wait = (last + timedelta(seconds=every) - start).total_seconds()
        summary.deferred += 1
        GRAPH_REFRESHES.labels("deferred").inc()
        log(f"signal {seq} deferred {wait:.1f} s: refreshed at {last.isoformat()}")
        await msg.nak(delay=max(wait, 0.1))
        return
    log(f"refreshing (signal {seq}, delivery {delivered})")
    began = time.monotonic()
    task = asyncio.ensure_future(asyncio.to_thread(refresh, engine, pause))
    try:
        while True:
            done, _ = await asyncio.wait({task}, timeout=max(lease_s / 6, 0.2))
            if done:
                counts = task.result()
                break
            await msg.in_progress()  # AckWait restarts: the signal stays with this worker
            await asyncio.to_thread(acquire, engine, JOB, holder, now(), lease_s)  # renewed
            await asyncio.to_thread(announce, engine, holder, timedelta(seconds=max(4 * lease_s, 60)))
    except Exception as exc:  # noqa: BLE001 - any failure: released, the signal comes back later
        await asyncio.to_thread(release, engine, JOB, holder, None)
        summary.failed += 1
        GRAPH_REFRESHES.labels("failed").inc()
        log(f"refresh failed (signal {seq}, delivery {delivered}): {type(exc).__name__}: {exc}")
        await msg.nak(delay=min(2.0**delivered, 60.0))
        return
    await asyncio.to_thread(release, engine, JOB, holder, start)
    await msg.ack_sync()
    summary.refreshes += 1
    GRAPH_REFRESHES.labels("refreshed").inc()
    GRAPH_REFRESH_SECONDS.observe(time.monotonic() - began)
    log(
        f"refreshed in {time.monotonic() - began:.2f} s (signal {seq}, delivery {delivered}): "
        + ", ".join(f"{name} {n}" for name, n in counts.items())
    )
