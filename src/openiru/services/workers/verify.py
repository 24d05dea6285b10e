"""The verify role: removal verification of referrals on any number of machines, once at a time.

Every ``poll`` seconds a verify worker tries the recurring job ``referral-verify`` through
the collection scheduler's :func:`~openiru.services.collect.scheduler.run_job`: the job runs
only in the process holding its lease (``job:referral-verify`` in ``scheduler_leases``, the
same lease ``openiru collect`` takes for it), and only when ``every`` seconds have passed since
its last run anywhere.  So two verify workers, or a verify worker and ``openiru collect``,
never check the same referrals at once, and a worker that dies mid-run leaves the lease to
expire and the next one to take over.  The check itself is
:func:`~openiru.services.referral.verify.verify_due` (referrals at or past their deadline and
those reported down; pages fetched through the outbound client), as the acting user.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ...clock import system_now
from ..access.users import require_actor
from ..collect.scheduler import run_job
from ..referral.verify import verify_due
from ..referral.workflow import APPROVER_ROLES

JOB = "job:referral-verify"


@dataclass
class VerifySummary:
    runs: int = 0
    checked: list[int] = field(default_factory=list)


def run_verify(
    engine: sa.Engine,
    actor: str,
    *,
    every: int = 3600,
    poll: float = 30.0,
    cycles: int | None = None,
    fetch: Any = None,
    log: Callable[[str], None] = print,
) -> VerifySummary:
    """Try the job every ``poll`` seconds until SIGTERM/SIGINT or ``cycles`` tries."""
    require_actor(engine, actor, APPROVER_ROLES)  # fails at start, not at the first run
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    summary = VerifySummary()
    log(f"verify worker ready: job {JOB} every {every} s, as {actor}")
    tries = 0
    while not stop.is_set() and (cycles is None or tries < cycles):
        tries += 1
        now = system_now()
        done: list[dict[str, Any]] = []

        def job(now: datetime = now, done: list[dict[str, Any]] = done) -> None:
            kwargs = {"fetch": fetch} if fetch is not None else {}
            done.extend(verify_due(engine, actor, now=lambda: now, **kwargs))

        if run_job(engine, JOB, every, job, now=now):
            summary.runs += 1
            summary.checked += [r["id"] for r in done]
            outcomes = [str(r.get("verification", {}).get("outcome")) for r in done]
            log(
                f"verified {len(done)} referrals: "
                + (", ".join(f"{o} {outcomes.count(o)}" for o in sorted(set(outcomes))) or "none due")
            )
        if cycles is None or tries < cycles:
            stop.wait(poll)
    return summary
