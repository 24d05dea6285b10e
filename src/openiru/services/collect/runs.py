"""The ``import_runs`` log: one row per import, closed when it ends, however it ends.

An import records its start (``status`` ``running``, the importing process as
``owner`` = ``host:pid``, a ``heartbeat_at`` renewed while it writes) and its end
(``finished``, ``aborted`` by ``--strict``, ``failed`` on an error, ``interrupted`` by
Ctrl-C).  A process killed outright (``kill -9``, a power cut) cannot record its end;
the next import closes such rows as ``interrupted``: a row whose process on this host
no longer runs, or whose heartbeat is older than :data:`STALE_S` (another host's
import, or one that predates the owner column).

The ``path`` recorded is the name the user gave the file (the API passes the
uploaded file's name), never the server's temporary folder.
"""

from __future__ import annotations

import os
import socket
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...store import schema

#: A run of another host (or of an unknown process) is taken as dead after this long
#: without a heartbeat.
STALE_S = 3600.0
#: Seconds between heartbeats of a running import.
HEARTBEAT_S = 60.0

RUNNING, FINISHED, ABORTED, FAILED, INTERRUPTED = "running", "finished", "aborted", "failed", "interrupted"

#: Runs of this process still going (an API server runs several imports at once).
_ACTIVE: set[int] = set()


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # this process: a run of ours not in _ACTIVE has ended without closing
    if os.name != "posix":
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def close_interrupted(conn: sa.Connection, now: datetime | None = None) -> list[int]:
    """Close the runs left unfinished by a process that is gone; returns their ids."""
    now = now or datetime.now(UTC)
    runs = schema.import_runs
    host = socket.gethostname()
    closed: list[int] = []
    for run_id, owner, heartbeat, started in conn.execute(
        sa.select(runs.c.id, runs.c.owner, runs.c.heartbeat_at, runs.c.started_at).where(
            runs.c.finished_at.is_(None)
        )
    ):
        if run_id in _ACTIVE:
            continue
        their_host, _, pid = (owner or "").rpartition(":")
        if their_host == host and pid.isdigit():
            gone = not _alive(int(pid))
        else:
            last = _utc(heartbeat) or _utc(started)
            gone = last is None or now - last > timedelta(seconds=STALE_S)
        if gone:
            closed.append(run_id)
    if closed:
        conn.execute(
            sa.update(runs)
            .where(runs.c.id.in_(closed), runs.c.finished_at.is_(None))
            .values(finished_at=now, status=INTERRUPTED)
        )
    return closed


def start_run(engine: sa.Engine, path: str, fmt: str, platform: str) -> int:
    """Record an import's start (after closing the runs of dead imports); its id."""
    now = datetime.now(UTC)
    with engine.begin() as conn:
        close_interrupted(conn, now)
        inserted = conn.execute(
            sa.insert(schema.import_runs).values(
                path=path,
                format=fmt,
                platform=platform,
                started_at=now,
                status=RUNNING,
                owner=_owner(),
                heartbeat_at=now,
            )
        ).inserted_primary_key
    assert inserted is not None
    run_id = int(inserted[0])
    _ACTIVE.add(run_id)
    return run_id


class Heartbeat:
    """Renews a run's ``heartbeat_at`` inside the transactions it is given, at most every
    :data:`HEARTBEAT_S` seconds (one small UPDATE; no transaction of its own)."""

    def __init__(self, run_id: int) -> None:
        self.run_id = run_id
        self.last = time.monotonic()

    def __call__(self, conn: sa.Connection) -> None:
        if time.monotonic() - self.last < HEARTBEAT_S:
            return
        self.last = time.monotonic()
        runs = schema.import_runs
        conn.execute(sa.update(runs).where(runs.c.id == self.run_id).values(heartbeat_at=datetime.now(UTC)))


def finish_run(engine: sa.Engine, run_id: int, status: str, summary: dict[str, Any]) -> None:
    """Record an import's end."""
    try:
        with engine.begin() as conn:
            runs = schema.import_runs
            conn.execute(
                sa.update(runs)
                .where(runs.c.id == run_id)
                .values(finished_at=datetime.now(UTC), status=status, summary=summary)
            )
    finally:
        _ACTIVE.discard(run_id)


def end(run_id: int) -> None:
    """Forget a run of this process whose end could not be recorded (the next import closes it)."""
    _ACTIVE.discard(run_id)
