"""The notify role: tell the unit about new high-priority alerts and referral deadlines, once.

Every ``poll`` seconds a notify worker

1. **finds** what is due: open alerts with a triage priority of at least ``min_priority``
   created in the last ``alert_since`` (``alert:<platform>:<post_id>``); open referrals due
   within ``soon`` (``referral-due-soon:<id>``: the 1-hour removal order and the 2-hour
   referral target of :mod:`openiru.referral.deadlines`, clock stops counted) and those past
   their deadline (``referral-overdue:<id>``);
2. **records** each in ``worker_notifications`` under its key (``INSERT ... ON CONFLICT DO
   NOTHING``): however many workers find it, there is one row;
3. **claims** due rows one at a time (a conditional UPDATE: pending, its next attempt due, no
   unexpired claim) and posts each to the unit's webhook through the outbound client (the
   webhook allow-list ``OPENIRU_WEBHOOK_ALLOW``), signed with HMAC-SHA256 as delivery webhooks
   are (``X-OpenIRU-Signature``), with ``X-OpenIRU-Notification: <key>``;
4. marks it sent, or, on failure, counts the attempt and sets the next one after a doubling
   back-off (``backoff`` seconds, at most ``max_backoff``); after ``max_attempts`` it is failed.

So N workers send each notification once.  A worker killed between the receiver's answer and
the mark leaves its claim to expire (``claim_s``) and another sends it again: the receiver
tells the two apart by the notification key.  Logs name the key and the receiver's host, never
the secret or the URL's path and query.  See docs/scale-out.md.
"""

from __future__ import annotations

import json
import signal
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import sqlalchemy as sa

from ...clock import Clock, system_now
from ...model import utc
from ...referral import deadlines
from ...referral.workflow import OPEN_STATES
from ...store.tables_collect import worker_notifications as wn
from ...store.tables_detect import detect_alerts
from ...store.tables_referral import referrals
from ...store.writer import dialect_insert
from ..collect.leases import holder_name
from ..outbound import FetchPolicy, FetchRefused, Outbound
from ..referral.channels import SIGNATURE_HEADER, sign
from ..referral.records import due, pauses_of
from .metrics import NOTIFICATIONS


@dataclass(frozen=True)
class NotifyConfig:
    url: str
    secret: str = field(repr=False)
    min_priority: float = 0.8
    alert_since: timedelta = timedelta(hours=24)
    soon: timedelta = deadlines.SOON_DUE
    claim_s: float = 120.0
    max_attempts: int = 8
    backoff: float = 30.0
    max_backoff: float = 3600.0


def find_due(engine: sa.Engine, now: datetime, cfg: NotifyConfig) -> list[dict[str, Any]]:
    """The notifications due at ``now``: ``{"key", "kind", "payload"}``."""
    a, r = detect_alerts.c, referrals.c
    with engine.connect() as conn:
        alerts = conn.execute(
            sa.select(a.platform, a.post_id, a.account_id, a.priority, a.strength, a.created_at).where(
                a.status == "open", a.priority >= cfg.min_priority, a.created_at >= now - cfg.alert_since
            )
        ).all()
        refs = conn.execute(sa.select(referrals).where(r.state.in_([str(s) for s in OPEN_STATES]))).all()
    found = [
        {
            "key": f"alert:{x.platform}:{x.post_id}",
            "kind": "alert",
            "payload": {
                "post": f"{x.platform}:{x.post_id}",
                "account": f"{x.platform}:{x.account_id}",
                "priority": x.priority,
                "strength": x.strength,
                "created_at": utc(x.created_at).isoformat(),
            },
        }
        for x in alerts
    ]
    for ref in refs:
        when, pauses = due(ref, now), pauses_of(ref)
        if deadlines.is_overdue(ref.state, when, now, pauses):
            kind = "referral-overdue"
        elif deadlines.is_soon_due(ref.state, when, now, pauses, within=cfg.soon):
            kind = "referral-due-soon"
        else:
            continue
        found.append(
            {
                "key": f"{kind}:{ref.id}",
                "kind": kind,
                "payload": {
                    "referral": ref.id,
                    "reference": ref.reference,
                    "referral_kind": ref.kind,
                    "state": ref.state,
                    "provider": ref.provider,
                    "due": when.isoformat(),
                },
            }
        )
    return found


def record(engine: sa.Engine, found: Iterable[dict[str, Any]], now: datetime) -> int:
    """Record the notifications not recorded yet (by key); how many were new here."""
    found = list(found)
    new = 0
    with engine.begin() as conn:
        known: set[str] = set()
        keys = [f["key"] for f in found]
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            known.update(conn.execute(sa.select(wn.c.key).where(wn.c.key.in_(chunk))).scalars())
        for item in found:
            if item["key"] in known:
                continue
            inserted = conn.execute(
                dialect_insert(conn, wn)
                .values(**item, state="pending", attempts=0, created_at=now, next_attempt_at=now)
                .on_conflict_do_nothing(index_elements=["key"])
                .returning(wn.c.key)  # (rowcount is not reliable for ON CONFLICT on every driver)
            ).first()
            new += inserted is not None
    return new


def claim(engine: sa.Engine, holder: str, now: datetime, claim_s: float) -> sa.Row[Any] | None:
    """Take one due notification for this worker (``None``: nothing left to take)."""
    free = sa.and_(
        wn.c.state == "pending",
        wn.c.next_attempt_at <= now,
        sa.or_(wn.c.claimed_until.is_(None), wn.c.claimed_until < now),
    )
    with engine.begin() as conn:
        candidates = conn.execute(
            sa.select(wn.c.key).where(free).order_by(wn.c.next_attempt_at, wn.c.key).limit(20)
        ).scalars()
        for key in list(candidates):
            taken = conn.execute(
                sa.update(wn)
                .where(wn.c.key == key, free)
                .values(claimed_by=holder, claimed_until=now + timedelta(seconds=claim_s))
            ).rowcount
            if taken:
                return conn.execute(sa.select(wn).where(wn.c.key == key)).one()
    return None


def post(out: Outbound, url: str, secret: str, row: sa.Row[Any]) -> str | None:
    """Send one notification; ``None`` when the receiver accepted it, else why not (no secret)."""
    body = json.dumps(
        {**row.payload, "key": row.key, "kind": row.kind}, sort_keys=True, ensure_ascii=False
    ).encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        "X-OpenIRU-Notification": row.key,
    }
    try:
        response = out.post(url, content=body, headers=headers)
    except FetchRefused as exc:
        return f"refused: {exc} (OPENIRU_WEBHOOK_ALLOW may name it)"
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}"
    return None if response.is_success else f"HTTP {response.status_code}"


def settle(
    engine: sa.Engine, row: sa.Row[Any], holder: str, error: str | None, now: datetime, cfg: NotifyConfig
) -> str:
    """Record the outcome of an attempt; the row's new state (sent, pending, failed)."""
    attempts = row.attempts + 1
    values: dict[str, Any] = {"attempts": attempts, "claimed_by": None, "claimed_until": None}
    if error is None:
        values.update(state="sent", sent_at=now, last_error=None)
    else:
        wait = min(cfg.backoff * 2 ** (attempts - 1), cfg.max_backoff)
        state = "failed" if attempts >= cfg.max_attempts else "pending"
        values.update(state=state, last_error=error[:500], next_attempt_at=now + timedelta(seconds=wait))
    with engine.begin() as conn:
        conn.execute(sa.update(wn).where(wn.c.key == row.key, wn.c.claimed_by == holder).values(**values))
    return str(values["state"])


@dataclass
class NotifySummary:
    passes: int = 0
    recorded: int = 0
    sent: list[str] = field(default_factory=list)
    retried: int = 0
    failed: int = 0


def run_notify(
    engine: sa.Engine,
    cfg: NotifyConfig,
    *,
    poll: float = 30.0,
    cycles: int | None = None,
    now: Clock = system_now,
    client: httpx.Client | None = None,
    holder: str | None = None,
    log: Callable[[str], None] = print,
) -> NotifySummary:
    """Find, record and send every ``poll`` seconds until SIGTERM/SIGINT or ``cycles`` passes."""
    holder = holder or holder_name()
    host = urlsplit(cfg.url).netloc  # what logs name: never the path, query or secret
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    summary = NotifySummary()
    log(f"notify worker ready: to {host}, alerts from priority {cfg.min_priority:g}, as {holder}")
    while not stop.is_set() and (cycles is None or summary.passes < cycles):
        summary.passes += 1
        at = now()
        added = record(engine, find_due(engine, at, cfg), at)
        summary.recorded += added
        if added:
            log(f"recorded {added} new notifications")
        # one client a pass: making one (its TLS context) costs more than a post to a near receiver
        with Outbound(FetchPolicy.for_webhooks(timeout=10.0), client=client) as out:
            while not stop.is_set() and (row := claim(engine, holder, now(), cfg.claim_s)) is not None:
                error = post(out, cfg.url, cfg.secret, row)
                state = settle(engine, row, holder, error, now(), cfg)
                NOTIFICATIONS.labels(row.kind, state).inc()
                if state == "sent":
                    summary.sent.append(row.key)
                    log(f"sent {row.key} to {host} (attempt {row.attempts + 1})")
                else:
                    summary.retried += state == "pending"
                    summary.failed += state == "failed"
                    log(f"notification {row.key} not sent (attempt {row.attempts + 1}, now {state}): {error}")
        if cycles is None or summary.passes < cycles:
            stop.wait(poll)
    return summary
