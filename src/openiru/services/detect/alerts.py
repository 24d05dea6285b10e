"""The triage queue: list alerts with their evidence, and record analysts' decisions.

Decisions feed back: a confirmed post's media can be added to a bank
(``add_to_bank``), a rejected post's media hashes can be put into a suppression
bank (``suppress``) so the same picture never alerts again, and every decision is
training data for the classifier.  Rejection reasons include the TCO Regulation's
Art. 1(3) exemptions (journalism, research, counter-speech, education, art).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ...errors import ConfigError, NotFoundError
from ...model import HashRecord, utc
from ...store import schema
from ...store import tables_detect as td
from ..access.users import require_actor
from .assignees import assigned_condition, assignments
from .banks import add_records, ensure_bank, ruleset_changed
from .hits import hits_by_post
from .results import EXEMPTIONS, exemption_of
from .triage import TEXT_SHOWN, refresh_cards

DECISIONS = ("confirm", "reject")
REJECTION_REASONS = EXEMPTIONS + ("false-positive", "not-terrorist-content", "duplicate", "other")
SUPPRESSION_BANK = "suppressed"
ANALYST_ROLES = ("analyst",)


def parse_post_key(text: str) -> tuple[str, str]:
    """``PLATFORM:POST_ID`` -> ``(platform, post_id)``; the id may hold ``/`` and ``:``."""
    platform, sep, post_id = text.partition(":")
    if not sep or not platform or not post_id:
        raise ConfigError(f"{text!r}: give the post as PLATFORM:POST_ID (e.g. telegram:-100123/45)")
    return platform, post_id


def list_alerts(
    engine: sa.Engine,
    *,
    limit: int | None = 50,
    status: str | None = "open",
    uncertain: bool = False,
    include_suppressed: bool = False,
    post: tuple[str, str] | None = None,
    people: bool = False,
    assigned: str | None = None,
) -> list[dict[str, Any]]:
    """Alerts by priority (or, with ``uncertain``, by how unsure the classifier is); ``post``:
    only the alert on that post; ``assigned``: only those assigned to this user (``none``: to no
    one, ``any``: to someone). ``people`` adds the account's handle and display name and whom the
    alert is assigned to (the CLI's ``alerts``); without it each item equals the API's stored
    triage card."""
    a, p, acc = td.detect_alerts, schema.posts, schema.accounts
    cols = [acc.c.handle, acc.c.display_name] if people else []
    stmt = sa.select(a, p.c.text, p.c.timestamp, *cols).join(
        p, sa.and_(p.c.platform == a.c.platform, p.c.post_id == a.c.post_id), isouter=True
    )
    if people:
        stmt = stmt.join(
            acc, sa.and_(acc.c.platform == a.c.platform, acc.c.account_id == a.c.account_id), isouter=True
        )
    if post is not None:
        stmt = stmt.where(a.c.platform == post[0], a.c.post_id == post[1])
    if status and status != "all":
        stmt = stmt.where(a.c.status == status)
    if assigned:
        stmt = stmt.where(assigned_condition(a.c.platform, a.c.post_id, assigned))
    if uncertain:
        stmt = stmt.where(a.c.model_probability.is_not(None)).order_by(
            sa.func.abs(a.c.model_probability - 0.5), a.c.priority.desc()
        )
    else:
        stmt = stmt.order_by(a.c.priority.desc(), a.c.platform, a.c.post_id)
    if limit is not None:
        stmt = stmt.limit(limit)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
        hits = hits_by_post(conn, [(r.platform, r.post_id) for r in rows])
        if people:
            owners = assignments(conn, [(r.platform, r.post_id) for r in rows])
    out = []
    for r in rows:
        evidence = hits.get((r.platform, r.post_id), [])
        if not include_suppressed:
            evidence = [h for h in evidence if not h.get("suppressed")]
        account: dict[str, Any] = {"platform": r.platform, "account_id": r.account_id}
        if people:
            account.update(handle=r.handle, display_name=r.display_name)
        out.append(
            {
                "id": f"{r.platform}:{r.post_id}",
                "post": {"platform": r.platform, "post_id": r.post_id},
                "account": account,
                "priority": round(r.priority, 4),
                "strength": round(r.strength, 4),
                "status": r.status,
                "reason": r.reason,
                "decided_by": r.decided_by,
                "decided_at": utc(r.decided_at) if r.decided_at else None,  # SQLite's are naive UTC
                "model_probability": r.model_probability,
                "timestamp": utc(r.timestamp) if r.timestamp else None,
                "text": (r.text or "")[:TEXT_SHOWN],
                "hits": evidence,
            }
        )
        if people:
            out[-1].update(
                owners.get((r.platform, r.post_id))
                or {"assigned_to": None, "assigned_by": None, "assigned_at": None}
            )
    return out


def get_alert(engine: sa.Engine, post: str) -> dict[str, Any]:
    found = list_alerts(engine, limit=1, status="all", include_suppressed=True, post=parse_post_key(post))
    if found:
        return found[0]
    raise NotFoundError(f"no alert for post {post}")


def _post_media(conn: sa.Connection, platform: str, post_id: str) -> list[sa.Row[Any]]:
    pm, m = schema.post_media, schema.media
    return list(
        conn.execute(
            sa.select(m)
            .join(pm, pm.c.media_key == m.c.media_key)
            .where(pm.c.platform == platform, pm.c.post_id == post_id)
        )
    )


def _media_records(rows: list[sa.Row], item: str, label: str | None) -> list[HashRecord]:
    records = []
    for m in rows:
        if m.pdq:
            records.append(HashRecord("pdq", m.pdq, item, label, source="analyst decision"))
        if m.md5:
            records.append(HashRecord("md5", m.md5, item, label, source="analyst decision"))
    return records


def decide(
    engine: sa.Engine,
    post: str,
    decision: str,
    reason: str | None = None,
    *,
    actor: str | None,
    add_to_bank: str | None = None,
    suppress: bool = False,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Confirm or reject a post (``PLATFORM:POST_ID``) as ``actor`` (an analyst)."""
    user = require_actor(engine, actor, ANALYST_ROLES)
    if decision not in DECISIONS:
        raise ConfigError(f"decision must be one of {', '.join(DECISIONS)}")
    platform, post_id = parse_post_key(post)
    now = now or datetime.now(UTC)
    a, p = td.detect_alerts, schema.posts
    reason = reason.strip() if reason else None
    if decision == "reject" and reason and exemption_of(reason):
        reason = exemption_of(reason)
    with engine.begin() as conn:
        alert = conn.execute(sa.select(a).where(a.c.platform == platform, a.c.post_id == post_id)).first()
        row = conn.execute(
            sa.select(p.c.account_id).where(p.c.platform == platform, p.c.post_id == post_id)
        ).first()
        if alert is None and row is None:
            raise NotFoundError(f"no post {platform}:{post_id}")
        account_id = alert.account_id if alert is not None else row.account_id  # type: ignore[union-attr]
        conn.execute(
            sa.insert(td.detect_decisions).values(
                platform=platform,
                post_id=post_id,
                account_id=account_id,
                decision=decision,
                reason=reason,
                actor=user.name,
                decided_at=now,
            )
        )
        status = "confirmed" if decision == "confirm" else "rejected"
        if alert is not None:
            conn.execute(
                sa.update(a)
                .where(a.c.platform == platform, a.c.post_id == post_id)
                .values(status=status, reason=reason, decided_by=user.name, decided_at=now, updated_at=now)
            )
        else:
            conn.execute(
                sa.insert(a).values(
                    platform=platform,
                    post_id=post_id,
                    account_id=account_id,
                    status=status,
                    priority=0.0,
                    strength=0.0,
                    reason=reason,
                    decided_by=user.name,
                    decided_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            refresh_cards(conn, [(platform, post_id)])
        fed: dict[str, Any] = {}
        media = _post_media(conn, platform, post_id)
        item = f"{platform}:{post_id}"
        if add_to_bank and decision == "confirm":
            ensure_bank(conn, add_to_bank)
            added, _, _ = add_records(conn, add_to_bank, _media_records(media, item, "confirmed by analyst"))
            fed["added_to_bank"] = {"bank": add_to_bank, "items": added}
        if suppress and decision == "reject":
            ensure_bank(conn, SUPPRESSION_BANK, "mixed", "suppression")
            added, _, _ = add_records(
                conn, SUPPRESSION_BANK, _media_records(media, item, reason or "rejected")
            )
            fed["suppressed"] = {"bank": SUPPRESSION_BANK, "items": added}
        if any(v.get("items") for v in fed.values()):
            ruleset_changed(conn)
    return {
        "post": {"platform": platform, "post_id": post_id},
        "account": {"platform": platform, "account_id": account_id},
        "decision": decision,
        "status": status,
        "reason": reason,
        "exemption": exemption_of(reason) if decision == "reject" else None,
        "actor": user.name,
        "decided_at": now,
        **fed,
    }


def release_item(engine: sa.Engine, item_id: int, actor: str | None) -> None:
    """Lift an item's quarantine (its hits alert again from the next scan)."""
    require_actor(engine, actor, ANALYST_ROLES)
    t = td.detect_bank_items
    with engine.begin() as conn:
        n = conn.execute(
            sa.update(t).where(t.c.id == item_id).values(status="active", quarantined_at=None)
        ).rowcount
        if not n:
            raise NotFoundError(f"no bank item {item_id}")
        ruleset_changed(conn)


def signal_links(engine: sa.Engine, kind: str = "wallet", min_accounts: int = 2) -> list[dict[str, Any]]:
    """Indicators (wallets by default) seen on several accounts: leads linking accounts and platforms."""
    s = td.detect_signals
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(s.c.value, s.c.label, s.c.platform, s.c.account_id).where(s.c.kind == kind).distinct()
        ).all()
    grouped: dict[str, dict[str, Any]] = {}
    for r in rows:
        g = grouped.setdefault(r.value, {"value": r.value, "label": r.label, "accounts": []})
        acc = {"platform": r.platform, "account_id": r.account_id}
        if acc not in g["accounts"]:
            g["accounts"].append(acc)
    found = [g for g in grouped.values() if len(g["accounts"]) >= min_accounts]
    found.sort(key=lambda g: (-len(g["accounts"]), g["value"]))
    return found
