"""Removal verification: is the referred content still reachable?

After a provider says removed, and when the deadline passes, each target's
address is fetched.  HTTP 404, 410 or 451 (or a page that no longer contains
the referred text) counts as gone; a 2xx page that still shows the content
counts as reachable.  The check is kept as evidence (status, body SHA-256).
Content that comes back after removal re-opens the referral; a referral past
its deadline is closed as removed when the content is gone, otherwise it
becomes ``no_response``.  Pages are fetched through the outbound client
(``evidence.default_fetch`` -> ``outbound``): internal addresses are refused.
"""

from __future__ import annotations

import hashlib
import html
from typing import Any

import httpx
import sqlalchemy as sa

from ...clock import Clock, system_now
from ...referral import deadlines
from ...referral.targets import normalise_text
from ...referral.workflow import DOWN_STATES, Action, State
from ...store.tables_referral import evidence, referrals
from ..access import audit
from ..access.users import require_actor
from ..outbound import fetcher
from .delivery import targets_of
from .evidence import Fetch, default_fetch
from .records import TargetInfo, as_dict, due, load_row, pauses_of
from .workflow import APPROVER_ROLES, apply_action, reopen

GONE_STATUSES = (404, 410, 451)


def check_target(info: TargetInfo, fetch: Fetch) -> dict[str, Any]:
    url = info.url or info.target.url
    if not url:
        return {
            "target": info.target.key,
            "url": None,
            "reachable": None,
            "note": "no web address known for this target",
        }
    try:
        response = fetch(url)
    except httpx.HTTPError as exc:
        return {
            "target": info.target.key,
            "url": url,
            "reachable": None,
            "error": f"{exc.__class__.__name__}: {exc}",
        }
    result: dict[str, Any] = {
        "target": info.target.key,
        "url": url,
        "status": response.status_code,
        "body_sha256": hashlib.sha256(response.content).hexdigest(),
    }
    if response.status_code in GONE_STATUSES:
        result["reachable"] = False
    elif response.is_success:
        page = normalise_text(html.unescape(response.text))
        if info.text and normalise_text(info.text)[:80] not in page:
            result["reachable"] = False
            result["note"] = "page answers but no longer shows the referred text"
        else:
            result["reachable"] = True
    else:
        result["reachable"] = None
        result["note"] = f"inconclusive HTTP {response.status_code}"
    return result


def verify(
    engine: sa.Engine,
    actor: str | None,
    referral_id: int,
    now: Clock = system_now,
    fetch: Fetch = default_fetch,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Check one referral now and act on what is found (pages fetched through ``client``
    where one is passed in, see :func:`.outbound.fetcher`, else through ``fetch``)."""
    user = require_actor(engine, actor, APPROVER_ROLES)
    return _verify(engine, user.name, referral_id, now, fetcher(client) if client is not None else fetch)


def _verify(engine: sa.Engine, actor: str, referral_id: int, now: Clock, fetch: Fetch) -> dict[str, Any]:
    t = now()
    with engine.connect() as conn:
        infos = targets_of(conn, referral_id)
    checks = [check_target(i, fetch) for i in infos]
    reachable = [c for c in checks if c.get("reachable") is True]
    gone = bool(checks) and all(c.get("reachable") is False for c in checks)
    with engine.begin() as conn:
        for c in checks:
            conn.execute(
                sa.insert(evidence).values(
                    referral_id=referral_id,
                    target_key=c["target"],
                    kind="verification",
                    path=None,
                    sha256=c.get("body_sha256"),
                    size=None,
                    created_at=t,
                    meta=c,
                )
            )
        row = load_row(conn, referral_id)
        state = State(row.state)
        outcome = "unchanged"
        if state in DOWN_STATES and reachable:
            reopen(conn, referral_id, actor, "content reachable again after removal", now)
            outcome = "reopened"
        elif state in (State.SENT, State.ACKNOWLEDGED, State.NO_RESPONSE):
            overdue = deadlines.is_overdue(row.state, due(row, t), t, pauses_of(row))
            if gone:
                apply_action(
                    conn,
                    referral_id,
                    Action.REMOVE,
                    actor,
                    t,
                    "verified unreachable",
                    values={"resolved_at": t, "acknowledged_at": row.acknowledged_at or t},
                    now=now,
                )
                outcome = "verified_removed"
            elif overdue and state != State.NO_RESPONSE:
                apply_action(
                    conn, referral_id, Action.EXPIRE, actor, t, "deadline passed, content reachable", now=now
                )
                outcome = "no_response"
        audit.record(
            conn,
            actor,
            "referral.verify",
            "referral",
            referral_id,
            {
                "outcome": outcome,
                "checks": [{k: c.get(k) for k in ("target", "status", "reachable")} for c in checks],
            },
            now=now,
        )
        result = as_dict(conn, load_row(conn, referral_id), t)
    result["verification"] = {"outcome": outcome, "checks": checks}
    return result


def verify_due(
    engine: sa.Engine,
    actor: str | None,
    now: Clock = system_now,
    fetch: Fetch = default_fetch,
    client: httpx.Client | None = None,
) -> list[dict[str, Any]]:
    """Check every referral at or past its deadline, and every one reported down (``client``
    as for :func:`verify`)."""
    user = require_actor(engine, actor, APPROVER_ROLES)
    if client is not None:
        fetch = fetcher(client)
    t = now()
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(referrals).where(
                referrals.c.state.in_(
                    [
                        State.SENT.value,
                        State.ACKNOWLEDGED.value,
                        State.REMOVED.value,
                        State.ACCESS_DISABLED.value,
                    ]
                )
            )
        ).all()
    todo = [
        r.id
        for r in rows
        if State(r.state) in DOWN_STATES or deadlines.is_overdue(r.state, due(r, t), t, pauses_of(r))
    ]
    return [_verify(engine, user.name, rid, now, fetch) for rid in todo]
