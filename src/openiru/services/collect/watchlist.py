"""The watchlist: targets collected on a schedule (``openiru watch add|list|remove|pause``).

A target is a connector name, a target text in that connector's forms (Mastodon
``public``, ``local``, ``tag:NAME``, ``account:ACCT``; Rocket.Chat ``channel:NAME``;
a feed or page URL) and a server URL where the connector needs one.  Adding the same
target twice changes its interval and label.  A target is due when it is not paused
and its ``next_due_at`` has passed (a new target is due at once); after a run it is due
again ``every_s`` seconds after the run (a missed run is caught up once, not many times).
A server (or feed/page) URL at an internal address or this server's own host is refused
when it is added, under the outbound fetch policy (:mod:`..outbound`, ``OPENIRU_FETCH_ALLOW``);
every request is checked again when the target is collected.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...errors import ConfigError
from ...sources.connectors.base import Target
from ...store.tables_collect import watch_targets
from .registry import connector_class

DEFAULT_EVERY_S = 900
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d)?\s*$", re.IGNORECASE)
_UNIT = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400}


def parse_duration(text: str | int | None) -> int:
    """Seconds in ``"90"``, ``"30s"``, ``"15m"``, ``"2h"`` or ``"1d"`` (at least one second)."""
    if text is None:
        return DEFAULT_EVERY_S
    if isinstance(text, int):
        return max(1, text)
    found = _DURATION.match(text)
    if not found:
        raise ConfigError(f"--every {text!r}: expected a duration such as 90, 30s, 15m, 2h or 1d")
    return max(1, int(float(found.group(1)) * _UNIT[(found.group(2) or "s").lower()]))


def target_of(row: Any) -> Target:
    return Target(row.connector, row.target, row.server or None)


def _check_addresses(connector: str, target: str, server: str) -> None:
    """ConfigError (one line) when the server URL, or a feed/page target URL, is refused."""
    from ..outbound import FetchPolicy, refusal

    urls = [server] if server else []
    if getattr(connector_class(connector), "needs_outbound", False) and "://" in target:
        urls.append(target)
    policy = FetchPolicy.from_env()
    for url in urls:
        reason = refusal(url, policy)
        if reason:
            raise ConfigError(f"{url}: {reason}; set OPENIRU_FETCH_ALLOW to allow it")


def check_server(connector: str, server: str) -> None:
    """ConfigError (one line) when the server URL is refused under the outbound policy."""
    _check_addresses(connector, "", server)


def add(
    engine: sa.Engine,
    connector: str,
    target: str,
    server: str | None = None,
    *,
    every: str | int | None = None,
    label: str | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> int:
    """Watch a target (or update its interval and label); its id."""
    cls = connector_class(connector)
    server = (server or "").rstrip("/")
    try:
        cls.check_target(Target(connector, target, server or None))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    _check_addresses(connector, target, server)
    every_s = parse_duration(every)
    when = now or datetime.now(UTC)
    t = watch_targets.c
    with engine.begin() as conn:
        found = conn.execute(
            sa.select(t.id).where(t.connector == connector, t.server == server, t.target == target)
        ).scalar_one_or_none()
        if found is not None:
            conn.execute(sa.update(watch_targets).where(t.id == found).values(every_s=every_s, label=label))
            _audit(conn, actor, "watch.update", int(found), {"every_s": every_s, "label": label})
            return int(found)
        inserted = conn.execute(
            sa.insert(watch_targets).values(
                connector=connector,
                target=target,
                server=server,
                label=label,
                every_s=every_s,
                paused=False,
                added_by=actor,
                added_at=when,
                next_due_at=None,
            )
        ).inserted_primary_key
        assert inserted is not None
        _audit(
            conn,
            actor,
            "watch.add",
            int(inserted[0]),
            {"connector": connector, "target": target, "server": server or None, "every_s": every_s},
        )
    return int(inserted[0])


def _audit(
    conn: sa.Connection, actor: str | None, action: str, target_id: int, details: dict[str, Any]
) -> None:
    """Watchlist changes are audited (who watches what is part of the unit's record)."""
    from ..access import audit
    from ..access.users import SYSTEM

    audit.record(conn, actor or SYSTEM, action, "watch_target", target_id, details)


def listing(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(watch_targets).order_by(watch_targets.c.id)).mappings().all()
    return [
        {
            **{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()},
            "paused": bool(row["paused"]),
        }
        for row in rows
    ]


def listing_rows(engine: sa.Engine) -> list[Any]:
    """Every watched target as a row (id, connector, target, server, paused…)."""
    with engine.connect() as conn:
        return list(conn.execute(sa.select(watch_targets).order_by(watch_targets.c.id)).all())


def remove(engine: sa.Engine, target_id: int, actor: str | None = None) -> bool:
    with engine.begin() as conn:
        done = bool(conn.execute(sa.delete(watch_targets).where(watch_targets.c.id == target_id)).rowcount)
        if done:
            _audit(conn, actor, "watch.remove", target_id, {})
        return done


def pause(engine: sa.Engine, target_id: int, paused: bool = True, actor: str | None = None) -> bool:
    with engine.begin() as conn:
        done = bool(
            conn.execute(
                sa.update(watch_targets).where(watch_targets.c.id == target_id).values(paused=paused)
            ).rowcount
        )
        if done:
            _audit(conn, actor, "watch.pause" if paused else "watch.resume", target_id, {})
        return done


def due(engine: sa.Engine, now: datetime, target_id: int | None = None) -> list[Any]:
    """Targets to poll now, the longest overdue first (only ``target_id``'s, if given)."""
    t = watch_targets.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(watch_targets)
            .where(
                t.paused.is_(False),
                sa.or_(t.next_due_at.is_(None), t.next_due_at <= now),
                *([t.id == target_id] if target_id is not None else []),
            )
            .order_by(t.next_due_at.is_not(None), t.next_due_at, t.id)
        ).all()
    return list(rows)


def mark_run(engine: sa.Engine, target_id: int, now: datetime, every_s: int, error: str | None) -> None:
    """Record a run; the next is due ``every_s`` after it (once, however many were missed)."""
    with engine.begin() as conn:
        conn.execute(
            sa.update(watch_targets)
            .where(watch_targets.c.id == target_id)
            .values(
                last_run_at=now,
                next_due_at=now + timedelta(seconds=every_s),
                last_status="error" if error else "ok",
                last_error=error,
            )
        )
