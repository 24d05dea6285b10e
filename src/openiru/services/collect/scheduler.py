"""The scheduler: polls due watchlist targets, one process per job at a time, on an injected clock.

A job (``watch:<id>`` for a watched target, or any named recurring job given to
:func:`run_job`) runs only in the process holding its lease, a row of
``scheduler_leases`` taken with one conditional UPDATE (free, expired or already
ours), so two schedulers on one database never run the same job at once.  A job's
next run is counted from its last run: after a long stop it runs once, not once per
missed interval.  Nothing here sleeps except :meth:`Scheduler.run_forever`, whose
``sleep`` and ``stop`` are injected.

Recurring jobs (:class:`Job`: deadline checks, removal verification, retention purges, made
by the ``collect`` command) run through :func:`run_job` under the lease ``job:<name>``.

Streamed targets (``stream:…``, :mod:`.streaming`): under :meth:`Scheduler.run_forever`
each runs in its own thread in the process holding its lease ``stream:<id>`` (renewed on
every event and heartbeat); :meth:`Scheduler.run_due` leaves a target streamed here or in
another process to its stream, and polls it like any other target otherwise (``--once``).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...store.tables_collect import scheduler_leases
from . import watchlist
from .leases import LEASE_S, acquire, holder_name, release
from .runner import TargetResult, build_connector, collect_target

__all__ = ["LEASE_S", "Job", "JobResult", "Scheduler", "acquire", "holder_name", "release", "run_job"]


def run_job(
    engine: sa.Engine,
    job: str,
    every_s: int,
    fn: Callable[[], Any],
    *,
    now: datetime,
    holder: str | None = None,
) -> bool:
    """Run ``fn`` if ``job`` is due (never run, or ``every_s`` since its last run) and its lease
    is free; whether it ran.  However many intervals were missed, it runs once."""
    holder = holder or holder_name()
    if not acquire(engine, job, holder, now):
        return False
    ran = False
    try:
        with engine.connect() as conn:
            last = conn.execute(
                sa.select(scheduler_leases.c.last_run_at).where(scheduler_leases.c.job == job)
            ).scalar_one_or_none()
        if last is not None and last.tzinfo is None:
            last = last.replace(tzinfo=UTC)
        if last is None or last + timedelta(seconds=every_s) <= now:
            fn()
            ran = True
    finally:
        release(engine, job, holder, now if ran else None)
    return ran


@dataclass(frozen=True)
class Job:
    """A recurring job: ``fn(now)`` every ``every_s`` seconds, once across processes (lease
    ``job:<name>``); what it returns is its summary."""

    name: str
    every_s: int
    fn: Callable[[datetime], Any]


@dataclass
class JobResult:
    job: str
    ran: bool = False
    result: Any = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"job": self.job, "ran": self.ran, "result": self.result, "error": self.error}


class Scheduler:
    """Polls the watchlist's due targets; ``clock`` gives the current UTC time."""

    def __init__(
        self,
        engine: sa.Engine,
        *,
        clock: Clock = system_now,
        holder: str | None = None,
        hooks: list[Any] | None = None,
        connector_options: dict[str, Any] | None = None,
        publish: Callable[[], Any] | None = None,
    ) -> None:
        self.engine, self.clock = engine, clock
        #: called after each polled page is stored, before its checkpoint (``collect --nats``)
        self.publish = publish
        self.holder = holder or holder_name()
        self.hooks = hooks
        self.connector_options = connector_options or {}
        #: watched target id -> (thread, its TargetStream), for streamed targets run here
        self.streams: dict[int, tuple[threading.Thread, Any]] = {}
        self.stream_options: dict[str, Any] = {}

    def _streamed_elsewhere(self, row: Any, now: datetime) -> bool:
        entry = self.streams.get(row.id)
        if entry is not None and entry[0].is_alive():
            return True
        lease = scheduler_leases.c
        with self.engine.connect() as conn:
            found = conn.execute(
                sa.select(lease.holder, lease.expires_at).where(lease.job == f"stream:{row.id}")
            ).first()
        if found is None or found.holder is None or found.holder == self.holder:
            return False
        expires = found.expires_at if found.expires_at.tzinfo else found.expires_at.replace(tzinfo=UTC)
        return bool(expires > now)

    def start_streams(self) -> list[int]:
        """Start a stream for every unpaused streamed target whose lease this process can take;
        the ids started."""
        from .streaming import STREAM_LEASE_S, TargetStream, streamable

        started = []
        for row in watchlist.listing_rows(self.engine):
            target = watchlist.target_of(row)
            entry = self.streams.get(row.id)
            if row.paused or not streamable(target) or (entry is not None and entry[0].is_alive()):
                continue
            job = f"stream:{row.id}"
            if not acquire(self.engine, job, self.holder, self.clock(), ttl_s=STREAM_LEASE_S):
                continue
            runner = TargetStream(
                self.engine,
                target,
                connector_options=self.connector_options,
                job=job,
                holder=self.holder,
                clock=self.clock,
                **self.stream_options,
            )
            thread = threading.Thread(target=runner.run, name=f"stream-{row.id}", daemon=True)
            self.streams[row.id] = (thread, runner)
            thread.start()
            started.append(row.id)
        return started

    def stop_streams(self, timeout: float = 5.0) -> None:
        for _thread, runner in self.streams.values():
            runner.stop.set()
        for row_id, (thread, _runner) in list(self.streams.items()):
            thread.join(timeout)
            release(self.engine, f"stream:{row_id}", self.holder, None)
        self.streams.clear()

    def run_due(self, on_result: Callable[[TargetResult], None] | None = None) -> list[TargetResult]:
        """Poll every due target once (those another process holds, or polled since the listing,
        are left alone)."""
        results: list[TargetResult] = []
        for row in watchlist.due(self.engine, self.clock()):
            if row.target.startswith("stream:") and self._streamed_elsewhere(row, self.clock()):
                continue
            job = f"watch:{row.id}"
            if not acquire(self.engine, job, self.holder, self.clock()):
                continue
            try:
                # under the lease, still due?  Another process may have polled it since the listing
                current = watchlist.due(self.engine, self.clock(), row.id)
                if not current:
                    continue
                result = self.collect_one(current[0])
                watchlist.mark_run(
                    self.engine, row.id, self.clock(), row.every_s, "; ".join(result.errors) or None
                )  # before the lease goes
            finally:
                release(self.engine, job, self.holder, self.clock())
            results.append(result)
            if on_result:
                on_result(result)
        return results

    def run_jobs(self, jobs: Sequence[Job]) -> list[JobResult]:
        """Run every due job whose lease is free; a job that fails counts as run (its error is in
        the result) and runs again after its interval, not at every pass."""
        results = []
        for job in jobs:
            now = self.clock()
            done = JobResult(job.name)

            def call(job: Job = job, done: JobResult = done, now: datetime = now) -> None:
                try:
                    done.result = job.fn(now)
                except Exception as exc:  # noqa: BLE001 - reported in the result, the other jobs run
                    done.error = f"{type(exc).__name__}: {exc}"

            done.ran = run_job(self.engine, f"job:{job.name}", job.every_s, call, now=now, holder=self.holder)
            results.append(done)
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
        return collect_target(self.engine, connector, hooks=self.hooks, publish=self.publish)

    def run_forever(
        self,
        interval_s: float,
        *,
        sleep: Callable[[float], None] = time.sleep,
        stop: Callable[[], bool] = lambda: False,
        on_result: Callable[[TargetResult], None] | None = None,
        streams: bool = True,
        jobs: Sequence[Job] = (),
        on_job: Callable[[JobResult], None] | None = None,
    ) -> None:
        try:
            while not stop():
                if streams:
                    self.start_streams()
                self.run_due(on_result)
                for done in self.run_jobs(jobs):
                    if done.ran and on_job:
                        on_job(done)
                if stop():
                    return
                sleep(interval_s)
        finally:
            self.stop_streams()
