"""Database leases: a job (``watch:<id>``, ``stream:<id>`` or a named recurring job) runs only in
the process holding its lease, a row of ``scheduler_leases`` taken with one conditional UPDATE
(free, expired or already ours), so two processes on one database never run the same job at once.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...store.tables_collect import scheduler_leases

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
        taken = conn.execute(
            sa.update(scheduler_leases)
            .where(
                lease.job == job,
                sa.or_(lease.holder.is_(None), lease.expires_at < now, lease.holder == holder),
            )
            .values(holder=holder, expires_at=now + timedelta(seconds=ttl_s))
        ).rowcount
    return bool(taken)


def release(engine: sa.Engine, job: str, holder: str, ran_at: datetime | None) -> None:
    values: dict[str, Any] = {"holder": None, "expires_at": None}
    if ran_at is not None:
        values["last_run_at"] = ran_at
    with engine.begin() as conn:
        conn.execute(
            sa.update(scheduler_leases)
            .where(scheduler_leases.c.job == job, scheduler_leases.c.holder == holder)
            .values(**values)
        )
