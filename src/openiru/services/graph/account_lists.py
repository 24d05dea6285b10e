"""Import an account list: match its entries to known accounts, create the others, mark them.

Matching, per entry (sources/account_lists.py): an id is the account of that id; a handle is
the account whose handle it is now (case-insensitive; ``user@host`` also matches a local
``user`` of that instance), else one it had: a mention by that handle resolved to the
account at an earlier import (the handle history the data holds).  An entry matching
nothing becomes a listed-but-unseen account (no first/last seen, ``meta.listed_from``; a
handle entry's account id is the handle, as the generic importer names accounts without
ids).  Every listed account gets a row in ``account_list_entries`` with the intent; seeds
also go to the ranking's seeds through the graph service.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ...errors import ConfigError, NotFoundError
from ...sources.account_lists import Entry, read_account_list
from ...sources.base import Problem
from ...store import schema
from ...store.tables_byod import account_list_entries
from ...store.writer import dialect_insert

INTENTS = ("seed", "watch", "label")


def parse_intent(intent: str | None) -> tuple[str, str]:
    """``seed`` | ``watch`` | ``label:NAME`` (or none: ``listed``) as (intent, label)."""
    if not intent:
        return "listed", ""
    name, _, label = intent.partition(":")
    name = name.strip().lower()
    if name not in INTENTS or (name == "label") != bool(label.strip()):
        raise ConfigError(f"--as {intent!r}: give seed, watch or label:NAME")
    return name, label.strip()


def _find(conn: sa.Connection, entry: Entry) -> str | None:
    """The account id an entry names, among known accounts."""
    a, e = schema.accounts, schema.edges
    if entry.kind == "id":
        return conn.execute(
            sa.select(a.c.account_id).where(a.c.platform == entry.platform, a.c.account_id == entry.value)
        ).scalar()
    handle = entry.value.lower()
    names = [handle]
    if "@" in handle:
        names.append(handle.split("@", 1)[0])
    rows = conn.execute(
        sa.select(a.c.account_id, a.c.handle, a.c.meta).where(
            a.c.platform == entry.platform, sa.func.lower(a.c.handle).in_(names)
        )
    ).all()
    for row in rows:  # the full handle first, then a local handle of that instance
        if row.handle.lower() == handle:
            return str(row.account_id)
    for row in rows:
        host = (row.meta or {}).get("host") if isinstance(row.meta, dict) else None
        if host and host.lower() == handle.split("@", 1)[1]:
            return str(row.account_id)
    if "@" not in handle:
        by_id = conn.execute(
            sa.select(a.c.account_id).where(a.c.platform == entry.platform, a.c.account_id == entry.value)
        ).scalar()
        if by_id is not None:
            return str(by_id)
    earlier = conn.execute(
        sa.select(e.c.target_account_id)
        .where(
            e.c.target_platform == entry.platform,
            e.c.target_ref == "handle:" + handle,
            e.c.target_account_id.is_not(None),
        )
        .limit(1)
    ).scalar()
    return str(earlier) if earlier is not None else None


def import_account_list(
    engine: sa.Engine,
    path: Path,
    *,
    platform: str | None = None,
    intent: str | None = None,
    sheet: str | None = None,
    actor: str | None = None,
) -> dict[str, Any]:
    """Read, match, create and mark; the report of matched / new / unparseable entries."""
    path = Path(path)
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    kind, label = parse_intent(intent)
    now = datetime.now(UTC)
    report: dict[str, Any] = {
        "path": str(path),
        "intent": intent or None,
        "entries": 0,
        "matched": 0,
        "new": 0,
        "unparseable": 0,
        "duplicates": 0,
        "problems": [],
        "accounts": [],
    }
    marked: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    with engine.begin() as conn:
        for found in read_account_list(path, platform, sheet):
            report["entries"] += 1
            if isinstance(found, Problem):
                report["unparseable"] += 1
                report["problems"].append(str(found))
                continue
            account_id = _find(conn, found)
            status = "matched"
            if account_id is None:
                account_id, status = found.value, "new"
                conn.execute(
                    dialect_insert(conn, schema.accounts)
                    .on_conflict_do_nothing()
                    .values(
                        platform=found.platform,
                        account_id=account_id,
                        status="unknown",
                        handle=found.value if found.kind == "handle" else None,
                        meta={"listed_from": path.name},
                    )
                )
            key = (found.platform, account_id)
            if key in seen:
                report["duplicates"] += 1
                continue
            seen.add(key)
            report[status] += 1
            report["accounts"].append(
                {
                    "platform": found.platform,
                    "account_id": account_id,
                    "entry": found.value,
                    "status": status,
                    "location": found.location,
                }
            )
            marked.append(
                {
                    "platform": found.platform,
                    "account_id": account_id,
                    "intent": kind,
                    "label": label,
                    "source": path.name,
                    "location": found.location,
                    "added_by": actor,
                    "added_at": now,
                }
            )
        if marked:
            conn.execute(dialect_insert(conn, account_list_entries).on_conflict_do_nothing(), marked)
    if kind == "seed":
        from .analysis import add_seed  # the ranking's seeds are the graph area's: its service writes them

        for row in marked:
            add_seed(engine, row["platform"], row["account_id"], actor, f"account list {path.name}")
    return report


def listed_accounts(engine: sa.Engine, intent: str | None = None) -> list[dict[str, Any]]:
    """Accounts lists named (with ``intent``: only those), for the watchlist and the console."""
    t = account_list_entries
    q = sa.select(t).order_by(t.c.platform, t.c.account_id)
    if intent:
        name, label = parse_intent(intent)
        q = q.where(t.c.intent == name, t.c.label == label)
    with engine.connect() as conn:
        return [
            {
                "platform": r.platform,
                "account_id": r.account_id,
                "intent": r.intent,
                "label": r.label or None,
                "source": r.source,
                "location": r.location,
            }
            for r in conn.execute(q)
        ]
