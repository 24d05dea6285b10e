"""Checkpoints of collected targets: one JSON document per target key.

:func:`save` is an upsert that runs on the connection it is given, so the runner calls
it inside the transaction that writes the page the checkpoint covers (and again after
it: the same value, harmless).  A checkpoint never holds a credential: connectors put
cursors (ids, times, ETags) in it, nothing else.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ...store.tables_collect import collect_checkpoints


def load(conn: sa.Connection, key: str) -> dict[str, Any] | None:
    text = conn.execute(
        sa.select(collect_checkpoints.c.state).where(collect_checkpoints.c.target_key == key)
    ).scalar_one_or_none()
    return json.loads(text) if text else None


def save(conn: sa.Connection, key: str, state: dict[str, Any], now: datetime | None = None) -> None:
    text = json.dumps(state, sort_keys=True)
    when = now or datetime.now(UTC)
    updated = conn.execute(
        sa.update(collect_checkpoints)
        .where(collect_checkpoints.c.target_key == key)
        .values(state=text, updated_at=when)
    ).rowcount
    if not updated:
        conn.execute(sa.insert(collect_checkpoints).values(target_key=key, state=text, updated_at=when))


def forget(conn: sa.Connection, key: str) -> None:
    conn.execute(sa.delete(collect_checkpoints).where(collect_checkpoints.c.target_key == key))


def load_engine(engine: sa.Engine, key: str) -> dict[str, Any] | None:
    with engine.connect() as conn:
        return load(conn, key)
