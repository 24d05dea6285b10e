"""Figures and reports: ``openiru statistics`` and ``openiru report``.

``statistics`` prints the figures of docs/reports.md over a period and filters (a table,
``--json`` or ``--csv``); ``report KIND --out FILE`` writes a report as HTML, Markdown or PDF
(by the file's suffix) with its figures as JSON and its tables as CSV beside it.
"""

from __future__ import annotations

import csv
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from .common import DbOption, JsonOption, LazyConsole, engine_for, print_json

out = LazyConsole()
err = LazyConsole(stderr=True)


def _time(value: str | None, name: str) -> datetime | None:
    if value is None:
        return None
    from ..model import parse_time

    try:
        t = parse_time(value)
    except (ValueError, TypeError):
        raise typer.BadParameter(f"not a date or time: {value!r}", param_hint=name) from None
    return t if t.tzinfo else t.replace(tzinfo=UTC)


def statistics_command(
    since: Annotated[str | None, typer.Option("--from", help="Start (ISO date or time, inclusive).")] = None,
    until: Annotated[str | None, typer.Option("--to", help="End (ISO date or time, exclusive).")] = None,
    by: Annotated[str | None, typer.Option(help="One row per platform, provider, language or week.")] = None,
    platform: Annotated[str | None, typer.Option(help="Only this platform.")] = None,
    provider: Annotated[str | None, typer.Option(help="Only this provider.")] = None,
    language: Annotated[str | None, typer.Option(help="Only this language.")] = None,
    label: Annotated[
        str | None, typer.Option(help="Only posts whose hits carry this organisation label.")
    ] = None,
    agency: Annotated[str | None, typer.Option(help="Only referrals made by users of this agency.")] = None,
    operation: Annotated[str | None, typer.Option(help="Only this Referral Action Day (id or name).")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    csv_out: Annotated[bool, typer.Option("--csv", help="Print CSV (one row per group).")] = False,
) -> None:
    """Posts, alerts, referrals and their outcomes, removal rate and response times over a period."""
    from ..services.referral import action_days as operations
    from ..services.report import statistics as stats

    if by is not None and by not in stats.GROUPS:
        raise typer.BadParameter(f"choose from {', '.join(stats.GROUPS)}", param_hint="--by")
    engine = engine_for(db)
    op_id = operations.operation_id(engine, operation) if operation else None
    f = stats.Filters(
        _time(since, "--from"), _time(until, "--to"), platform, provider, language, label, agency, op_id
    )
    result = stats.statistics(engine, f, by)
    if json_out:
        print_json(result)
        return
    if csv_out:
        w = csv.DictWriter(sys.stdout, fieldnames=list(stats.CSV_COLUMNS))
        w.writeheader()
        w.writerows(stats.csv_rows(result))
        return
    from rich.table import Table

    rows = stats.csv_rows(result)
    table = Table(*(["figure"] + [str(r["group"]) for r in rows]))
    for col in stats.CSV_COLUMNS[1:]:
        table.add_row(col, *("-" if r[col] is None else str(r[col]) for r in rows))
    out.print(table)


def report_command(
    out_path: Annotated[Path, typer.Option("--out", help="Report file: .html, .md or .pdf.")],
    kind_arg: Annotated[
        str | None,
        typer.Argument(
            metavar="[KIND]",
            show_default=False,
            help="tco-art8, annual, action-day or modus-operandi (or --kind).",
        ),
    ] = None,
    kind_opt: Annotated[
        str | None, typer.Option("--kind", help="tco-art8, annual, action-day or modus-operandi.")
    ] = None,
    year: Annotated[
        int | None, typer.Option(help="Calendar year (tco-art8, annual); default this year.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--from", help="Period start instead of --year (inclusive).")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--to", help="Period end instead of --year (exclusive).")
    ] = None,
    operation: Annotated[str | None, typer.Option(help="The action day (id or name) for action-day.")] = None,
    manual: Annotated[
        Path | None, typer.Option(help="JSON or YAML file of the fields a unit fills by hand (tco-art8).")
    ] = None,
    pdf: Annotated[
        bool, typer.Option("--pdf", help="Also write FILE.pdf beside an HTML or Markdown report.")
    ] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Write a report (TCO Art. 8 transparency, annual, Referral Action Day) with its figures as JSON."""
    from ..report import render
    from ..services.report import rendered as reports

    if kind_arg and kind_opt and kind_arg != kind_opt:
        raise typer.BadParameter(f"two kinds given: {kind_arg} and {kind_opt}", param_hint="--kind")
    kind = kind_arg or kind_opt or ""
    if kind not in reports.KINDS:
        raise typer.BadParameter(f"choose from {', '.join(reports.KINDS)}", param_hint="--kind")
    if out_path.suffix.lower() not in (".html", ".htm", ".md", ".pdf"):
        raise typer.BadParameter("the file must end in .html, .md or .pdf", param_hint="--out")
    engine = engine_for(db)
    start, end = _time(since, "--from"), _time(until, "--to")
    if kind == "tco-art8":
        doc = reports.tco_art8(engine, year, reports.load_manual(manual), since=start, until=end)
    elif kind == "annual":
        doc = reports.annual(engine, year, since=start, until=end)
    elif kind == "modus-operandi":
        from ..services.report.modus_operandi import modus_operandi

        doc = modus_operandi(engine, start, end)
    else:
        if not operation:
            raise typer.BadParameter("action-day needs --operation ID", param_hint="--operation")
        from .common import clock

        doc = reports.action_day(engine, operation, now=clock())
    written = render.write(doc, out_path)
    if pdf and out_path.suffix.lower() != ".pdf":
        pdf_path = out_path.with_suffix(".pdf")
        pdf_path.write_bytes(render.to_pdf(doc))
        written.append(pdf_path)
    if json_out:
        print_json({"files": [str(p) for p in written], "figures": doc.figures})
        return
    for p in written:
        out.print(str(p))
    missing = doc.figures.get("missing_manual_fields")
    if missing:
        err.print(f"fields to fill by hand (--manual): {', '.join(missing)}")


def register(app: typer.Typer) -> None:
    app.command("statistics")(statistics_command)
    app.command("report")(report_command)
