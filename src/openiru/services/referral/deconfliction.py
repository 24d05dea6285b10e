"""Deconfliction register and duplicate detection (the IRMa functions).

Agencies (liaison users) register hands-off entries tied to an investigation.
:func:`holds_for_targets` tells the referral services which live entries a
set of targets touches; the referral goes ``on_hold`` and the owning agency
is notified.  Listing shows each agency its own entries in full and only the
number of other agencies' holds.  :func:`duplicates` finds the same content
already referred (by whom, when) and the same content on other platforms.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...errors import NotFoundError, PermissionDenied
from ...model import utc
from ...referral import deconfliction as core
from ...referral.targets import content_hash
from ...store import schema
from ...store.tables_referral import deconfliction_entries, notifications, referral_targets, referrals
from ..access import audit
from ..access.users import User, get_user, require_actor
from .records import TargetInfo

OWNER_ROLES = ("liaison", "admin")


def _entry(row: sa.Row) -> core.Entry:
    return core.Entry(
        row.id,
        row.agency,
        row.kind,
        row.value,
        row.investigation_ref,
        utc(row.created_at) if row.created_at else None,
        utc(row.expires_at) if row.expires_at else None,
        bool(row.active),
    )


def add_entry(
    engine: sa.Engine,
    actor: str | None,
    kind: str,
    value: str,
    investigation_ref: str,
    agency: str | None = None,
    expires_in_days: float | None = None,
    now: Clock = system_now,
) -> dict[str, Any]:
    user = require_actor(engine, actor, OWNER_ROLES)
    owner = user.agency or agency
    if not owner:
        raise PermissionDenied(f"user {user.name!r} belongs to no agency: give --agency")
    if user.role != "admin" and agency and agency != user.agency:
        raise PermissionDenied(f"{user.name!r} acts for {user.agency!r}, not {agency!r}")
    normalised = core.normalise_value(kind, value)
    t = now()
    expires = t + timedelta(days=expires_in_days) if expires_in_days else None
    with engine.begin() as conn:
        entry_id = conn.execute(
            sa.insert(deconfliction_entries)
            .values(
                agency=owner,
                kind=kind,
                value=normalised,
                investigation_ref=investigation_ref,
                created_by=user.name,
                created_at=t,
                expires_at=expires,
                active=True,
            )
            .returning(deconfliction_entries.c.id)
        ).scalar_one()
        # The audit log is readable by auditors of the unit: keep the investigation out of it.
        audit.record(
            conn,
            user.name,
            "deconflict.add",
            "deconfliction",
            entry_id,
            {"agency": owner, "kind": kind},
            now=now,
        )
    return core.view(core.Entry(entry_id, owner, kind, normalised, investigation_ref, t, expires), owner)


def remove_entry(engine: sa.Engine, actor: str | None, entry_id: int, now: Clock = system_now) -> None:
    user = require_actor(engine, actor, OWNER_ROLES)
    with engine.begin() as conn:
        row = conn.execute(
            sa.select(deconfliction_entries).where(deconfliction_entries.c.id == entry_id)
        ).first()
        if row is None or (user.role != "admin" and row.agency != user.agency):
            raise NotFoundError(f"no deconfliction entry {entry_id} of your agency")
        conn.execute(
            sa.update(deconfliction_entries)
            .where(deconfliction_entries.c.id == entry_id)
            .values(active=False)
        )
        audit.record(conn, user.name, "deconflict.remove", "deconfliction", entry_id, {}, now=now)


def _viewer(engine: sa.Engine, actor: str | None) -> User | None:
    if not actor:
        return None
    try:
        return get_user(engine, actor)
    except NotFoundError:
        return None


def list_entries(engine: sa.Engine, actor: str | None, now: Clock = system_now) -> dict[str, Any]:
    """The viewer's agency's entries in full; for others only how many holds exist."""
    viewer = _viewer(engine, actor)
    agency = viewer.agency if viewer else None
    t = now()
    with engine.connect() as conn:
        rows = conn.execute(sa.select(deconfliction_entries).order_by(deconfliction_entries.c.id)).all()
    live = [_entry(r) for r in rows if _entry(r).is_live(t)]
    own = [core.view(e, agency) for e in live if agency and e.agency == agency]
    return {"agency": agency, "entries": own, "other_holds": len(live) - len(own)}


def live_entries(conn: sa.Connection, now: datetime) -> list[core.Entry]:
    rows = conn.execute(
        sa.select(deconfliction_entries).where(deconfliction_entries.c.active.is_(True))
    ).all()
    return [e for e in (_entry(r) for r in rows) if e.is_live(now)]


def holds_for_targets(conn: sa.Connection, infos: Iterable[TargetInfo], now: datetime) -> list[core.Entry]:
    entries = live_entries(conn, now)
    found: dict[int, core.Entry] = {}
    for info in infos:
        for e in core.holds_for(entries, info.identifiers(), now):
            found[e.id] = e
    return list(found.values())


def notify(conn: sa.Connection, holds: Iterable[core.Entry], referral_id: int, now: datetime) -> None:
    for e in holds:
        conn.execute(
            sa.insert(notifications).values(
                agency=e.agency,
                at=now,
                referral_id=referral_id,
                entry_id=e.id,
                message=f"referral {referral_id} touches your entry {e.id} ({e.investigation_ref}); "
                "it is on hold until your agency releases it",
            )
        )


def notifications_for(engine: sa.Engine, actor: str | None) -> list[dict[str, Any]]:
    user = require_actor(engine, actor, OWNER_ROLES)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(notifications).where(notifications.c.agency == user.agency).order_by(notifications.c.id)
        ).all()
    return [
        {
            "id": r.id,
            "at": utc(r.at).isoformat(),
            "referral_id": r.referral_id,
            "entry_id": r.entry_id,
            "message": r.message,
        }
        for r in rows
    ]


def duplicates(conn: sa.Connection, info: TargetInfo, exclude_referral: int | None = None) -> dict[str, Any]:
    """The same target already referred, and the same content elsewhere (other platforms)."""
    t, r = referral_targets, referrals
    conditions = [t.c.key == info.target.key]
    if info.content_hash:
        conditions.append(t.c.content_hash == info.content_hash)
    query = (
        sa.select(r.c.id, r.c.state, r.c.created_by, r.c.created_at, r.c.provider)
        .distinct()
        .select_from(t.join(r, r.c.id == t.c.referral_id))
        .where(sa.or_(*conditions))
        .order_by(r.c.id)
    )
    already = [
        {
            "referral": row.id,
            "state": row.state,
            "by": row.created_by,
            "at": utc(row.created_at).isoformat(),
            "provider": row.provider,
        }
        for row in conn.execute(query).all()
        if row.id != exclude_referral
    ]
    elsewhere: list[dict[str, str]] = []
    if info.content_hash and info.text:
        # Candidates by exact text are cheap to fetch; the normalised hash decides.
        p = schema.posts
        probe = info.text.strip()
        rows = conn.execute(
            sa.select(p.c.platform, p.c.post_id, p.c.text).where(sa.func.trim(p.c.text) == probe).limit(200)
        ).all()
        for row in rows:
            key = f"{row.platform}:{row.post_id}"
            if key != info.target.key and content_hash(row.text) == info.content_hash:
                elsewhere.append({"post": key, "platform": row.platform})
    for m in info.media:
        if not m.get("sha256"):
            continue
        pm, media = schema.post_media, schema.media
        media_rows = conn.execute(
            sa.select(pm.c.platform, pm.c.post_id)
            .select_from(pm.join(media, media.c.media_key == pm.c.media_key))
            .where(media.c.sha256 == m["sha256"])
            .limit(200)
        ).all()
        for media_row in media_rows:
            key = f"{media_row.platform}:{media_row.post_id}"
            if key != info.target.key and all(e["post"] != key for e in elsewhere):
                elsewhere.append({"post": key, "platform": media_row.platform})
    return {
        "already_referred": already,
        "same_content_elsewhere": elsewhere,
        "other_platforms": sorted({e["platform"] for e in elsewhere} - {info.target.platform or ""}),
    }


def check(engine: sa.Engine, actor: str | None, target_text: str, now: Clock = system_now) -> dict[str, Any]:
    """Before referring: is there a hold on this target, and was it (or its content) referred already?

    The viewer's own agency's entries are shown in full; for other agencies'
    entries only the fact that a hold exists.
    """
    from ...referral.targets import parse_target
    from .records import enrich

    viewer = _viewer(engine, actor)
    target = parse_target(target_text)
    t = now()
    with engine.connect() as conn:
        info = enrich(conn, target)
        holds = holds_for_targets(conn, [info], t)
        dups = duplicates(conn, info)
    agency = viewer.agency if viewer else None
    return {"target": target.key, "hold": bool(holds), "holds": [core.view(e, agency) for e in holds], **dups}
