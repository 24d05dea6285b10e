"""Whole-graph results stored in the database, shared by every server worker and the graph workers.

Ranking a million-post graph takes minutes.  Held only in one process's memory,
each uvicorn worker (and each restart) would rank again; stored in
``api_rankings`` (orjson bytes), a worker that starts serves the last ranking at
once and at most one worker refreshes it at a time: ``claim_refresh`` sets
``refreshing_since`` atomically, the refresher renews it every ``HEARTBEAT``
while it computes (:func:`heartbeat`), and a claim not renewed for
``CLAIM_EXPIRY`` (its refresher died: a killed or restarted server) can be
taken over, so a crash does not leave the others waiting for hours.

The graph worker (:mod:`openiru.services.workers.graph`) stores its refreshed results here
too (``key-accounts``, ``coordination``, ``recreated``), and says it runs (:func:`announce`,
a row ``graph-worker:<host>:<pid>`` in ``scheduler_leases``); while one does
(:func:`workers_active`), the API serves the stored results instead of computing them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import orjson
import sqlalchemy as sa

from ...clock import system_now
from ...model import utc
from ...store.tables_api import api_rankings
from ...store.tables_collect import scheduler_leases

HEARTBEAT = timedelta(seconds=20)
CLAIM_EXPIRY = timedelta(minutes=2)
log = logging.getLogger("openiru.api")


def load(engine: sa.Engine, name: str) -> tuple[float, Any] | None:
    """``(age in seconds, value)`` of the stored result ``name``, or ``None``."""
    r = api_rankings
    with engine.connect() as conn:
        row = conn.execute(sa.select(r.c.computed_at, r.c.payload).where(r.c.name == name)).first()
    if row is None or not row.payload:  # no row, or only a first computation's claim
        return None
    return (system_now() - utc(row.computed_at)).total_seconds(), orjson.loads(row.payload)


def save(engine: sa.Engine, name: str, value: Any) -> None:
    """Store ``value`` as the newest result ``name`` and release the refresh claim."""
    payload = orjson.dumps(value, default=str, option=orjson.OPT_SERIALIZE_NUMPY)
    r = api_rankings
    now = system_now()
    with engine.begin() as conn:
        done = conn.execute(
            sa.update(r)
            .where(r.c.name == name)
            .values(computed_at=now, refreshing_since=None, payload=payload)
        ).rowcount
        if not done:
            conn.execute(
                sa.insert(r).values(name=name, computed_at=now, refreshing_since=None, payload=payload)
            )


def claim_refresh(engine: sa.Engine, name: str) -> bool:
    """Whether this caller may recompute ``name`` now (no other worker is doing it).  The
    first computation claims by inserting a row with an empty payload."""
    r = api_rankings
    now = system_now()
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(r).values(name=name, computed_at=now, refreshing_since=now, payload=b""))
        return True
    except sa.exc.IntegrityError:
        pass  # the row exists: claim it if nobody holds it
    with engine.begin() as conn:
        claimed = conn.execute(
            sa.update(r)
            .where(
                r.c.name == name,
                sa.or_(r.c.refreshing_since.is_(None), r.c.refreshing_since < now - CLAIM_EXPIRY),
            )
            .values(refreshing_since=now)
        ).rowcount
    return bool(claimed)


@contextmanager
def heartbeat(engine: sa.Engine, name: str, every: float = HEARTBEAT.total_seconds()) -> Iterator[None]:
    """Renew this process's claim on ``name`` every ``every`` seconds while the block runs."""
    r, stop = api_rankings, threading.Event()

    def beat() -> None:
        while not stop.wait(every):
            try:
                with engine.begin() as conn:
                    conn.execute(
                        sa.update(r)
                        .where(r.c.name == name, r.c.refreshing_since.is_not(None))
                        .values(refreshing_since=system_now())
                    )
            except sa.exc.SQLAlchemyError as exc:  # a missed beat only risks a duplicate ranking
                log.warning("could not renew the claim on %s: %s", name, exc)

    thread = threading.Thread(target=beat, name=f"openiru-claim-{name}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def release(engine: sa.Engine, name: str) -> None:
    """Give up a claim (the computation failed)."""
    r = api_rankings
    with engine.begin() as conn:
        conn.execute(sa.update(r).where(r.c.name == name).values(refreshing_since=None))


def wait_for(engine: sa.Engine, name: str, timeout: float, poll: float = 1.0) -> Any | None:
    """The result another worker is computing for the first time, once stored (or ``None``)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        stored = load(engine, name)
        if stored is not None:
            return stored[1]
        time.sleep(poll)
    return None


# --- graph workers keeping the stored results fresh ---------------------------------------------------

#: a graph worker's presence row in ``scheduler_leases``: ``graph-worker:<host>:<pid>``, renewed
#: while it runs; the API serves the stored results instead of computing while one is there
PRESENCE = "graph-worker:"


def announce(engine: sa.Engine, holder: str, ttl: timedelta) -> None:
    """Say that a graph worker runs (until ``ttl`` from now unless renewed); forget the rows of
    workers that stopped saying so long ago (killed ones)."""
    lease, now = scheduler_leases.c, system_now()
    job = PRESENCE + holder
    with engine.begin() as conn:
        conn.execute(
            sa.delete(scheduler_leases).where(
                lease.job.startswith(PRESENCE, autoescape=True), lease.expires_at < now - timedelta(days=1)
            )
        )
        renewed = conn.execute(
            sa.update(scheduler_leases).where(lease.job == job).values(holder=holder, expires_at=now + ttl)
        ).rowcount
        if not renewed:
            conn.execute(sa.insert(scheduler_leases).values(job=job, holder=holder, expires_at=now + ttl))


def withdraw(engine: sa.Engine, holder: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(scheduler_leases).where(scheduler_leases.c.job == PRESENCE + holder))


def workers_active(engine: sa.Engine) -> bool:
    """Whether a graph worker keeps the stored results fresh (its presence row has not expired)."""
    lease = scheduler_leases.c
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(lease.job)
            .where(lease.job.startswith(PRESENCE, autoescape=True), lease.expires_at > system_now())
            .limit(1)
        ).first()
    return row is not None
