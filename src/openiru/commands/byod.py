"""Bring-your-own-data commands: ``ingest --inspect`` (the column plan of a dataset) and
``accounts import`` (account lists as units receive them)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from ..errors import FormatError
from .common import DbOption, JsonOption, engine_for, print_json

out = Console()
accounts_app = typer.Typer(help="Account lists: import handles, profile URLs or ids.", no_args_is_help=True)


def inspect_plan(path: Path, fmt: str, platform: str | None, sheet: str | None) -> dict[str, Any]:
    """What an import of ``path`` would take from which column, and why; nothing is imported."""
    from ..services.collect.ingest import source_for

    source = source_for(path, fmt, platform)
    if sheet is not None and hasattr(source, "sheet"):
        source.sheet = sheet
    plan = getattr(source, "plan", None)
    if plan is None:
        raise FormatError(
            f"{path}: --inspect shows the column plan of tabular data; this is "
            f"{source.name}, a format with fixed fields"
        )
    return {"path": str(path), "format": source.name, "platform": source.platform, **plan().as_dict()}


def print_inspection(
    paths: list[Path], fmt: str, platform: str | None, sheet: str | None, json_out: bool
) -> None:
    found = [inspect_plan(p, fmt, platform, sheet) for p in paths]
    if json_out:
        print_json(found)
        return
    for item in found:
        out.print(f"{item['path']} ({item['format']}, platform {item['platform']})", highlight=False)
        table = Table("field", "column", "why")
        for name, taken in item["columns"].items():
            table.add_row(name, taken["column"], taken["why"])
        out.print(table)
        for name, dates in item["dates"].items():
            out.print(f"dates of {name}: {dates['why']}", highlight=False)
        if item["from_text"]:
            out.print(f"from the text: {', '.join(item['from_text'])}", highlight=False)
        for note in item["notes"]:
            out.print(f"note: {note}", highlight=False)
        if item["unused"]:
            out.print(f"columns not used: {', '.join(item['unused'])}", highlight=False)


@accounts_app.command("import")
def accounts_import(
    file: Annotated[Path, typer.Argument(help="CSV, TXT or XLSX list of handles, profile URLs or ids.")],
    platform: Annotated[
        str | None, typer.Option(help="Platform of entries that do not say (bare handles, ids).")
    ] = None,
    as_: Annotated[str | None, typer.Option("--as", help="seed | watch | label:NAME")] = None,
    sheet: Annotated[str | None, typer.Option(help="Only this sheet of an .xlsx workbook.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Import an account list: match, create the unknown as listed-but-unseen, mark them.

    Entries are handles, profile URLs or ids (see docs/formats.md); known accounts are
    matched by id or handle, handle history included; --as seed adds them to the ranking's
    seeds, watch and label:NAME record that intent."""
    from ..services.graph.account_lists import import_account_list

    engine = engine_for(db)
    report = import_account_list(engine, file, platform=platform, intent=as_, sheet=sheet)
    if json_out:
        print_json(report)
        return
    out.print(
        f"{report['matched']} matched, {report['new']} new, {report['unparseable']} unparseable "
        f"({report['entries']} entries{', marked ' + report['intent'] if report['intent'] else ''})",
        highlight=False,
    )
    for line in report["problems"][:20]:
        out.print(f"[yellow]unparseable[/]: {line}", highlight=False)


def register(app: typer.Typer) -> None:
    app.add_typer(accounts_app, name="accounts")
