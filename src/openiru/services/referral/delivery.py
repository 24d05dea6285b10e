"""Sending a referral: deconfliction re-check, evidence, documents, delivery channel, state.

:func:`send` is the one path from ``approved`` to ``sent``.  It re-checks the
deconfliction register (an entry may have been added since the referral was
created), preserves the evidence, renders the document in the provider's
language (TCO Annex I removal order or voluntary referral notice), hands the
package to the chosen channel plugin and records the delivery.  A failed
delivery is recorded and leaves the referral ``approved``.  A webhook's HMAC
secret comes from the options, the environment, or the provider's sealed secret
(:mod:`openiru.services.referral.secrets`), generated on first use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
import sqlalchemy as sa

from ...errors import ConfigError, OpenIRUError
from ...plugins import channels
from ...referral.delivery import DeliveryChannel, DeliveryPackage
from ...referral.documents import ContentItem, ReferralNotice, RemovalOrder
from ...referral.providers import ProviderInfo
from ...referral.targets import parse_target
from ...referral.workflow import Action, Kind, State, transition
from ...store.tables_referral import deliveries, referral_targets
from ..access import audit
from ..access.users import require_actor
from ..outbound import fetcher
from . import deconfliction as deconfliction_service
from . import evidence
from . import secrets as delivery_secrets
from .providers import get_provider
from .records import Clock, TargetInfo, as_dict, due, enrich, load_row, system_now
from .workflow import APPROVER_ROLES, _hold, apply_action

PDF_CHANNELS = ("email", "export")


class DeliveryFailed(OpenIRUError):
    """The channel could not deliver; the referral stays approved."""


def channel_classes() -> dict[str, type[DeliveryChannel]]:
    """Every delivery channel: the ``openiru.channels`` entry points, built-ins and plug-ins alike."""
    return channels()


def make_channel(name: str, **options: Any) -> DeliveryChannel:
    classes = channel_classes()
    if name not in classes:
        raise ConfigError(f"unknown channel {name!r}; channels: {', '.join(sorted(classes))}")
    return classes[name](**options)


def targets_of(conn: sa.Connection, referral_id: int) -> list[TargetInfo]:
    rows = conn.execute(
        sa.select(referral_targets)
        .where(referral_targets.c.referral_id == referral_id)
        .order_by(referral_targets.c.id)
    ).all()
    infos = []
    for r in rows:
        target = parse_target(r.url if r.kind == "url" and r.url else r.key)
        info = enrich(conn, target)
        info.url = info.url or r.url
        infos.append(info)
    return infos


def build_package(
    row: sa.Row, provider: ProviderInfo, infos: list[TargetInfo], now: datetime, pdf: bool = True
) -> tuple[DeliveryPackage, str | None]:
    from ...interop.tco import authority_from_env, languages, render_notice, render_order

    authority = authority_from_env()
    items = [ContentItem(i.url or i.target.url, i.target.key) for i in infos]
    language = provider.document_language(languages())
    payload: dict[str, Any] = {
        "reference": row.reference,
        "kind": row.kind,
        "provider": provider.name,
        "issued_at": now.isoformat(),
        "deadline": due(row, now).isoformat(),
        "authority": {
            "name": authority.name,
            "member_state": authority.member_state,
            "contact": authority.contact,
        },
        "items": [{"key": i.key, "url": i.url} for i in items],
        "reason": row.reason,
        "grounds": row.grounds or [],
        "language": language,
        "refrain_from_informing": _section_c(row.document_options)["refrain_from_informing"],
    }
    if row.kind == Kind.REMOVAL_ORDER.value:
        order = RemovalOrder(
            reference=row.reference,
            issued_at=now,
            authority=authority,
            addressee=provider.name,
            addressee_legal_name=provider.legal_name,
            legal_representative=provider.legal_representative,
            contact_point=provider.tco_contact,
            main_establishment=provider.main_establishment,
            items=items,
            grounds=list(row.grounds or ["a"]),
            additional_information=row.reason,
            language=language,
            **_section_c(row.document_options),
        )
        rendered = render_order(order, pdf=pdf)
        subject = f"Removal order {row.reference} (Regulation (EU) 2021/784)"
    else:
        notice = ReferralNotice(
            reference=row.reference,
            issued_at=now,
            authority=authority,
            addressee=provider.name,
            items=items,
            reason=row.reason,
            deadline=due(row, now),
            language=language,
        )
        rendered = render_notice(notice, pdf=pdf)
        subject = f"Referral {row.reference} for assessment"
    attachments = {f"{row.reference}.pdf": rendered.pdf} if rendered.pdf else {}
    package = DeliveryPackage(
        row.id, row.reference, row.kind, subject, rendered.text, rendered.html, payload, attachments
    )
    return package, rendered.pdf_note


def _section_c(options: dict[str, Any] | None) -> dict[str, Any]:
    options = options or {}
    return {
        "refrain_from_informing": bool(options.get("refrain_from_informing")),
        "refrain_reason": options.get("refrain_reason"),
        "refrain_until": options.get("refrain_until"),
    }


def send(
    engine: sa.Engine,
    actor: str | None,
    referral_id: int,
    channel: str = "portal",
    now: Clock = system_now,
    fetch: evidence.Fetch | None = None,
    channel_options: dict[str, Any] | None = None,
    sleep: Callable[[float], None] | None = None,
    allow_plaintext_secrets: bool = False,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """Send an approved referral over ``channel``, its evidence captured first.  ``client``
    (an ``httpx.Client``; tests and the demo: ``httpx.MockTransport``) is the network for the
    evidence capture and a webhook delivery, instead of the outbound client's own."""
    user = require_actor(engine, actor, APPROVER_ROLES)
    if client is not None:
        fetch = fetch or fetcher(client)
    t = now()
    with engine.connect() as conn:
        row = load_row(conn, referral_id)
        infos = targets_of(conn, referral_id)
    # Refuse an illegal send before any side effect.
    transition(row.state, Action.SEND, actor=user.name, at=t)
    if not row.provider:
        raise ConfigError(f"referral {referral_id} has no provider: it cannot be sent")
    provider = get_provider(engine, row.provider)
    with engine.begin() as conn:
        holds = deconfliction_service.holds_for_targets(conn, infos, t)
        if holds:
            _hold(conn, referral_id, State(row.state), holds, t, now)
            return as_dict(conn, load_row(conn, referral_id), t)
    options = dict(channel_options or {})
    if channel == "webhook":
        if sleep is not None:
            options["sleep"] = sleep
        if client is not None:
            options.setdefault("client", client)
        # Before any side effect: without OPENIRU_SECRET_KEY a new secret is refused.
        delivery_secrets.ensure_webhook_secret(engine, provider, options, allow_plaintext_secrets, now)
    with engine.begin() as conn:
        preserved = evidence.capture(
            conn, referral_id, row.reference, infos, t, fetch=fetch or evidence.default_fetch
        )
        audit.record(
            conn,
            user.name,
            "evidence.capture",
            "referral",
            referral_id,
            {
                "items": [
                    {"kind": e["kind"], "target": e["target_key"], "sha256": e["sha256"]} for e in preserved
                ]
            },
            now=now,
        )
    # Only channels that carry attachments need the PDF (fpdf2 parses the TrueType font each time).
    package, pdf_note = build_package(row, provider, infos, t, pdf=channel in PDF_CHANNELS)
    result = make_channel(channel, **options).deliver(package, provider)
    detail = {**result.detail, **({"pdf": pdf_note} if pdf_note else {})}
    with engine.begin() as conn:
        conn.execute(
            sa.insert(deliveries).values(
                referral_id=referral_id,
                channel=channel,
                at=t,
                ok=result.ok,
                attempts=result.attempts,
                detail=detail,
            )
        )
        if not result.ok:
            audit.record(
                conn,
                user.name,
                "referral.delivery_failed",
                "referral",
                referral_id,
                {"channel": channel, **detail},
                now=now,
            )
    if not result.ok:
        raise DeliveryFailed(
            f"referral {referral_id}: {channel} delivery failed: "
            f"{detail.get('error') or detail.get('errors')}"
        )
    with engine.begin() as conn:
        apply_action(
            conn,
            referral_id,
            Action.SEND,
            user.name,
            t,
            f"sent by {channel}",
            values={"sent_at": t, "channel": channel},
            now=now,
            audit_details={"channel": channel, "attempts": result.attempts},
        )
        out = as_dict(conn, load_row(conn, referral_id), t)
    out["delivery"] = {"channel": channel, "ok": True, "attempts": result.attempts, **detail}
    return out


def deliveries_of(engine: sa.Engine, referral_id: int) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(deliveries).where(deliveries.c.referral_id == referral_id).order_by(deliveries.c.id)
        ).all()
    return [
        {"channel": r.channel, "at": str(r.at), "ok": r.ok, "attempts": r.attempts, "detail": r.detail}
        for r in rows
    ]
