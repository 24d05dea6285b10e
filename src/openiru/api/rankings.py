"""Whole-graph rankings stored in the database, shared by every server worker.

Ranking a million-post graph takes minutes.  Held only in one process's memory,
each uvicorn worker (and each restart) would rank again; stored in
``api_rankings`` (orjson bytes), a worker that starts serves the last ranking at
once and at most one worker refreshes it at a time: ``claim_refresh`` sets
``refreshing_since`` atomically, the refresher renews it every ``HEARTBEAT``
while it computes (:func:`heartbeat`), and a claim not renewed for
``CLAIM_EXPIRY`` (its refresher died: a killed or restarted server) can be
taken over, so a crash does not leave the others waiting for hours.
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

from ..clock import system_now
from ..model import utc
from ..store.tables_api import api_rankings

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
