"""The collect role: the watchlist polled from any number of machines, each target by one at a time.

Every ``poll`` seconds a collect worker runs the collection scheduler's
:meth:`~openiru.services.collect.scheduler.Scheduler.run_due`: a due target is polled only by
the process holding its lease (``watch:<id>`` in ``scheduler_leases``, the lease ``openiru
collect`` takes too), re-checked as still due once the lease is held, and marked run before
the lease is given back, so N workers poll each due target once between them.  A worker that
dies mid-target leaves the lease to expire (``LEASE_S``) and the next worker to take over from
the last checkpoint.

The posts are published for the detect workers as ``openiru collect --nats`` does
(:class:`~openiru.services.workers.publish.Publisher` with message ids): a page's checkpoint is
written only after JetStream acknowledged its keys.  Streamed targets (``stream:…``) are polled
like the others here; streaming stays with ``openiru collect``.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from ..collect.scheduler import Scheduler
from .publish import Publisher
from .stream import Topology


@dataclass
class CollectSummary:
    passes: int = 0
    targets: list[str] = field(default_factory=list)
    new_posts: int = 0
    errors: int = 0


def run_collect(
    engine: sa.Engine,
    nats_url: str,
    *,
    poll: float = 30.0,
    cycles: int | None = None,
    topo: Topology | None = None,
    log: Callable[[str], None] = print,
    scheduler_options: dict[str, Any] | None = None,
) -> CollectSummary:
    """Poll the due targets every ``poll`` seconds until SIGTERM/SIGINT or ``cycles`` passes."""
    publisher = Publisher(nats_url, topo, msg_ids=True)  # fails at start when NATS is away
    scheduler = Scheduler(
        engine, hooks=publisher.hooks(engine), publish=publisher.flush, **(scheduler_options or {})
    )
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    summary = CollectSummary()
    log(f"collect worker ready: publishing to {publisher.topo.stream}, as {scheduler.holder}")
    while not stop.is_set() and (cycles is None or summary.passes < cycles):
        summary.passes += 1
        for result in scheduler.run_due():
            summary.targets.append(result.key)
            summary.new_posts += result.new_posts
            summary.errors += len(result.errors)
            log(
                f"collected {result.key}: {result.new_posts} new posts ({result.posts_read} read), "
                f"{result.pages} pages" + "".join(f"; error: {e}" for e in result.errors)
            )
        if cycles is None or summary.passes < cycles:
            stop.wait(poll)
    return summary
