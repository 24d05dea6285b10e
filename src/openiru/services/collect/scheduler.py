"""The scheduler: polls due watchlist targets, one process per job at a time, on an injected clock.

A job (``watch:<id>`` for a watched target, or any named recurring job given to
:func:`run_job`) runs only in the process holding its lease, a row of
``scheduler_leases`` taken with one conditional UPDATE (free, expired or already
ours), so two schedulers on one database never run the same job at once.  A job's
next run is counted from its last run: after a long stop it runs once, not once per
missed interval.  Nothing here sleeps except :meth:`Scheduler.run_forever`, whose
``sleep`` and ``stop`` are injected.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...store.tables_collect import scheduler_leases
from . import watchlist
from .runner import TargetResult, build_connector, collect_target

LEASE_S = 600


def holder_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def acquire(engine: sa.Engine, job: str, holder: str, now: datetime, ttl_s: int = LEASE_S) -> bool:
    """Take ``job``'s lease until ``now + ttl_s`` unless another holder has it unexpired."""
    lease = scheduler_leases.c
    with engine.begin() as conn:
        if conn.execute(sa.select(lease.job).where(lease.job == job)).first() is None:
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(scheduler_leases).values(job=job))
            except sa.exc.IntegrityError:
                pass  # another process made the row first
        taken = conn.execute(sa.update(scheduler_leases).where(
            lease.job == job,
            sa.or_(lease.holder.is_(None), lease.expires_at < now, lease.holder == holder),
        ).values(holder=holder, expires_at=now + timedelta(seconds=ttl_s))).rowcount
    return bool(taken)


def release(engine: sa.Engine, job: str, holder: str, ran_at: datetime | None) -> None:
    values: dict[str, Any] = {"holder": None, "expires_at": None}
    if ran_at is not None:
        values["last_run_at"] = ran_at
    with engine.begin() as conn:
        conn.execute(sa.update(scheduler_leases).where(scheduler_leases.c.job == job,
                                                       scheduler_leases.c.holder == holder).values(**values))


def run_job(engine: sa.Engine, job: str, every_s: int, fn: Callable[[], Any], *, now: datetime,
            holder: str | None = None) -> bool:
    """Run ``fn`` if ``job`` is due (never run, or ``every_s`` since its last run) and its lease
    is free; whether it ran.  However many intervals were missed, it runs once."""
    holder = holder or holder_name()
    if not acquire(engine, job, holder, now):
        return False
    ran = False
    try:
        with engine.connect() as conn:
            last = conn.execute(sa.select(scheduler_leases.c.last_run_at)
                                .where(scheduler_leases.c.job == job)).scalar_one_or_none()
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        if last is None or last + timedelta(seconds=every_s) <= now:
            fn()
            ran = True
    finally:
        release(engine, job, holder, now if ran else None)
    return ran


class Scheduler:
    """Polls the watchlist's due targets; ``clock`` gives the current UTC time."""

    def __init__(self, engine: sa.Engine, *, clock: Callable[[], datetime] = lambda: datetime.now(UTC),
                 holder: str | None = None, hooks: list[Any] | None = None,
                 connector_options: dict[str, Any] | None = None) -> None:
        self.engine, self.clock = engine, clock
        self.holder = holder or holder_name()
        self.hooks = hooks
        self.connector_options = connector_options or {}

    def run_due(self, on_result: Callable[[TargetResult], None] | None = None) -> list[TargetResult]:
        """Poll every due target once (those another process holds are left to it)."""
        results: list[TargetResult] = []
        for row in watchlist.due(self.engine, self.clock()):
            job = f"watch:{row.id}"
            if not acquire(self.engine, job, self.holder, self.clock()):
                continue
            try:
                result = self.collect_one(row)
            finally:
                release(self.engine, job, self.holder, self.clock())
            watchlist.mark_run(self.engine, row.id, self.clock(), row.every_s,
                               "; ".join(result.errors) or None)
            results.append(result)
            if on_result:
                on_result(result)
        return results

    def collect_one(self, row: Any) -> TargetResult:
        target = watchlist.target_of(row)
        try:
            connector = build_connector(target, **self.connector_options)
        except Exception as exc:  # a target that cannot be built is reported, the others run
            return TargetResult(str(target), target.key, errors=[str(exc)])
        if self.hooks is None:
            from .ingest import default_hooks
            self.hooks = default_hooks(self.engine)
        return collect_target(self.engine, connector, hooks=self.hooks)

    def run_forever(self, interval_s: float, *, sleep: Callable[[float], None] = time.sleep,
                    stop: Callable[[], bool] = lambda: False,
                    on_result: Callable[[TargetResult], None] | None = None) -> None:
        while not stop():
            self.run_due(on_result)
            if stop():
                return
            sleep(interval_s)
