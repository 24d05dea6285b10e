"""Prometheus metrics (prometheus-client) and the readiness check, for the API and the workers.

Two kinds of series:

- **Read at scrape time** from the shared database and NATS by :class:`StateCollector`
  (cached ``ttl`` seconds, so a scrape every few seconds costs one set of queries):
  ``openiru_posts_collected`` and ``openiru_posts_scanned`` (posts stored / scanned),
  ``openiru_stream_pending``, ``openiru_stream_in_flight``, ``openiru_stream_redelivered``,
  ``openiru_stream_dead_lettered`` (per stream, from JetStream's consumer info),
  ``openiru_referrals{state}`` and ``openiru_referrals_overdue``; plus
  ``openiru_state_up{source}`` (1 when the database / NATS answered the last read).
- **Observed by the process** (module-level, in :data:`REGISTRY`):
  ``openiru_detection_latency_seconds`` (a detect worker: from the publish of a message to
  the commit of its scan), ``openiru_worker_posts_scanned_total`` and
  ``openiru_worker_messages_total{outcome}``, ``openiru_graph_refreshes_total{outcome}`` and
  ``openiru_graph_refresh_seconds`` (a graph worker), ``openiru_notifications_total{kind,state}``
  (a notify worker), and ``openiru_api_request_duration_seconds``
  (the API: every request, by method, route template and status).

Each process has its own registry; Prometheus scrapes the API and every worker
(docs/scale-out.md).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from ...referral import deadlines
from ...referral.workflow import OPEN_STATES
from ...store import schema
from ...store.tables_referral import referrals
from ..referral.records import due, pauses_of
from .status import queue_status
from .stream import Topology

REGISTRY = CollectorRegistry(auto_describe=True)

DETECTION_LATENCY = Histogram(
    "openiru_detection_latency_seconds",
    "From the publish of a batch of posts to the commit of its scan.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0),
    registry=REGISTRY,
)
POSTS_SCANNED = Counter(
    "openiru_worker_posts_scanned", "Posts scanned by this worker process.", registry=REGISTRY
)
MESSAGES = Counter(
    "openiru_worker_messages",
    "Work-queue messages handled by this worker process, by outcome.",
    ["outcome"],
    registry=REGISTRY,
)
GRAPH_REFRESHES = Counter(
    "openiru_graph_refreshes",
    "Graph refresh signals handled by this graph worker, by outcome (refreshed, deferred, failed).",
    ["outcome"],
    registry=REGISTRY,
)
GRAPH_REFRESH_SECONDS = Histogram(
    "openiru_graph_refresh_seconds",
    "Duration of a graph refresh (load, rank, coordination, re-created accounts, store).",
    buckets=(0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0),
    registry=REGISTRY,
)
NOTIFICATIONS = Counter(
    "openiru_notifications",
    "Notification attempts by this notify worker, by kind and resulting state (sent, pending, failed).",
    ["kind", "state"],
    registry=REGISTRY,
)
API_LATENCY = Histogram(
    "openiru_api_request_duration_seconds",
    "API request latency, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)


class StateCollector(Collector):
    """Database and stream figures, read when scraped (at most once per ``ttl`` seconds)."""

    def __init__(
        self, engine: sa.Engine, nats_url: str | None, topo: Topology | None = None, ttl: float = 10.0
    ) -> None:
        self.engine = engine
        self.nats_url = nats_url
        self.topo = topo or Topology.from_env()
        self.ttl = ttl
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Any]] | None = None

    def collect(self) -> Iterator[Any]:
        with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] > self.ttl:
                self._cached = (time.monotonic(), self._read())
            yield from self._cached[1]

    def _read(self) -> list[Any]:
        up = GaugeMetricFamily(
            "openiru_state_up", "1 when the source answered the last read.", labels=["source"]
        )
        families: list[Any] = []
        try:
            families += database_families(self.engine)
            up.add_metric(["database"], 1)
        except sa.exc.SQLAlchemyError:
            up.add_metric(["database"], 0)
        if self.nats_url:
            try:
                families += stream_families(asyncio.run(queue_status(self.nats_url, self.topo)))
                up.add_metric(["nats"], 1)
            except Exception:  # noqa: BLE001 - any NATS failure: the series are absent, up says 0
                up.add_metric(["nats"], 0)
        return [*families, up]


def database_families(engine: sa.Engine) -> list[Any]:
    p = schema.posts
    now = datetime.now(UTC)
    with engine.connect() as conn:
        collected, scanned = conn.execute(sa.select(sa.func.count(), sa.func.count(p.c.scanned_at))).one()
        by_state: dict[str, int] = dict(
            conn.execute(sa.select(referrals.c.state, sa.func.count()).group_by(referrals.c.state)).all()
        )
        open_rows = conn.execute(
            sa.select(referrals).where(referrals.c.state.in_([str(s) for s in OPEN_STATES]))
        ).all()
    overdue = sum(deadlines.is_overdue(r.state, due(r, now), now, pauses_of(r)) for r in open_rows)
    posts_c = GaugeMetricFamily(
        "openiru_posts_collected", "Posts stored (collected or imported).", value=collected
    )
    posts_s = GaugeMetricFamily("openiru_posts_scanned", "Posts scanned by detection.", value=scanned)
    states = GaugeMetricFamily("openiru_referrals", "Referrals by workflow state.", labels=["state"])
    for state, n in sorted(by_state.items()):
        states.add_metric([state], n)
    late = GaugeMetricFamily(
        "openiru_referrals_overdue", "Open referrals past their deadline.", value=overdue
    )
    return [posts_c, posts_s, states, late]


def stream_families(status: dict[str, Any]) -> list[Any]:
    out = []
    for key, doc in (
        ("pending", "Messages not yet delivered to a worker."),
        ("in_flight", "Messages delivered and not yet acknowledged."),
        ("redelivered", "Messages in flight delivered more than once."),
        ("dead_lettered", "Messages in the dead-letter stream."),
    ):
        family = GaugeMetricFamily(f"openiru_stream_{key}", doc, labels=["stream"])
        for entry in status["streams"]:
            family.add_metric([entry["stream"]], entry[key])
        out.append(family)
    return out


def readiness(engine: sa.Engine, nats_url: str | None) -> dict[str, Any]:
    """``{"ready": bool, "checks": {"database": ..., "migrations": ..., "nats": ...}}``: the
    database answers, its schema is at the code's migration heads, and NATS (when the process
    uses it) accepts a connection."""
    from ...store.db import is_current

    checks: dict[str, str] = {}
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        checks["database"] = "ok"
        checks["migrations"] = "ok" if is_current(engine) else "pending (run `openiru db upgrade`)"
    except sa.exc.SQLAlchemyError as exc:
        checks["database"] = f"unreachable: {type(getattr(exc, 'orig', None) or exc).__name__}"
        checks["migrations"] = "unknown"
    if nats_url:
        checks["nats"] = asyncio.run(_nats_check(nats_url))
    return {"ready": all(v == "ok" for v in checks.values()), "checks": checks}


async def _nats_check(url: str) -> str:
    import nats

    async def quiet(exc: Exception) -> None:
        """The failure is the answer; nats-py's default would log each attempt's traceback."""

    try:  # (max_reconnect_attempts=0 would retry for ever: one retry, then NoServersError)
        nc = await asyncio.wait_for(
            nats.connect(
                url, connect_timeout=1, max_reconnect_attempts=1, reconnect_time_wait=0.2, error_cb=quiet
            ),
            3.0,
        )
    except Exception as exc:  # noqa: BLE001 - unreachable, refused, timed out: not ready
        return f"unreachable: {type(exc).__name__}"
    try:
        await asyncio.wait_for(nc.jetstream().account_info(), 2.0)
    except Exception as exc:  # noqa: BLE001 - the server answers but JetStream does not
        return f"jetstream unavailable: {type(exc).__name__}"
    finally:
        await nc.close()
    return "ok"
