"""Referral commands: provider, refer, referral, referrals, deconflict, operation, export, audit.

Every state-changing command needs ``--as USER`` (or ``OPENIRU_USER``): a
known user in the right role, else a clear error and a non-zero exit.
``OPENIRU_NOW`` (ISO time) fixes the clock, for rehearsals and tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from ..model import parse_time
from ..referral.providers import ProviderInfo
from ..services.referral import delivery, providers
from ..services.referral import evidence as evidence_service
from ..services.referral import records as referral_records
from ..services.referral import verify as referrals_verify
from ..services.referral import workflow as referrals
from .common import AsOption, DbOption, JsonOption, actor_name, engine_for, print_json
from .common import clock as clock  # re-exported: where it always was
from .referral_admin import register_more

out = Console()
err = Console(stderr=True)
provider_app = typer.Typer(help="The registry of hosting service providers.", no_args_is_help=True)
referral_app = typer.Typer(help="Move one referral through its workflow.", no_args_is_help=True)

ListOption = Annotated[list[str] | None, typer.Option()]


@provider_app.command("add")
def provider_add(
    name: str,
    domain: Annotated[list[str] | None, typer.Option("--domain", help="A domain it hosts (repeat).")] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", help="A platform name (repeat).")
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option("--language", help="Accepted language (repeat).")
    ] = None,
    email: Annotated[str | None, typer.Option(help="Contact email.")] = None,
    web_form: Annotated[str | None, typer.Option(help="Web form address.")] = None,
    api_endpoint: Annotated[str | None, typer.Option(help="API endpoint.")] = None,
    webhook: Annotated[str | None, typer.Option(help="Webhook URL for signed deliveries.")] = None,
    legal_name: Annotated[str | None, typer.Option(help="Legal entity name.")] = None,
    tco_contact: Annotated[str | None, typer.Option(help="TCO point of contact (Art. 15).")] = None,
    legal_representative: Annotated[
        str | None, typer.Option(help="TCO legal representative (Art. 17).")
    ] = None,
    main_establishment: Annotated[
        str | None, typer.Option(help="Member State of main establishment.")
    ] = None,
    identification_required: Annotated[
        bool | None,
        typer.Option(
            "--identification-required/--no-identification-required",
            help="Whether sign-up needs identification.",
        ),
    ] = None,
    notes: Annotated[str | None, typer.Option(help="Free notes.")] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Add a provider, or update the one of that name."""
    engine = engine_for(db)
    try:
        existing: ProviderInfo | None = providers.get_provider(engine, name)
    except Exception:
        existing = None
    contacts = {
        k: v
        for k, v in {
            "email": email,
            "web_form": web_form,
            "api_endpoint": api_endpoint,
            "webhook": webhook,
        }.items()
        if v
    }
    info = providers.merge(
        existing,
        name,
        domains=domain or [],
        platforms=platform or [],
        languages=language or [],
        contacts=contacts,
        legal_name=legal_name,
        tco_contact=tco_contact,
        legal_representative=legal_representative,
        main_establishment=main_establishment,
        identification_required=identification_required,
        notes=notes,
    )
    saved, new = providers.save_provider(engine, actor_name(as_user), info, now=clock())
    if json_out:
        print_json(saved.as_dict())
        return
    out.print(f"provider {saved.name} {'added' if new else 'updated'}")


@provider_app.command("list")
def provider_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List the registry."""
    items = providers.list_providers(engine_for(db))
    if json_out:
        print_json([p.as_dict() for p in items])
        return
    table = Table("provider", "platforms", "domains", "languages", "contacts")
    for p in items:
        table.add_row(
            p.name,
            ", ".join(p.platforms),
            ", ".join(p.domains[:4]),
            ", ".join(p.languages),
            ", ".join(f"{k}: {v}" for k, v in p.contacts.items()),
        )
    out.print(table)


@provider_app.command("resolve")
def provider_resolve(
    target: Annotated[str, typer.Argument(help="A URL, PLATFORM:POST_ID or PLATFORM:@ACCOUNT.")],
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Which provider must receive this?"""
    found, url = providers.resolve_text(engine_for(db), target)
    if json_out:
        print_json(
            {
                "target": target,
                "url": url,
                "provider": found.name if found else None,
                "details": found.as_dict() if found else None,
            }
        )
    elif found:
        out.print(found.name)
    else:
        err.print(f"no provider in the registry hosts {target}; add one with 'openiru provider add'")
    if not found:
        raise typer.Exit(1)


def refer(
    targets: Annotated[
        list[str] | None, typer.Argument(help="PLATFORM:POST_ID, PLATFORM:@ACCOUNT_ID or URL.")
    ] = None,
    kind: Annotated[str, typer.Option(help="referral | removal-order")] = "referral",
    reason: Annotated[str | None, typer.Option(help="Why this content is referred.")] = None,
    ground: Annotated[
        list[str] | None, typer.Option("--ground", help="Removal orders: Art. 2(7) point a-e (repeat).")
    ] = None,
    provider: Annotated[str | None, typer.Option(help="Override the resolved provider.")] = None,
    operation: Annotated[str | None, typer.Option(help="Referral Action Day (name or id).")] = None,
    refrain_from_informing: Annotated[
        bool,
        typer.Option(
            "--refrain-from-informing",
            help="Removal orders: the provider must not inform the content "
            "provider (public security, TCO Art. 11(3)).",
        ),
    ] = False,
    refrain_reason: Annotated[
        str | None, typer.Option(help="Why not to inform the content provider.")
    ] = None,
    refrain_until: Annotated[str | None, typer.Option(help="Until when (date).")] = None,
    from_file: Annotated[
        Path | None,
        typer.Option("--from-file", help="Also refer the targets in this file, one per line (# comments)."),
    ] = None,
    from_alerts: Annotated[
        bool,
        typer.Option("--from-alerts", help="Also refer every confirmed detection alert not referred yet."),
    ] = False,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Refer posts, accounts or URLs (one draft referral per provider)."""
    from ..services.referral import action_days as operations

    engine = engine_for(db)
    op_id = operations.operation_id(engine, operation) if operation else None
    targets = list(targets or [])
    if from_file:
        lines = from_file.read_text("utf-8").splitlines()
        targets += [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if from_alerts:
        targets += referrals.targets_from_alerts(engine)
    if not targets:
        err.print("nothing to refer: give targets, or --from-alerts with confirmed alerts")
        raise typer.Exit(1)
    created = referrals.create_referrals(
        engine,
        actor_name(as_user),
        targets,
        kind=kind,
        reason=reason,
        grounds=ground,
        provider=provider,
        operation_id=op_id,
        now=clock(),
        refrain_from_informing=refrain_from_informing,
        refrain_reason=refrain_reason,
        refrain_until=refrain_until,
    )
    if op_id is not None:
        operations.link_referrals(engine, op_id, created)
    if json_out:
        print_json({"referrals": created})
        return
    for r in created:
        out.print(
            f"referral {r['id']} ({r['kind']}) to {r['provider'] or 'UNRESOLVED'}: {r['state']}, "
            f"{len(r['targets'])} target(s), deadline {r['deadline']}"
        )
        if r.get("duplicates"):
            err.print(f"[yellow]duplicates[/]: {r['duplicates']}", highlight=False)
        if r["state"] == "on_hold":
            err.print("[yellow]on hold[/]: a deconfliction hold exists; the owning agency was notified")


def _show(result: dict, json_out: bool) -> None:
    if json_out:
        print_json(result)
    else:
        out.print(f"referral {result['id']}: {result['state']} (deadline {result['deadline']})")


IdArg = Annotated[int, typer.Argument(help="Referral id.")]


@referral_app.command("show")
def referral_show(referral_id: IdArg, db: DbOption = None, json_out: JsonOption = False) -> None:
    """One referral with its history."""
    result = referral_records.get_referral(engine_for(db), referral_id, now=clock())
    if json_out:
        print_json(result)
        return
    out.print(
        f"referral {result['id']} {result['reference']} ({result['kind']}) to {result['provider']}: "
        f"{result['state']}, deadline {result['deadline']}"
    )
    for h in result["history"]:
        out.print(
            f"  {h['at']}  {h['actor']}: {h['action']} {h['from'] or ''} -> {h['to']}"
            f"{'  (' + h['reason'] + ')' if h['reason'] else ''}"
        )


@referral_app.command("approve")
def referral_approve(
    referral_id: IdArg, db: DbOption = None, as_user: AsOption = None, json_out: JsonOption = False
) -> None:
    """Approve (four-eyes: not by its creator)."""
    _show(referrals.approve(engine_for(db), actor_name(as_user), referral_id, now=clock()), json_out)


@referral_app.command("send")
def referral_send(
    referral_id: IdArg,
    channel: Annotated[str, typer.Option(help="email | webhook | portal | export")] = "portal",
    smtp_host: Annotated[
        str | None, typer.Option(help="SMTP server (default $OPENIRU_SMTP_HOST, 127.0.0.1).")
    ] = None,
    smtp_port: Annotated[int | None, typer.Option(help="SMTP port (default $OPENIRU_SMTP_PORT, 25).")] = None,
    to: Annotated[str | None, typer.Option(help="Email recipient instead of the provider's address.")] = None,
    webhook_url: Annotated[str | None, typer.Option(help="Webhook URL instead of the provider's.")] = None,
    webhook_secret: Annotated[
        str | None,
        typer.Option(envvar="OPENIRU_WEBHOOK_SECRET", help="HMAC secret for the webhook signature."),
    ] = None,
    outbox: Annotated[
        Path | None, typer.Option(help="Folder for --channel export ($OPENIRU_OUTBOX).")
    ] = None,
    allow_plaintext_secrets: Annotated[
        bool,
        typer.Option(
            "--allow-plaintext-secrets",
            help="Local demos only: store a generated webhook secret unencrypted "
            "when OPENIRU_SECRET_KEY is not set.",
        ),
    ] = False,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Preserve evidence, render the document and deliver it."""
    options = {
        k: v
        for k, v in {
            "host": smtp_host,
            "port": smtp_port,
            "to": to,
            "url": webhook_url,
            "secret": webhook_secret,
            "outbox": str(outbox) if outbox else None,
        }.items()
        if v is not None
    }
    if channel != "email":
        options = {k: v for k, v in options.items() if k not in ("host", "port", "to")}
    if channel != "webhook":
        options = {k: v for k, v in options.items() if k not in ("url", "secret")}
    result = delivery.send(
        engine_for(db),
        actor_name(as_user),
        referral_id,
        channel,
        now=clock(),
        channel_options=options,
        allow_plaintext_secrets=allow_plaintext_secrets,
    )
    if result["state"] == "on_hold":
        err.print("[yellow]not sent[/]: a deconfliction hold exists; the owning agency was notified")
    _show(result, json_out)


@referral_app.command("provider")
def referral_provider(
    referral_id: IdArg,
    provider: Annotated[str, typer.Argument(help="Provider name.")],
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Set the provider of a referral not sent yet."""
    _show(
        referrals.set_provider(engine_for(db), actor_name(as_user), referral_id, provider, now=clock()),
        json_out,
    )


@referral_app.command("withdraw")
def referral_withdraw(
    referral_id: IdArg,
    reason: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Withdraw a referral."""
    _show(referrals.withdraw(engine_for(db), actor_name(as_user), referral_id, reason, now=clock()), json_out)


@referral_app.command("acknowledge")
def referral_acknowledge(
    referral_id: IdArg,
    at: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Record the provider's acknowledgement of receipt."""
    when = parse_time(at) if at else None
    _show(
        referrals.acknowledge(engine_for(db), actor_name(as_user), referral_id, when, now=clock()), json_out
    )


@referral_app.command("feedback")
def referral_feedback(
    referral_id: IdArg,
    outcome: Annotated[str, typer.Argument(help="removed | access_disabled | rejected | cannot_comply")],
    at: Annotated[str | None, typer.Option(help="When the provider acted (ISO time).")] = None,
    reason: Annotated[str | None, typer.Option(help="The provider's reason or clarification needed.")] = None,
    ground: Annotated[
        str | None,
        typer.Option(help="cannot_comply: force_majeure | manifest_error | insufficient_information"),
    ] = None,
    provider_reference: Annotated[str | None, typer.Option(help="The provider's own reference.")] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Record the provider's answer (TCO Annex II / III)."""
    _show(
        referrals.feedback(
            engine_for(db),
            actor_name(as_user),
            referral_id,
            outcome,
            at,
            reason,
            ground,
            now=clock(),
            provider_reference=provider_reference,
        ),
        json_out,
    )


@referral_app.command("pause")
def referral_pause(
    referral_id: IdArg,
    reason: Annotated[str, typer.Option(help="force_majeure | clarification")] = "force_majeure",
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Stop the deadline clock (TCO Art. 3(7), 3(8))."""
    _show(referrals.pause(engine_for(db), actor_name(as_user), referral_id, reason, now=clock()), json_out)


@referral_app.command("resume")
def referral_resume(
    referral_id: IdArg,
    note: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Restart the clock: clarification given or force majeure over."""
    _show(referrals.resume(engine_for(db), actor_name(as_user), referral_id, note, now=clock()), json_out)


@referral_app.command("release")
def referral_release(
    referral_id: IdArg,
    reason: Annotated[str | None, typer.Option()] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Lift a deconfliction hold (the owning agency's liaison)."""
    _show(referrals.release(engine_for(db), actor_name(as_user), referral_id, reason, now=clock()), json_out)


@referral_app.command("verify")
def referral_verify(
    referral_id: Annotated[int | None, typer.Argument(help="Referral id; all due if omitted.")] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Check whether referred content is still reachable (re-open what came back)."""
    engine = engine_for(db)
    if referral_id is None:
        results = referrals_verify.verify_due(engine, actor_name(as_user), now=clock())
    else:
        results = [referrals_verify.verify(engine, actor_name(as_user), referral_id, now=clock())]
    if json_out:
        print_json(results)
        return
    for r in results:
        out.print(f"referral {r['id']}: {r['verification']['outcome']} -> {r['state']}")


@referral_app.command("evidence")
def referral_evidence(referral_id: IdArg, db: DbOption = None, json_out: JsonOption = False) -> None:
    """The preserved evidence of a referral with SHA-256 digests."""
    items = evidence_service.list_evidence(engine_for(db), referral_id)
    if json_out:
        print_json(items)
        return
    for e in items:
        out.print(f"{e['kind']:12} {e['sha256'] or '-':64} {e['path'] or e['meta']}")


@referral_app.command("purge")
def referral_purge(
    retention_days: Annotated[
        float, typer.Option(help="Keep this many days.")
    ] = evidence_service.DEFAULT_RETENTION_DAYS,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Delete evidence older than the retention period (audited)."""
    summary = evidence_service.purge(engine_for(db), actor_name(as_user), retention_days, now=clock())
    if json_out:
        print_json(summary)
    else:
        out.print(f"purged {summary['items']} evidence item(s) older than {summary['cutoff']}")


def referrals_list(
    state: Annotated[str | None, typer.Option(help="Only this state.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only overdue referrals.")] = False,
    soon_due: Annotated[bool, typer.Option("--soon-due", help="Due within 30 minutes.")] = False,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """List referrals with deadlines and history."""
    items = referral_records.list_referrals(
        engine_for(db), state=state, overdue=overdue, soon_due=soon_due, provider=provider, now=clock()
    )
    if json_out:
        print_json(items)
        return
    table = Table("id", "kind", "state", "provider", "deadline", "targets")
    for r in items:
        table.add_row(
            str(r["id"]),
            r["kind"],
            r["state"] + (" (overdue)" if r["overdue"] else ""),
            r["provider"] or "-",
            r["deadline"],
            str(len(r["targets"])),
        )
    out.print(table)


def register(app: typer.Typer) -> None:
    from .referral_secrets import secret_app

    provider_app.add_typer(secret_app, name="secret")
    app.add_typer(provider_app, name="provider")
    app.command("refer")(refer)
    app.add_typer(referral_app, name="referral")
    app.command("referrals")(referrals_list)
    register_more(app)
