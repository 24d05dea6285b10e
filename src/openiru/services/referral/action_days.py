"""Referral Action Days: multi-agency operations over a time window, with a final report.

An operation has participating agencies, a window (48 hours by default),
targets (platforms, languages, organisations), items assessed (added with
``operation add``, optionally assigned to a user) and the referrals made
during it.  :func:`report` gives live counters during the operation and the
final figures in the shape Europol publishes: items assessed and referred,
languages, platforms, providers, removal rate, median time to removal.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...errors import ConfigError, NotFoundError
from ...model import utc
from ...referral.targets import parse_target
from ...store.tables_referral import operation_items, operations, referral_targets, referrals
from ..access import audit
from ..access.users import require_actor
from .records import as_dict, enrich

ORGANISER_ROLES = ("analyst", "approver")
WORKER_ROLES = ("analyst", "approver", "liaison")


def create(
    engine: sa.Engine,
    actor: str | None,
    name: str,
    agencies: list[str],
    hours: float = 48,
    start: datetime | None = None,
    platforms: list[str] | None = None,
    languages: list[str] | None = None,
    organisations: list[str] | None = None,
    now: Clock = system_now,
) -> dict[str, Any]:
    user = require_actor(engine, actor, ORGANISER_ROLES)
    t = now()
    starts = start or t
    targets = {
        "platforms": platforms or [],
        "languages": languages or [],
        "organisations": organisations or [],
    }
    with engine.begin() as conn:
        if conn.execute(sa.select(operations.c.id).where(operations.c.name == name)).first():
            raise ConfigError(f"an operation named {name!r} exists already")
        op_id = conn.execute(
            sa.insert(operations)
            .values(
                name=name,
                agencies=agencies,
                starts_at=starts,
                ends_at=starts + timedelta(hours=hours),
                targets=targets,
                created_by=user.name,
                created_at=t,
            )
            .returning(operations.c.id)
        ).scalar_one()
        audit.record(
            conn,
            user.name,
            "operation.create",
            "operation",
            op_id,
            {"name": name, "agencies": agencies, "hours": hours, "targets": targets},
            now=now,
        )
    return get(engine, op_id)


def operation_id(engine: sa.Engine, ref: str | int) -> int:
    """An operation by id or by name."""
    with engine.connect() as conn:
        query = sa.select(operations.c.id)
        if isinstance(ref, int) or str(ref).isdigit():
            row = conn.execute(query.where(operations.c.id == int(ref))).first()
        else:
            row = None
        if row is None:
            row = conn.execute(query.where(operations.c.name == str(ref))).first()
    if row is None:
        raise NotFoundError(f"no operation {ref!r}")
    return int(row.id)


def get(engine: sa.Engine, op_id: int) -> dict[str, Any]:
    with engine.connect() as conn:
        row = conn.execute(sa.select(operations).where(operations.c.id == op_id)).first()
    if row is None:
        raise NotFoundError(f"no operation {op_id}")
    return {
        "id": row.id,
        "name": row.name,
        "agencies": row.agencies,
        "starts_at": utc(row.starts_at).isoformat(),
        "ends_at": utc(row.ends_at).isoformat(),
        "targets": row.targets,
        "created_by": row.created_by,
    }


def list_operations(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        ids = conn.execute(sa.select(operations.c.id).order_by(operations.c.id)).scalars().all()
    return [get(engine, i) for i in ids]


def add_items(
    engine: sa.Engine,
    actor: str | None,
    op_ref: str | int,
    targets: list[str],
    assign: str | None = None,
    now: Clock = system_now,
) -> dict[str, Any]:
    """Add assessed items to an operation (duplicates within it are ignored)."""
    user = require_actor(engine, actor, WORKER_ROLES)
    op_id = operation_id(engine, op_ref)
    t = now()
    added = 0
    with engine.begin() as conn:
        for text in targets:
            target = parse_target(text)
            exists = conn.execute(
                sa.select(operation_items.c.id).where(
                    operation_items.c.operation_id == op_id, operation_items.c.target_key == target.key
                )
            ).first()
            if exists:
                continue
            info = enrich(conn, target)
            conn.execute(
                sa.insert(operation_items).values(
                    operation_id=op_id,
                    target_key=target.key,
                    platform=target.platform or _host(target.url),
                    language=info.language,
                    assigned_to=assign,
                    added_by=user.name,
                    added_at=t,
                )
            )
            added += 1
        audit.record(
            conn,
            user.name,
            "operation.add",
            "operation",
            op_id,
            {"added": added, "assigned_to": assign},
            now=now,
        )
    return {"operation": op_id, "added": added, "skipped": len(targets) - added}


def add_referrals(
    engine: sa.Engine, actor: str | None, op_ref: str | int, referral_ids: list[int], now: Clock = system_now
) -> int:
    """Count existing referrals in an operation (their targets become its items)."""
    from .records import get_referral

    user = require_actor(engine, actor, WORKER_ROLES)
    op_id = operation_id(engine, op_ref)
    found = [get_referral(engine, rid, now=now) for rid in referral_ids]  # NotFoundError on a bad id
    with engine.begin() as conn:
        conn.execute(sa.update(referrals).where(referrals.c.id.in_(referral_ids)).values(operation_id=op_id))
        audit.record(
            conn,
            user.name,
            "operation.add_referrals",
            "operation",
            op_id,
            {"referrals": referral_ids},
            now=now,
        )
    link_referrals(engine, op_id, found)
    return len(found)


def _host(url: str | None) -> str | None:
    from ...referral.targets import url_host

    return url_host(url) if url else None


def link_referrals(engine: sa.Engine, op_id: int, created: list[dict[str, Any]]) -> None:
    """Mark the operation's items as referred (adding items that were referred directly)."""
    with engine.begin() as conn:
        for r in created:
            for d in r["target_details"]:
                row = conn.execute(
                    sa.select(operation_items.c.id).where(
                        operation_items.c.operation_id == op_id, operation_items.c.target_key == d["key"]
                    )
                ).first()
                if row:
                    conn.execute(
                        sa.update(operation_items)
                        .where(operation_items.c.id == row.id)
                        .values(referral_id=r["id"])
                    )
                else:
                    conn.execute(
                        sa.insert(operation_items).values(
                            operation_id=op_id,
                            target_key=d["key"],
                            platform=d["platform"],
                            language=d["language"],
                            added_by=r["created_by"],
                            added_at=datetime.fromisoformat(r["created_at"]),
                            referral_id=r["id"],
                        )
                    )


def report(engine: sa.Engine, op_ref: str | int, now: Clock = system_now) -> dict[str, Any]:
    op_id = operation_id(engine, op_ref)
    op = get(engine, op_id)
    t = now()
    with engine.connect() as conn:
        items = conn.execute(sa.select(operation_items).where(operation_items.c.operation_id == op_id)).all()
        refs = conn.execute(sa.select(referrals).where(referrals.c.operation_id == op_id)).all()
        ref_dicts = [as_dict(conn, r, t) for r in refs]
        target_rows = (
            conn.execute(
                sa.select(referral_targets).where(referral_targets.c.referral_id.in_([r.id for r in refs]))
            ).all()
            if refs
            else []
        )
    referred_keys = {tr.key for tr in target_rows}
    item_keys = {i.target_key for i in items} | referred_keys
    languages = sorted(
        {i.language for i in items if i.language} | {tr.language for tr in target_rows if tr.language}
    )
    platforms = sorted(
        {i.platform for i in items if i.platform} | {tr.platform for tr in target_rows if tr.platform}
    )
    sent = [r for r in ref_dicts if r["sent_at"]]
    sent_items = sum(len(r["targets"]) for r in sent)
    removed = [r for r in sent if r["state"] in ("removed", "access_disabled")]
    removed_items = sum(len(r["targets"]) for r in removed)
    times = [r["time_to_removal_s"] for r in removed if r["time_to_removal_s"] is not None]
    by_state: dict[str, int] = {}
    for r in ref_dicts:
        by_state[r["state"]] = by_state.get(r["state"], 0) + len(r["targets"])
    assignments: dict[str, int] = {}
    for i in items:
        if i.assigned_to:
            assignments[i.assigned_to] = assignments.get(i.assigned_to, 0) + 1
    starts, ends = parse_iso(op["starts_at"]), parse_iso(op["ends_at"])
    return {
        "operation": op,
        "status": "planned" if t < starts else ("running" if t <= ends else "finished"),
        "items_assessed": len(item_keys),
        "items_referred": len(referred_keys),
        "items_sent": sent_items,
        "referrals": len(refs),
        "languages": languages,
        "platforms": platforms,
        "providers": sorted({r["provider"] for r in ref_dicts if r["provider"]}),
        "items_removed": removed_items,
        "removal_rate": round(removed_items / sent_items, 4) if sent_items else None,
        "median_time_to_removal_s": statistics.median(times) if times else None,
        "by_state": by_state,
        "assignments": assignments,
        "summary": (
            f"{len(referred_keys)} items referred in {len(languages)} languages on "
            f"{len(platforms)} platforms to {len({r['provider'] for r in ref_dicts if r['provider']})}"
            " providers"
        ),
    }


def parse_iso(text: str) -> datetime:
    return utc(datetime.fromisoformat(text))
