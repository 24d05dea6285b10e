"""Referral commands, part two: deconflict, operation, export, audit.

Split from :mod:`openiru.commands.referral` to keep modules short; registered
from there.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from ..model import parse_time
from ..services.access import anchoring, audit
from ..services.referral import action_days as operations
from ..services.referral import deconfliction as deconfliction_service
from ..services.referral import export as referrals_export
from .common import AsOption, DbOption, JsonOption, actor_name, clock, engine_for, print_json

out = Console()
err = Console(stderr=True)
deconflict_app = typer.Typer(
    help="Hands-off entries of member-state agencies (deconfliction).", no_args_is_help=True
)
operation_app = typer.Typer(help="Referral Action Days.", no_args_is_help=True)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
#: Who may read the audit log: the same roles as GET /api/audit and /console/audit (admins always).
AUDIT_READERS = ("admin", "auditor")


@deconflict_app.command("add")
def deconflict_add(
    kind_or_value: Annotated[
        str,
        typer.Argument(
            metavar="[KIND] VALUE",
            help="account | post | url | hash | channel, then the value; "
            "with the value alone the kind is inferred (URL, PLATFORM:@ID, PLATFORM:POST_ID, hex hash).",
        ),
    ],
    value: Annotated[
        str | None, typer.Argument(metavar="", help="PLATFORM:@ID, PLATFORM:POST_ID, URL or hash.")
    ] = None,
    ref: Annotated[
        str | None,
        typer.Option(
            "--ref",
            "--investigation",
            "--reference",
            help="Your investigation reference (seen only by your agency).",
        ),
    ] = None,
    agency: Annotated[
        str | None, typer.Option(help="Agency (admins only; liaisons act for their own).")
    ] = None,
    expires_days: Annotated[float | None, typer.Option(help="Lapse after this many days.")] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Register a hands-off entry tied to an investigation."""
    if value is None:
        kind, value = infer_kind(kind_or_value), kind_or_value
    else:
        kind = kind_or_value
    entry = deconfliction_service.add_entry(
        engine_for(db),
        actor_name(as_user),
        kind,
        value,
        ref or "(no reference given)",
        agency,
        expires_days,
        now=clock(),
    )
    if json_out:
        print_json(entry)
    else:
        out.print(
            f"deconfliction entry {entry['id']} ({entry['kind']} {entry['value']}) added for {entry['agency']}"
        )


def infer_kind(value: str) -> str:
    text = value.strip()
    if text.lower().startswith(("http://", "https://")):
        return "url"
    bare = text.lower().removeprefix("sha256:").removeprefix("md5:").removeprefix("pdq:")
    if len(bare) in (32, 64) and all(c in "0123456789abcdef" for c in bare):
        return "hash"
    platform, _, rest = text.partition(":")
    return "account" if rest.startswith("@") else "post"


@deconflict_app.command("check")
def deconflict_check(
    target: Annotated[str, typer.Argument(help="PLATFORM:POST_ID, PLATFORM:@ACCOUNT_ID or URL.")],
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Is there a hold on this target, and was it or the same content referred already?"""
    result = deconfliction_service.check(engine_for(db), actor_name(as_user), target, now=clock())
    if json_out:
        print_json(result)
        return
    out.print(f"{result['target']}: {'ON HOLD (deconfliction)' if result['hold'] else 'no hold'}")
    for d in result["already_referred"]:
        out.print(f"  already referred in {d['referral']} by {d['by']} at {d['at']} ({d['state']})")
    for e in result["same_content_elsewhere"]:
        out.print(f"  same content at {e['post']}")


@deconflict_app.command("list")
def deconflict_list(db: DbOption = None, as_user: AsOption = None, json_out: JsonOption = False) -> None:
    """Your agency's entries in full; for other agencies only how many holds exist."""
    data = deconfliction_service.list_entries(engine_for(db), actor_name(as_user), now=clock())
    if json_out:
        print_json(data)
        return
    for e in data["entries"]:
        out.print(f"{e['id']}\t{e['kind']}\t{e['value']}\t{e['investigation_ref']}")
    out.print(f"{data['other_holds']} hold(s) registered by other agencies (details not shown)")


@deconflict_app.command("remove")
def deconflict_remove(entry_id: int, db: DbOption = None, as_user: AsOption = None) -> None:
    """Lift one of your agency's entries."""
    deconfliction_service.remove_entry(engine_for(db), actor_name(as_user), entry_id, now=clock())
    out.print(f"deconfliction entry {entry_id} lifted")


@deconflict_app.command("notifications")
def deconflict_notifications(
    db: DbOption = None, as_user: AsOption = None, json_out: JsonOption = False
) -> None:
    """Referrals that touched your agency's entries."""
    items = deconfliction_service.notifications_for(engine_for(db), actor_name(as_user))
    if json_out:
        print_json(items)
        return
    for n in items:
        out.print(f"{n['at']}  {n['message']}")


@operation_app.command("create")
def operation_create(
    name: str,
    agency: Annotated[
        list[str] | None, typer.Option("--agency", help="Participating agency (repeat).")
    ] = None,
    hours: Annotated[float, typer.Option(help="Length of the window.")] = 48,
    start: Annotated[str | None, typer.Option(help="Start (ISO time); now if omitted.")] = None,
    platform: Annotated[
        list[str] | None, typer.Option("--platform", help="Target platform (repeat).")
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option("--language", help="Target language (repeat).")
    ] = None,
    organisation: Annotated[
        list[str] | None, typer.Option("--organisation", help="Target organisation.")
    ] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Plan a Referral Action Day."""
    op = operations.create(
        engine_for(db),
        actor_name(as_user),
        name,
        agency or [],
        hours,
        parse_time(start) if start else None,
        platform,
        language,
        organisation,
        now=clock(),
    )
    if json_out:
        print_json(op)
    else:
        out.print(f"operation {op['id']} {op['name']}: {op['starts_at']} to {op['ends_at']}")


@operation_app.command("add")
def operation_add(
    operation: Annotated[str, typer.Argument(help="Operation name or id.")],
    targets: Annotated[
        list[str] | None, typer.Argument(help="Items assessed: post keys, account keys or URLs.")
    ] = None,
    referral: Annotated[
        list[int] | None, typer.Option("--referral", help="Add an existing referral (repeat).")
    ] = None,
    assign: Annotated[str | None, typer.Option(help="Assign these items to a user.")] = None,
    refer: Annotated[bool, typer.Option("--refer", help="Also refer them now (drafts).")] = False,
    kind: Annotated[str, typer.Option(help="Kind when referring.")] = "referral",
    reason: Annotated[str | None, typer.Option(help="Reason when referring.")] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Add assessed items (or existing referrals) to an operation, optionally referring them."""
    from ..services.referral import workflow as referrals

    engine = engine_for(db)
    targets = list(targets or [])
    if not targets and not referral:
        err.print("give items to add, or --referral ID")
        raise typer.Exit(2)
    op_id = operations.operation_id(engine, operation)
    result: dict = {"operation": op_id, "added": 0, "skipped": 0}
    if targets:
        result = operations.add_items(engine, actor_name(as_user), op_id, targets, assign, now=clock())
    if referral:
        result["linked"] = operations.add_referrals(engine, actor_name(as_user), op_id, referral, now=clock())
    if refer and targets:
        created = referrals.create_referrals(
            engine, actor_name(as_user), targets, kind=kind, reason=reason, operation_id=op_id, now=clock()
        )
        operations.link_referrals(engine, op_id, created)
        result["referrals"] = [r["id"] for r in created]
    if json_out:
        print_json(result)
    else:
        out.print(
            f"{result['added']} item(s) added, {result['skipped']} already there"
            + (f"; referrals {result['referrals']}" if "referrals" in result else "")
            + (f"; {result['linked']} referral(s) linked" if "linked" in result else "")
        )


@operation_app.command("report")
def operation_report(operation: str, db: DbOption = None, json_out: JsonOption = False) -> None:
    """Live counters during the operation, the final report after it."""
    r = operations.report(engine_for(db), operation, now=clock())
    if json_out:
        print_json(r)
        return
    rate = f"{r['removal_rate'] * 100:.1f} %" if r["removal_rate"] is not None else "n/a"
    median = (
        f"{r['median_time_to_removal_s'] / 60:.1f} min"
        if r["median_time_to_removal_s"] is not None
        else "n/a"
    )
    out.print(f"Referral Action Day {r['operation']['name']} ({r['status']})")
    out.print(
        f"  items assessed {r['items_assessed']}, referred {r['items_referred']}, sent {r['items_sent']}"
    )
    out.print(f"  {len(r['languages'])} languages: {', '.join(r['languages'])}")
    out.print(f"  {len(r['platforms'])} platforms: {', '.join(r['platforms'])}")
    out.print(f"  {len(r['providers'])} providers: {', '.join(r['providers'])}")
    out.print(f"  removal rate {rate}, median time to removal {median}")


@operation_app.command("list")
def operation_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """All operations."""
    ops = operations.list_operations(engine_for(db))
    if json_out:
        print_json(ops)
        return
    for op in ops:
        out.print(f"{op['id']}\t{op['name']}\t{op['starts_at']} to {op['ends_at']}")


def export(
    fmt: Annotated[str, typer.Argument(metavar="FORMAT", help="dsa | stix | misp | lumen | hashes")],
    out_file: Annotated[
        Path | None, typer.Option("--out", help="Write here instead of standard output.")
    ] = None,
    state: Annotated[str | None, typer.Option(help="Only referrals in this state.")] = None,
    referral: Annotated[
        list[int] | None, typer.Option("--referral", help="Only this referral (repeat).")
    ] = None,
    hash_format: Annotated[str, typer.Option(help="hashes: csv | plain | threatexchange")] = "csv",
    db: DbOption = None,
) -> None:
    """Export referrals: DSA statements of reasons, STIX 2.1, MISP, Lumen notices, hash list."""
    if fmt not in ("dsa", "stix", "misp", "lumen", "hashes"):
        err.print(f"unknown export format {fmt!r}; formats: dsa, stix, misp, lumen, hashes")
        raise typer.Exit(2)
    from .progress import progress

    with progress(f"exporting {fmt}", json_out=out_file is None, unit="referrals") as advance:
        text = referrals_export.export(
            engine_for(db), fmt, state, referral, now=clock(), hash_format=hash_format, on_progress=advance
        )
    if out_file is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        out_file.write_text(text, "utf-8")
        err.print(f"{fmt} export written to {out_file}")


@audit_app.command("verify")
def audit_verify(
    db: DbOption = None,
    json_out: JsonOption = False,
    anchor_file: Annotated[
        Path | None,
        typer.Option(
            "--anchor-file",
            help="Compare with this anchor file (or a head exported with "
            "'audit anchor --json') instead of the configured one.",
        ),
    ] = None,
) -> None:
    """Check the hash chain and the anchored head.  Exit 0: intact and anchored; 1: tampered (the
    first problem named), or no trusted anchor while OPENIRU_AUDIT_KEY is set; 3: intact in
    itself but unverifiable (no anchor, no key): truncation or a rewrite could not be seen."""
    config = None
    if anchor_file is not None:
        from ..referral.audit_anchor import AnchorConfig

        config = AnchorConfig(anchor_file, audit.anchor_config().key)
    result = audit.verify(engine_for(db), config)
    if json_out:
        print_json(result.as_dict())
    elif result.ok:
        anchored = result.anchor or {}
        note = (
            f", anchored up to entry {anchored['seq']}"
            if anchored.get("seq")
            else ", no anchored head for this database"
        )
        out.print(
            f"audit log intact: {result.entries} entries, head {result.head or '-'}{note}", highlight=False
        )
    elif result.first_bad is not None:
        err.print(f"[red]audit log broken at entry {result.first_bad}[/]: {result.problem}", highlight=False)
    elif result.status == audit.UNVERIFIABLE:
        level = "FAILED" if result.key_configured else "WARNING"
        err.print(
            f"[red]{level}: audit log of {result.entries} entries cannot be verified[/]: {result.problem}",
            highlight=False,
        )
    else:
        err.print(f"[red]audit anchor check failed[/]: {result.problem}", highlight=False)
    if not result.ok:
        raise typer.Exit(result.exit_code)


@audit_app.command("anchor")
def audit_anchor(
    db: DbOption = None,
    json_out: JsonOption = False,
    as_user: AsOption = None,
    restart: Annotated[
        bool,
        typer.Option(
            "--restart",
            help="Administrators: accept the current head after a legitimate "
            "restore from backup (older checkpoints stop counting; audited).",
        ),
    ] = False,
) -> None:
    """Print the current head (signed) for export to another system, and append it to the anchor file."""
    head = anchoring.anchor_head(
        engine_for(db), restart=restart, actor=actor_name(as_user) if restart else None, now=clock()
    )
    if json_out:
        print_json(head)
        return
    if not head["seq"]:
        out.print("audit log empty: nothing to anchor")
        return
    out.print(
        f"audit head: entry {head['seq']} {head['hash']}"
        f"{' (signed)' if head['mac'] else ' (unsigned: set OPENIRU_AUDIT_KEY)'}"
        f"{', written to ' + head['file'] if head['written'] else ''}",
        highlight=False,
    )


@audit_app.command("log")
def audit_log(
    object_type: Annotated[str | None, typer.Option("--type", help="Only this object type.")] = None,
    object_id: Annotated[str | None, typer.Option("--id", help="Only this object.")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many entries.")] = None,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Read the audit log (auditors and admins, as on the console's audit page and the API)."""
    from ..services.access.users import require_actor

    engine = engine_for(db)
    require_actor(engine, actor_name(as_user), AUDIT_READERS)
    items = audit.entries(engine, object_type, object_id, limit)
    if json_out:
        print_json(items)
        return
    for e in items:
        out.print(
            f"{e['seq']:6} {e['at']} {e['actor']:12} {e['action']:24} {e['object_type']} {e['object_id']}"
        )


def register_more(app: typer.Typer) -> None:
    app.add_typer(deconflict_app, name="deconflict")
    app.add_typer(operation_app, name="operation")
    app.command("export")(export)
    app.add_typer(audit_app, name="audit")
