"""Reading referrals back: rows to plain dicts, target enrichment from the store.

Shared by the referral services (creation, workflow, delivery, exports):
what a target is known by (author, URL, text and media hashes, language) and
the JSON shape of a referral that the CLI and API print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...errors import NotFoundError
from ...model import utc
from ...referral import deadlines
from ...referral.deconfliction import Identifiers
from ...referral.targets import Target, account_key, content_hash, normalise_url, post_url
from ...store import schema
from ...store.tables_referral import referral_events, referral_targets, referrals


@dataclass(slots=True)
class TargetInfo:
    """A target with what the store knows about it."""

    target: Target
    url: str | None = None
    author: str | None = None  # "platform:@id"
    text: str | None = None
    raw: str | None = None
    language: str | None = None
    media: list[dict[str, Any]] = field(default_factory=list)
    posted_at: datetime | None = None
    author_handle: str | None = None

    @property
    def content_hash(self) -> str | None:
        return content_hash(self.text)

    def identifiers(self) -> Identifiers:
        ids = Identifiers()
        if self.target.kind == "account":
            ids.accounts.add(self.target.key)
        if self.target.kind == "post":
            ids.posts.add(self.target.key)
        if self.author:
            ids.accounts.add(self.author)
        for u in (self.url, self.target.url):
            if u:
                ids.urls.add(normalise_url(u))
        if self.target.kind == "url":
            ids.urls.add(self.target.key)
        for m in self.media:
            for h in ("sha256", "md5", "pdq"):
                if m.get(h):
                    ids.hashes.add(str(m[h]).lower())
        if self.content_hash:
            ids.hashes.add(self.content_hash)
        return ids


def enrich(conn: sa.Connection, target: Target) -> TargetInfo:
    info = TargetInfo(target, url=target.url)
    if target.kind == "post" and target.platform and target.ident:
        p, a = schema.posts, schema.accounts
        row = conn.execute(
            sa.select(p.c.account_id, p.c.text, p.c.raw, p.c.language, p.c.meta, p.c.timestamp, a.c.handle)
            .select_from(
                p.outerjoin(a, sa.and_(a.c.platform == p.c.platform, a.c.account_id == p.c.account_id))
            )
            .where(p.c.platform == target.platform, p.c.post_id == target.ident)
        ).first()
        if row is not None:
            info.author = account_key(target.platform, row.account_id)
            info.text, info.raw, info.language = row.text, row.raw, row.language
            info.posted_at = utc(row.timestamp) if row.timestamp else None
            info.author_handle = row.handle
            meta = row.meta if isinstance(row.meta, dict) else None
            info.url = post_url(target.platform, target.ident, row.handle, meta)
            pm, m = schema.post_media, schema.media
            media_rows = conn.execute(
                sa.select(m.c.media_key, m.c.sha256, m.c.md5, m.c.pdq, m.c.path, m.c.url, m.c.mime)
                .select_from(pm.join(m, m.c.media_key == pm.c.media_key))
                .where(pm.c.platform == target.platform, pm.c.post_id == target.ident)
                .order_by(pm.c.position)
            ).all()
            info.media = [dict(r._mapping) for r in media_rows]
        else:
            info.url = post_url(target.platform, target.ident)
    elif target.kind == "account" and target.platform and target.ident:
        a = schema.accounts
        account_row = conn.execute(
            sa.select(a.c.handle, a.c.bio, a.c.meta).where(
                a.c.platform == target.platform, a.c.account_id == target.ident
            )
        ).first()
        if account_row is not None:
            info.author_handle = account_row.handle
            if isinstance(account_row.meta, dict):
                info.url = post_url(target.platform, "", None, account_row.meta)
    return info


def _iso(value: datetime | None) -> str | None:
    return utc(value).isoformat() if value is not None else None


def pauses_of(row: sa.Row) -> list[deadlines.Pause]:
    return [deadlines.Pause.from_dict(p) for p in (row.pauses or [])]


def due(row: sa.Row, now: datetime) -> datetime:
    sent = utc(row.sent_at) if row.sent_at else None
    return deadlines.deadline(row.kind, utc(row.created_at), sent, pauses_of(row), now)


def _seconds(delta: Any) -> float | None:
    return delta.total_seconds() if delta is not None else None


def _children(conn: sa.Connection, ids: list[int]) -> tuple[dict[int, list[sa.Row]], dict[int, list[sa.Row]]]:
    """Targets and history of many referrals in two queries."""
    targets: dict[int, list[sa.Row]] = {i: [] for i in ids}
    events: dict[int, list[sa.Row]] = {i: [] for i in ids}
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for t in conn.execute(
            sa.select(referral_targets)
            .where(referral_targets.c.referral_id.in_(chunk))
            .order_by(referral_targets.c.id)
        ):
            targets[t.referral_id].append(t)
        for e in conn.execute(
            sa.select(referral_events)
            .where(referral_events.c.referral_id.in_(chunk))
            .order_by(referral_events.c.id)
        ):
            events[e.referral_id].append(e)
    return targets, events


def as_dict(
    conn: sa.Connection,
    row: sa.Row,
    now: datetime,
    targets: list[sa.Row] | None = None,
    events: list[sa.Row] | None = None,
) -> dict[str, Any]:
    """The JSON shape of one referral (CLI ``referrals --json`` and the API)."""
    if targets is None or events is None:
        loaded_targets, loaded_events = _children(conn, [row.id])
        targets, events = loaded_targets[row.id], loaded_events[row.id]
    pauses = pauses_of(row)
    deadline = due(row, now)
    sent = utc(row.sent_at) if row.sent_at else None
    ack = utc(row.acknowledged_at) if row.acknowledged_at else None
    resolved = utc(row.resolved_at) if row.resolved_at else None
    removed = resolved if row.state in ("removed", "access_disabled") else None
    return {
        "id": row.id,
        "kind": row.kind,
        "state": row.state,
        "provider": row.provider,
        "created_at": _iso(row.created_at),
        "deadline": deadline.isoformat(),
        "targets": [t.url if t.kind == "url" and t.url else t.key for t in targets],
        "history": [
            {
                "at": _iso(e.at),
                "actor": e.actor,
                "action": e.action,
                "from": e.from_state,
                "to": e.to_state,
                "reason": e.reason,
            }
            for e in events
        ],
        "reference": row.reference,
        "reason": row.reason,
        "grounds": row.grounds or [],
        "created_by": row.created_by,
        "approved_by": row.approved_by,
        "sent_at": _iso(row.sent_at),
        "channel": row.channel,
        "acknowledged_at": _iso(row.acknowledged_at),
        "resolved_at": _iso(row.resolved_at),
        "overdue": deadlines.is_overdue(row.state, deadline, now, pauses),
        "paused": deadlines.is_paused(pauses),
        "pauses": [p.as_dict() for p in pauses],
        "time_to_acknowledgement_s": _seconds(deadlines.elapsed_excluding_pauses(sent, ack, pauses)),
        "time_to_removal_s": _seconds(deadlines.elapsed_excluding_pauses(sent, removed, pauses)),
        "feedback": row.feedback,
        "document_options": row.document_options,
        "operation_id": row.operation_id,
        "deconfliction_hold": row.state == "on_hold",
        "target_details": [
            {
                "kind": t.kind,
                "key": t.key,
                "platform": t.platform,
                "url": t.url,
                "content_hash": t.content_hash,
                "language": t.language,
            }
            for t in targets
        ],
    }


def load_row(conn: sa.Connection, referral_id: int) -> sa.Row:
    row = conn.execute(sa.select(referrals).where(referrals.c.id == referral_id)).first()
    if row is None:
        raise NotFoundError(f"no referral {referral_id}")
    return row


def sent_to(engine: sa.Engine, referral_id: int, provider: str | None) -> bool:
    """Whether the referral was sent to ``provider``: one query filtered by the tenant, so an
    id of another provider and an id that does not exist take the same path and time."""
    if not provider:
        return False
    with engine.connect() as conn:
        return (
            conn.execute(
                sa.select(referrals.c.id).where(
                    referrals.c.id == referral_id,
                    referrals.c.provider == provider,
                    referrals.c.sent_at.is_not(None),
                )
            ).first()
            is not None
        )


def get_referral(engine: sa.Engine, referral_id: int, now: Clock = system_now) -> dict[str, Any]:
    with engine.connect() as conn:
        return as_dict(conn, load_row(conn, referral_id), now())


def list_referrals(
    engine: sa.Engine,
    state: str | None = None,
    overdue: bool = False,
    soon_due: bool = False,
    provider: str | None = None,
    operation_id: int | None = None,
    now: Clock = system_now,
    after: int = 0,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Referrals by id after ``after``, at most ``limit`` of them (a page: one indexed range of
    the table, its targets and history read for that page only)."""
    t = now()
    query = sa.select(referrals).where(referrals.c.id > after).order_by(referrals.c.id)
    if limit is not None and not (overdue or soon_due):  # those two are decided row by row
        query = query.limit(limit)
    if state:
        query = query.where(referrals.c.state == state)
    if provider:
        query = query.where(referrals.c.provider == provider)
    if operation_id is not None:
        query = query.where(referrals.c.operation_id == operation_id)
    with engine.connect() as conn:
        rows = []
        for row in conn.execute(query).all():
            pauses = pauses_of(row)
            d = due(row, t)
            if overdue and not deadlines.is_overdue(row.state, d, t, pauses):
                continue
            if soon_due and not deadlines.is_soon_due(row.state, d, t, pauses):
                continue
            rows.append(row)
            if limit is not None and len(rows) >= limit:
                break
        targets, events = _children(conn, [r.id for r in rows])
        return [as_dict(conn, r, t, targets[r.id], events[r.id]) for r in rows]
