"""``openiru db partition``, ``openiru db retention`` and their daily scheduler jobs.

PostgreSQL only (:mod:`openiru.store.partitions` does the SQL): SQLite keeps its one
``posts`` table, and these say so in one line (:class:`NotPostgres`).

Retention drops whole partitions of ``posts`` lying entirely before the cutoff (``now -
older_than_days``): never the DEFAULT partition, never one that reaches past the cutoff.
Each drop is one transaction: the rows keyed by its posts' (platform, post_id) in other
tables (:data:`~openiru.store.partitions.DEPENDENT_TABLES`) are deleted, the partition is
dropped and the audit log records it (``posts.partition.drop``: name, range, rows) as the
acting admin.  Referrals keep their own copy of what they refer (targets, evidence) and are
left as they are.
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...errors import ConfigError
from ...store import partitions as sp
from ..access import audit
from ..access.users import require_actor

#: partitions kept ahead of the current period by the daily job (and ``db partition``'s default)
DEFAULT_AHEAD = 3
#: the environment setting that turns on the daily retention job (days; unset: off)
RETENTION_VARIABLE = "OPENIRU_POSTS_RETENTION_DAYS"
SQLITE_MESSAGE = (
    "posts partitioning and retention are PostgreSQL's: this SQLite database keeps one posts table"
)


class NotPostgres(ConfigError):
    """The database is not PostgreSQL: nothing to partition."""


def _require_postgres(engine: sa.Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise NotPostgres(SQLITE_MESSAGE)


def partition(
    engine: sa.Engine, interval: str | None = None, ahead: int = DEFAULT_AHEAD, now: Clock = system_now
) -> dict[str, Any]:
    """Partition posts by time, or create the partitions a partitioned posts lacks."""
    _require_postgres(engine)
    try:
        return sp.partition_posts(engine, interval, ahead, now())
    except (ValueError, LookupError) as exc:
        raise ConfigError(str(exc)) from None


def status(engine: sa.Engine, now: Clock = system_now) -> dict[str, Any]:
    """``{"partitioned", "interval", "partitions", "ahead", "default_rows"}`` (``db check``)."""
    if engine.dialect.name != "postgresql":
        return {"partitioned": False, "supported": False}
    with engine.connect() as conn:
        if sp.posts_kind(conn) != "partitioned":
            return {"partitioned": False, "supported": True}
        parts = sp.partitions(conn)
        default = next((p for p in parts if p.lo is None), None)
        return {
            "partitioned": True,
            "supported": True,
            "interval": sp.interval_of(parts),
            "partitions": len([p for p in parts if p.lo is not None]),
            "ahead": sp.ahead_count(parts, now()),
            "default_rows": sp.count_rows(conn, default) if default else None,
        }


def ensure_ahead(engine: sa.Engine, ahead: int = DEFAULT_AHEAD, now: Clock = system_now) -> dict[str, Any]:
    """The daily job: the current period's and the ``ahead`` next partitions (a plain posts
    table or SQLite: nothing to do)."""
    if engine.dialect.name != "postgresql":
        return {"skipped": "not PostgreSQL"}
    with engine.begin() as conn:
        if sp.posts_kind(conn) != "partitioned":
            return {"skipped": "posts is not partitioned"}
        return sp.ensure_partitions(conn, ahead, now())


def retention(
    engine: sa.Engine,
    actor: str | None,
    older_than_days: float,
    *,
    dry_run: bool = False,
    now: Clock = system_now,
) -> dict[str, Any]:
    """Drop the partitions entirely older than the cutoff, each audited; what was (or, with
    ``dry_run``, would be) dropped."""
    _require_postgres(engine)
    if older_than_days <= 0:
        raise ConfigError("--older-than must be a positive number of days")
    user = require_actor(engine, actor, ("admin",))
    cutoff = now() - timedelta(days=older_than_days)
    with engine.connect() as conn:
        if sp.posts_kind(conn) != "partitioned":
            raise ConfigError("posts is not partitioned: run `openiru db partition` first")
        parts = sp.partitions(conn)
        old = [p for p in parts if p.lo is not None and p.hi is not None and p.hi <= cutoff]
        planned = [{**p.as_dict(), "rows": sp.count_rows(conn, p)} for p in old]
    summary: dict[str, Any] = {
        "cutoff": cutoff.isoformat(),
        "older_than_days": older_than_days,
        "dry_run": dry_run,
        "dropped": [] if not dry_run else planned,
        "kept": len(parts) - len(old),
    }
    if dry_run:
        return summary
    for part in old:
        with engine.begin() as conn:
            conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({sp.LOCK_KEY})")
            if conn.exec_driver_sql(f"SELECT to_regclass('{part.name}')").scalar() is None:
                continue  # dropped meanwhile by another run
            counts = sp.drop_partition(conn, part)
            entry = {**part.as_dict(), "rows": counts.pop("posts"), "dependents": counts}
            entry["cutoff"] = summary["cutoff"]
            audit.record(
                conn, user.name, "posts.partition.drop", "posts_partition", part.name, entry, now=now
            )
        summary["dropped"].append(entry)
    return summary


def retention_days(env: dict[str, str] | None = None) -> float | None:
    """``OPENIRU_POSTS_RETENTION_DAYS`` as days (unset or empty: None; not a positive number:
    a ConfigError naming it)."""
    value = (os.environ if env is None else env).get(RETENTION_VARIABLE, "").strip()
    if not value:
        return None
    try:
        days = float(value)
    except ValueError:
        days = 0.0
    if days <= 0:
        raise ConfigError(f"{RETENTION_VARIABLE}={value!r}: give a positive number of days")
    return days


def jobs(engine: sa.Engine, actor: str | None) -> list[Any]:
    """The scheduler's daily partition jobs on PostgreSQL: partitions ahead; with an acting
    user and ``OPENIRU_POSTS_RETENTION_DAYS``, retention."""
    from ..collect.scheduler import Job

    if engine.dialect.name != "postgresql":
        return []
    found = [Job("posts-partitions", 86400, lambda when: ensure_ahead(engine, now=lambda: when))]
    days = retention_days()
    if actor and days is not None:
        found.append(
            Job(
                "posts-retention",
                86400,
                lambda when: _retention_job(engine, actor, days, when),
            )
        )
    return found


def _retention_job(engine: sa.Engine, actor: str, days: float, when: datetime) -> dict[str, Any]:
    with engine.connect() as conn:
        if sp.posts_kind(conn) != "partitioned":
            return {"skipped": "posts is not partitioned"}
    return retention(engine, actor, days, now=lambda: when)
