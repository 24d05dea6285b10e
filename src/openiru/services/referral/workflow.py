"""Creating referrals and moving them through the workflow.

:func:`create_referrals` turns targets (posts, accounts, URLs) into one
referral per provider, checks deconfliction (holds put the referral
``on_hold`` and notify the owning agency) and reports duplicates.  The other
functions apply one workflow action each through the pure state machine in
:mod:`openiru.referral.workflow`, record who/when/why in the referral's
history and in the audit log.  Sending lives in :mod:`.delivery`.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...errors import ConfigError, PermissionDenied, TransitionError
from ...model import parse_time, utc
from ...referral import deadlines
from ...referral.documents import CANNOT_COMPLY_GROUNDS, GROUNDS
from ...referral.providers import resolve_target
from ...referral.targets import parse_target
from ...referral.workflow import DOWN_STATES, Action, Kind, State, transition
from ...store.tables_referral import referral_events, referral_targets, referrals
from ..access import audit
from ..access.users import User, require_actor
from . import deconfliction as deconfliction_service
from .providers import list_providers
from .records import TargetInfo, as_dict, enrich, load_row

CREATOR_ROLES = ("analyst",)
APPROVER_ROLES = ("analyst", "approver")
FEEDBACK_ROLES = ("analyst", "approver", "liaison", "provider")
OUTCOMES = ("removed", "access_disabled", "rejected", "cannot_comply")


def create_referrals(
    engine: sa.Engine,
    actor: str | None,
    targets: list[str],
    kind: str = "referral",
    reason: str | None = None,
    grounds: list[str] | None = None,
    provider: str | None = None,
    operation_id: int | None = None,
    now: Clock = system_now,
    refrain_from_informing: bool = False,
    refrain_reason: str | None = None,
    refrain_until: str | None = None,
) -> list[dict[str, Any]]:
    """One draft referral per provider for ``targets``; returns them as dicts with duplicates.

    For removal orders ``refrain_from_informing`` (with a reason and an end)
    fills TCO Annex I section C: the provider must not tell the content
    provider, for reasons of public security.
    """
    user = require_actor(engine, actor, CREATOR_ROLES)
    try:
        kind = Kind(kind).value
    except ValueError:
        raise ConfigError(f"unknown kind {kind!r}; kinds: referral, removal-order") from None
    grounds = [g.strip().lower() for g in (grounds or ["a"]) if g.strip()]
    bad = [g for g in grounds if g not in GROUNDS]
    if bad:
        raise ConfigError(f"unknown Art. 2(7) ground(s) {bad}; choose from {', '.join(GROUNDS)}")
    if not targets:
        raise ConfigError("give at least one target")
    parsed = [parse_target(t) for t in targets]
    registry = list_providers(engine)
    known = {p.name for p in registry}
    if provider and provider not in known:
        raise ConfigError(f"unknown provider {provider!r}; add it with 'openiru provider add'")
    t = now()
    created: list[dict[str, Any]] = []
    with engine.begin() as conn:
        groups: dict[str | None, list[TargetInfo]] = defaultdict(list)
        seen: set[str] = set()
        for target in parsed:
            if target.key in seen:
                continue
            seen.add(target.key)
            info = enrich(conn, target)
            found = resolve_target(registry, target, info.url)
            groups[provider or (found.name if found else None)].append(info)
        for provider_name, infos in groups.items():
            ref_id = conn.execute(
                sa.insert(referrals)
                .values(
                    kind=kind,
                    state=State.DRAFT.value,
                    provider=provider_name,
                    reason=reason,
                    grounds=grounds if kind == Kind.REMOVAL_ORDER.value else None,
                    reference=f"IRU-{t:%Y%m%d}-{uuid.uuid4().hex[:8].upper()}",
                    created_by=user.name,
                    created_at=t,
                    pauses=[],
                    operation_id=operation_id,
                    updated_at=t,
                    document_options={
                        "refrain_from_informing": refrain_from_informing,
                        "refrain_reason": refrain_reason,
                        "refrain_until": refrain_until,
                    },
                )
                .returning(referrals.c.id)
            ).scalar_one()
            dups = {}
            for info in infos:
                conn.execute(
                    sa.insert(referral_targets).values(
                        referral_id=ref_id,
                        kind=info.target.kind,
                        key=info.target.key,
                        platform=info.target.platform,
                        url=info.url or info.target.url,
                        content_hash=info.content_hash,
                        language=info.language,
                    )
                )
                found_dups = deconfliction_service.duplicates(conn, info, exclude_referral=ref_id)
                if found_dups["already_referred"] or found_dups["same_content_elsewhere"]:
                    dups[info.target.key] = found_dups
            _event(conn, ref_id, user.name, "create", None, State.DRAFT, reason, t)
            audit.record(
                conn,
                user.name,
                "referral.create",
                "referral",
                ref_id,
                {"kind": kind, "provider": provider_name, "targets": [i.target.key for i in infos]},
                now=now,
            )
            holds = deconfliction_service.holds_for_targets(conn, infos, t)
            if holds:
                _hold(conn, ref_id, State.DRAFT, holds, t, now)
            row = load_row(conn, ref_id)
            result = as_dict(conn, row, t)
            result["duplicates"] = dups
            if provider_name is None:
                result["warning"] = "no provider resolved: set one with --provider before sending"
            created.append(result)
    return created


def _event(
    conn: sa.Connection,
    referral_id: int,
    actor: str,
    action: str,
    from_state: State | None,
    to_state: State,
    reason: str | None,
    at: datetime,
) -> None:
    conn.execute(
        sa.insert(referral_events).values(
            referral_id=referral_id,
            at=at,
            actor=actor,
            action=action,
            from_state=from_state.value if from_state else None,
            to_state=to_state.value,
            reason=reason,
        )
    )


def _hold(
    conn: sa.Connection, referral_id: int, from_state: State, holds: list, at: datetime, now: Clock
) -> None:
    step = transition(from_state, Action.HOLD, actor="system", at=at, reason="deconfliction hold")
    conn.execute(
        sa.update(referrals)
        .where(referrals.c.id == referral_id)
        .values(state=step.to_state.value, hold_from=from_state.value, updated_at=at)
    )
    _event(
        conn,
        referral_id,
        "system",
        step.action.value,
        from_state,
        step.to_state,
        "deconfliction hold: an agency has registered this content",
        at,
    )
    deconfliction_service.notify(conn, holds, referral_id, at)
    audit.record(
        conn, "system", "referral.hold", "referral", referral_id, {"entries": [e.id for e in holds]}, now=now
    )


def apply_action(
    conn: sa.Connection,
    referral_id: int,
    action: Action,
    actor: str,
    at: datetime,
    reason: str | None = None,
    values: dict[str, Any] | None = None,
    now: Clock = system_now,
    audit_details: dict[str, Any] | None = None,
) -> State:
    """Apply one workflow action inside the caller's transaction; returns the new state."""
    row = load_row(conn, referral_id)
    step = transition(
        row.state,
        action,
        actor=actor,
        at=at,
        reason=reason,
        created_by=row.created_by,
        hold_from=row.hold_from,
    )
    update = {"state": step.to_state.value, "updated_at": at, **(values or {})}
    conn.execute(sa.update(referrals).where(referrals.c.id == referral_id).values(**update))
    _event(conn, referral_id, actor, step.action.value, step.from_state, step.to_state, reason, at)
    audit.record(
        conn,
        actor,
        f"referral.{step.action.value}",
        "referral",
        referral_id,
        {"from": step.from_state.value, "to": step.to_state.value, "reason": reason, **(audit_details or {})},
        now=now,
    )
    return step.to_state


def approve(engine: sa.Engine, actor: str | None, referral_id: int, now: Clock = system_now) -> dict:
    user = require_actor(engine, actor, APPROVER_ROLES)
    t = now()
    with engine.begin() as conn:
        apply_action(
            conn,
            referral_id,
            Action.APPROVE,
            user.name,
            t,
            values={"approved_by": user.name, "approved_at": t},
            now=now,
        )
        return as_dict(conn, load_row(conn, referral_id), t)


def withdraw(
    engine: sa.Engine, actor: str | None, referral_id: int, reason: str | None = None, now: Clock = system_now
) -> dict:
    user = require_actor(engine, actor, APPROVER_ROLES)
    t = now()
    with engine.begin() as conn:
        apply_action(
            conn,
            referral_id,
            Action.WITHDRAW,
            user.name,
            t,
            reason or "withdrawn by the unit",
            values={"resolved_at": t},
            now=now,
        )
        return as_dict(conn, load_row(conn, referral_id), t)


def release(
    engine: sa.Engine, actor: str | None, referral_id: int, reason: str | None = None, now: Clock = system_now
) -> dict:
    """Lift a deconfliction hold: by the owning agency (or an admin)."""
    user = require_actor(engine, actor, ("liaison",))
    t = now()
    with engine.begin() as conn:
        _check_owner(conn, user, referral_id)
        apply_action(
            conn,
            referral_id,
            Action.RELEASE,
            user.name,
            t,
            reason or "released by the owning agency",
            values={"hold_from": None},
            now=now,
        )
        return as_dict(conn, load_row(conn, referral_id), t)


def set_provider(
    engine: sa.Engine, actor: str | None, referral_id: int, provider: str, now: Clock = system_now
) -> dict:
    """Name the provider of a referral not sent yet (one that could not be resolved, or a correction)."""
    user = require_actor(engine, actor, CREATOR_ROLES + APPROVER_ROLES)
    if provider not in {p.name for p in list_providers(engine)}:
        raise ConfigError(f"unknown provider {provider!r}; add it with 'openiru provider add'")
    t = now()
    with engine.begin() as conn:
        row = load_row(conn, referral_id)
        if row.state not in (State.DRAFT, State.APPROVED, State.ON_HOLD):
            raise TransitionError(f"referral {referral_id} is {row.state}: its provider can no longer change")
        conn.execute(
            sa.update(referrals).where(referrals.c.id == referral_id).values(provider=provider, updated_at=t)
        )
        audit.record(
            conn,
            user.name,
            "referral.set_provider",
            "referral",
            referral_id,
            {"from": row.provider, "to": provider},
            now=now,
        )
        return as_dict(conn, load_row(conn, referral_id), t)


def _check_owner(conn: sa.Connection, user: User, referral_id: int) -> None:
    if user.role == "admin":
        return
    from ...store.tables_referral import notifications

    agencies = set(
        conn.execute(
            sa.select(notifications.c.agency).where(notifications.c.referral_id == referral_id)
        ).scalars()
    )
    if user.agency not in agencies:
        raise PermissionDenied(f"only the agency that holds referral {referral_id} can release it")


def acknowledge(
    engine: sa.Engine,
    actor: str | None,
    referral_id: int,
    at: datetime | None = None,
    now: Clock = system_now,
) -> dict:
    user = require_actor(engine, actor, FEEDBACK_ROLES)
    t = now()
    with engine.begin() as conn:
        _check_provider(conn, user, referral_id)
        apply_action(
            conn, referral_id, Action.ACKNOWLEDGE, user.name, t, values={"acknowledged_at": at or t}, now=now
        )
        return as_dict(conn, load_row(conn, referral_id), t)


def _check_provider(conn: sa.Connection, user: User, referral_id: int) -> None:
    if user.role == "provider" and load_row(conn, referral_id).provider != user.provider:
        raise PermissionDenied(f"{user.name!r} answers for {user.provider!r}, not this referral's provider")


#: How far in the future a provider's clock may be from ours.
ANSWER_SKEW = timedelta(minutes=5)


def _check_answer_time(row: sa.Row, when: datetime, now: datetime) -> None:
    """A provider's time of removal lies on the referral's timeline: not before it was sent
    (a negative time to removal), not in the future beyond a small clock skew."""
    sent = utc(row.sent_at) if row.sent_at else None
    if sent is not None and when < sent:
        raise ConfigError(
            f"the time given ({when.isoformat()}) is before referral {row.id} was sent ({sent.isoformat()})"
        )
    # The later of the injected clock and the wall clock: a fixed clock (OPENIRU_NOW, tests and
    # replays) does not make a real time "future".
    latest = max(now, datetime.now(UTC))
    if when > latest + ANSWER_SKEW:
        raise ConfigError(f"the time given ({when.isoformat()}) is in the future")


def feedback(
    engine: sa.Engine,
    actor: str | None,
    referral_id: int,
    outcome: str,
    at: str | datetime | None = None,
    reason: str | None = None,
    cannot_comply_ground: str | None = None,
    now: Clock = system_now,
    provider_reference: str | None = None,
) -> dict:
    """Provider feedback: Annex II (removed / access disabled at a time) or Annex III / rejection.

    ``cannot_comply`` (force majeure, manifest error, insufficient information)
    stops the deadline clock until :func:`resume` records the clarification.
    """
    user = require_actor(engine, actor, FEEDBACK_ROLES)
    if outcome not in OUTCOMES:
        raise ConfigError(f"unknown outcome {outcome!r}; choose from {', '.join(OUTCOMES)}")
    t = now()
    when = parse_time(at) if at is not None else t
    with engine.begin() as conn:
        _check_provider(conn, user, referral_id)
        row = load_row(conn, referral_id)
        _check_answer_time(row, when, t)
        # Annex II / III: both references, time of receipt, the outcome and its time.
        info = {
            "outcome": outcome,
            "at": when.isoformat(),
            "reason": reason,
            "by": user.name,
            "ground": cannot_comply_ground,
            "reference": row.reference,
            "provider_reference": provider_reference,
            "received_at": utc(row.sent_at).isoformat() if row.sent_at else None,
        }
        if outcome == "cannot_comply":
            if row.state not in (State.SENT, State.ACKNOWLEDGED):
                raise TransitionError(f"cannot_comply needs a sent referral; this one is {row.state}")
            pauses = list(row.pauses or [])
            if any(p.get("end") is None for p in pauses):
                raise TransitionError(f"referral {referral_id} already waits for a clarification")
            ground = cannot_comply_ground or "insufficient_information"
            if ground not in CANNOT_COMPLY_GROUNDS:
                raise ConfigError(f"cannot_comply ground must be one of {', '.join(CANNOT_COMPLY_GROUNDS)}")
            info["ground"] = ground
            pause_reason = "force_majeure" if ground == "force_majeure" else "clarification"
            pauses.append(deadlines.Pause(when, None, pause_reason).as_dict())
            values: dict[str, Any] = {"pauses": pauses, "feedback": info, "updated_at": t}
            if row.state == State.SENT:
                apply_action(
                    conn,
                    referral_id,
                    Action.ACKNOWLEDGE,
                    user.name,
                    t,
                    reason,
                    values={"acknowledged_at": row.acknowledged_at or when, **values},
                    now=now,
                )
            else:
                conn.execute(sa.update(referrals).where(referrals.c.id == referral_id).values(**values))
            audit.record(conn, user.name, "referral.cannot_comply", "referral", referral_id, info, now=now)
        else:
            values = {"feedback": info, "resolved_at": when, "acknowledged_at": row.acknowledged_at or when}
            apply_action(
                conn,
                referral_id,
                Action(outcome),
                user.name,
                t,
                reason,
                values=values,
                now=now,
                audit_details={"provider_time": when.isoformat()},
            )
            _close_pause(conn, referral_id, when)
        return as_dict(conn, load_row(conn, referral_id), t)


def _close_pause(conn: sa.Connection, referral_id: int, at: datetime) -> bool:
    row = load_row(conn, referral_id)
    pauses = list(row.pauses or [])
    open_ones = [p for p in pauses if p.get("end") is None]
    for p in open_ones:
        p["end"] = at.isoformat()
    if open_ones:
        conn.execute(sa.update(referrals).where(referrals.c.id == referral_id).values(pauses=pauses))
    return bool(open_ones)


def resume(
    engine: sa.Engine, actor: str | None, referral_id: int, note: str | None = None, now: Clock = system_now
) -> dict:
    """The clarification was given (or force majeure ended): the deadline clock runs again."""
    user = require_actor(engine, actor, APPROVER_ROLES + ("liaison",))
    t = now()
    with engine.begin() as conn:
        if not _close_pause(conn, referral_id, t):
            raise TransitionError(f"referral {referral_id} has no stopped clock to restart")
        audit.record(conn, user.name, "referral.resume", "referral", referral_id, {"note": note}, now=now)
        return as_dict(conn, load_row(conn, referral_id), t)


def pause(
    engine: sa.Engine,
    actor: str | None,
    referral_id: int,
    reason: str = "force_majeure",
    now: Clock = system_now,
) -> dict:
    """Stop the clock (force majeure declared, or clarification requested)."""
    if reason not in deadlines.PAUSE_REASONS:
        raise ConfigError(f"pause reason must be one of {', '.join(deadlines.PAUSE_REASONS)}")
    user = require_actor(engine, actor, FEEDBACK_ROLES)
    t = now()
    with engine.begin() as conn:
        row = load_row(conn, referral_id)
        pauses = list(row.pauses or [])
        if any(p.get("end") is None for p in pauses):
            raise TransitionError(f"the clock of referral {referral_id} is already stopped")
        pauses.append(deadlines.Pause(t, None, reason).as_dict())
        conn.execute(
            sa.update(referrals).where(referrals.c.id == referral_id).values(pauses=pauses, updated_at=t)
        )
        audit.record(conn, user.name, "referral.pause", "referral", referral_id, {"reason": reason}, now=now)
        return as_dict(conn, load_row(conn, referral_id), t)


def reopen(conn: sa.Connection, referral_id: int, actor: str, reason: str, now: Clock) -> None:
    """Content came back after removal: the referral is open again with a fresh deadline."""
    t = now()
    row = load_row(conn, referral_id)
    if State(row.state) not in DOWN_STATES:
        return
    apply_action(
        conn,
        referral_id,
        Action.REOPEN,
        actor,
        t,
        reason,
        values={"sent_at": t, "resolved_at": None, "acknowledged_at": None, "pauses": []},
        now=now,
    )


def expire_overdue(engine: sa.Engine, now: Clock = system_now) -> list[int]:
    """Sent or acknowledged referrals past their deadline become ``no_response``."""
    t = now()
    expired = []
    with engine.begin() as conn:
        rows = conn.execute(
            sa.select(referrals).where(referrals.c.state.in_([State.SENT.value, State.ACKNOWLEDGED.value]))
        ).all()
        from .records import due, pauses_of

        for row in rows:
            if deadlines.is_overdue(row.state, due(row, t), t, pauses_of(row)):
                apply_action(conn, row.id, Action.EXPIRE, "system", t, "deadline passed", now=now)
                expired.append(row.id)
    return expired


def times(row: sa.Row) -> tuple[datetime | None, datetime | None]:
    return (utc(row.sent_at) if row.sent_at else None, utc(row.resolved_at) if row.resolved_at else None)


def targets_from_alerts(engine: sa.Engine, limit: int | None = None) -> list[str]:
    """Post keys of confirmed detection alerts that no referral covers yet."""
    from ..detect.alerts import list_alerts  # the detection area's triage queue

    alerts = list_alerts(engine, limit=None, status="confirmed")
    keys = [f"{a['post']['platform']}:{a['post']['post_id']}" for a in alerts]
    with engine.connect() as conn:
        referred = (
            set(
                conn.execute(
                    sa.select(referral_targets.c.key).where(referral_targets.c.key.in_(keys))
                ).scalars()
            )
            if keys
            else set()
        )
    fresh = [k for k in keys if k not in referred]
    return fresh[:limit] if limit else fresh
