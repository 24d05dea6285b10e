"""Network analytics commands: accounts, seed, coordination, resurgence, platforms, migration, graph export."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated

import sqlalchemy as sa
import typer
from rich.console import Console
from rich.table import Table

from ..graph.coordination import DEFAULT_MIN_REPEATS, DEFAULT_WINDOW
from ..model import parse_time
from ..services.access.users import local_account
from ..services.graph import analysis as graph_service
from .common import AsOption, DbOption, JsonOption, actor_name, engine_for, print_json
from .progress import reading
from .tables import WideOption

out = Console()
err = Console(stderr=True)
seed_app = typer.Typer(
    help="Mark accounts of the recognised community (seeds of the ranking).", no_args_is_help=True
)
graph_app = typer.Typer(help="The interaction graph.", no_args_is_help=True)


def accounts(
    top: Annotated[int | None, typer.Option("--top", help="Show the first N accounts (default all).")] = None,
    platform: Annotated[
        str | None, typer.Option("--platform", help="Rank within this platform only.")
    ] = None,
    min_score: Annotated[
        float | None, typer.Option("--min-score", help="Only accounts scoring at least this.")
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """Key accounts ranked, with role, community and the evidence for each score."""
    with _engine(db) as engine, reading("ranking accounts", engine, json_out=json_out):
        rows = graph_service.key_accounts(engine, top, platform, min_score=min_score)
    if json_out:
        print_json(rows)
        return
    from .tables import Fitted, person

    columns = [("#", "num", False), ("account", "id", False)]
    columns += [("account id", "id", False)] if wide else []
    table = Fitted(
        [*columns, ("score", "num", False), ("role", "id", True), ("community", "num", True)], wide=wide
    )
    for k, r in enumerate(rows[: top or 50], 1):
        ids = [f"{r['platform']}:{r['account_id']}"] if wide else []
        table.add_row(
            k,
            person(r["platform"], r["account_id"], r["handle"]),
            *ids,
            f"{r['score']:.3f}",
            r["role"],
            r["community"],
        )
    table.print(out)


@seed_app.command("add")
def seed_add(
    platform: str,
    account_id: str,
    note: Annotated[str | None, typer.Option(help="Why this account is a seed.")] = None,
    actor: AsOption = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Mark PLATFORM ACCOUNT_ID as a known community account."""
    with _engine(db) as engine:
        row = graph_service.add_seed(engine, platform, account_id, actor_name(actor) or local_account(), note)
    if json_out:
        print_json(row)
        return
    if not row["known_account"]:
        err.print(f"[yellow]note[/]: {platform}:{account_id} is not in the data yet", highlight=False)
    out.print(f"seed {platform}:{account_id} added", highlight=False)


@seed_app.command("list")
def seed_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """List seed accounts."""
    with _engine(db) as engine:
        rows = graph_service.list_seeds(engine)
    if json_out:
        print_json(rows)
        return
    for r in rows:
        out.print(
            f"{r['platform']}\t{r['account_id']}\t{r['added_by'] or ''}\t{r['note'] or ''}", highlight=False
        )


@seed_app.command("remove")
def seed_remove(platform: str, account_id: str, actor: AsOption = None, db: DbOption = None) -> None:
    """Unmark a seed account."""
    with _engine(db) as engine:
        graph_service.remove_seed(engine, platform, account_id, actor_name(actor) or local_account())
    out.print(f"seed {platform}:{account_id} removed", highlight=False)


def coordination(
    window: Annotated[
        float, typer.Option("--window", help="Seconds within which posts count as together.")
    ] = DEFAULT_WINDOW,
    min_repeats: Annotated[
        int, typer.Option("--min-repeats", help="Distinct items a pair must share.")
    ] = DEFAULT_MIN_REPEATS,
    kind: Annotated[
        list[str] | None,
        typer.Option(
            "--kind", help="Only these kinds (co-post, co-repost, co-link, co-similar-text, co-hashtag)."
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """Groups of accounts posting the same content within a time window, repeatedly."""
    with _engine(db) as engine, reading("finding coordinated groups", engine, json_out=json_out):
        rows = graph_service.coordination(engine, window, min_repeats, kind or None)
    if json_out:
        print_json(rows)
        return
    from .tables import Fitted, person

    table = Fitted(
        [
            ("kind", "id", False),
            ("n", "num", False),
            ("score", "num", False),
            ("items", "num", True),
            ("members", "text", False),
            ("first", "id", True),
            ("last", "id", True),
        ],
        wide=wide,
    )
    for r in rows:
        members = [
            person(a["platform"], a["account_id"], a.get("handle"))
            + (f" ({a['platform']}:{a['account_id']})" if wide and a.get("handle") else "")
            for a in r["accounts"]
        ]
        table.add_row(
            r["kind"],
            len(r["accounts"]),
            f"{r['score']:.3f}",
            r["evidence"]["item_count"],
            ", ".join(members),
            r["evidence"]["first"],
            r["evidence"]["last"],
        )
    table.print(out)


def resurgence(
    cross_platform: Annotated[
        bool, typer.Option("--cross-platform", help="Also list the same actor's accounts on other platforms.")
    ] = False,
    min_score: Annotated[
        float | None,
        typer.Option(
            "--min-score", help="Estimated probability of a re-creation to list it (0..1, default 0.9)."
        ),
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    wide: WideOption = False,
) -> None:
    """Re-created accounts linked to removed or silent predecessors (ban evasion).

    The score is the estimated probability that the account re-creates its predecessor; links are
    listed from --min-score (default 0.9).  With --cross-platform, also the same actor's accounts on
    other platforms (``evidence.link`` says which kind each row is).
    """
    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise typer.BadParameter("must be between 0 and 1", param_hint="--min-score")
    with _engine(db) as engine, reading("linking re-created accounts", engine, json_out=json_out):
        rows = graph_service.resurgence(engine, min_score=min_score)
    if not cross_platform:
        rows = [r for r in rows if r["evidence"].get("link") != "cross-platform"]
    if json_out:
        print_json(rows)
        return
    from .tables import Fitted, person

    columns = [
        ("account", "id", False),
        ("predecessor", "id", False),
        ("score", "num", False),
        ("link", "id", True),
    ]
    columns += [("account id", "id", False), ("predecessor id", "id", False)] if wide else []
    table = Fitted(columns, wide=wide)
    for r in rows:
        ids = (
            [
                f"{r['platform']}:{r['account_id']}",
                f"{r['predecessor_platform']}:{r['predecessor_account_id']}",
            ]
            if wide
            else []
        )
        table.add_row(
            person(r["platform"], r["account_id"], r.get("handle")),
            person(r["predecessor_platform"], r["predecessor_account_id"], r.get("predecessor_handle")),
            f"{r['score']:.3f}",
            r["evidence"]["link"],
            *ids,
        )
    table.print(out)


def platforms(
    emerging: Annotated[bool, typer.Option("--emerging", help="Only emerging unknown domains.")] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Domains flagged content links to, week by week; unknown domains with a growing share."""
    with _engine(db) as engine:
        rows = graph_service.platforms(engine, emerging)
    if json_out:
        print_json(rows)
        return
    table = Table("domain", "platform", "known", "flagged links", "first seen", "emerging")
    for r in rows:
        table.add_row(
            r["domain"],
            r["platform"] or "",
            "yes" if r["known"] else "no",
            str(r["flagged_links"]),
            r["first_seen"],
            "yes" if r["emerging"] else "",
        )
    out.print(table)


def migration(
    community: Annotated[
        int | None, typer.Option("--community", help="Only this community (Leiden label from 'accounts').")
    ] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Share of the community's posts per platform per week (communities moving between platforms)."""
    with _engine(db) as engine:
        rows = graph_service.community_migration(engine, community)
    if json_out:
        print_json(rows)
        return
    for r in rows:
        shares = ", ".join(f"{p} {v['share']:.0%}" for p, v in r["platforms"].items())
        out.print(f"{r['week']}\t{r['posts']}\t{shares}", highlight=False)


@contextmanager
def _engine(db: str | None) -> Iterator[sa.Engine]:
    """An engine for one command, disposed after it (no pooled connection outlives the command)."""
    engine = engine_for(db)
    try:
        yield engine
    finally:
        engine.dispose()


def _time(value: str | None) -> datetime | None:
    return parse_time(value) if value else None


@graph_app.command("export")
def graph_export(
    format: Annotated[str, typer.Option("--format", help="gexf, graphml or csv.")] = "gexf",
    out_file: Annotated[
        Path | None, typer.Option("--out", help="File to write (default standard output).")
    ] = None,
    since: Annotated[str | None, typer.Option(help="Only interactions from this time (ISO 8601).")] = None,
    until: Annotated[str | None, typer.Option(help="Only interactions up to this time (ISO 8601).")] = None,
    platform: Annotated[list[str] | None, typer.Option("--platform", help="Only these platforms.")] = None,
    db: DbOption = None,
) -> None:
    """Export the interaction graph (with scores, roles and communities) for Gephi and other tools."""
    if format not in ("gexf", "graphml", "csv"):
        raise typer.BadParameter("format must be gexf, graphml or csv", param_hint="--format")
    with _engine(db) as engine, reading(f"exporting the graph ({format})", engine, json_out=out_file is None):
        if out_file is not None:
            written = graph_service.export(engine, format, out_file, _time(since), _time(until), platform)
            err.print("wrote " + ", ".join(str(p) for p in written), highlight=False)
            return
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(tmp) / f"graph.{format}"
            graph_service.export(engine, format, target, _time(since), _time(until), platform)
            sys.stdout.write(target.read_text("utf-8"))


def register(app: typer.Typer) -> None:
    app.command()(accounts)
    app.add_typer(seed_app, name="seed")
    app.command()(coordination)
    app.command()(resurgence)
    app.command()(platforms)
    app.command()(migration)
    app.add_typer(graph_app, name="graph")
