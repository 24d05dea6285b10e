"""Progress displays of `scan`, `ingest`, the graph commands and `export`: counts, rate and time left on a terminal, nothing otherwise."""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from openiru.commands import core, detect
from openiru.commands import progress as progress_module
from openiru.commands.progress import progress, rate_text

TW = Path(__file__).parent / "fixtures" / "twarc2"


def terminal_console(buffer: io.StringIO) -> Console:
    return Console(file=buffer, force_terminal=True, width=160, color_system=None)


def app() -> typer.Typer:
    cli = typer.Typer()
    core.register(cli)
    cli.command()(detect.scan)
    return cli


def test_display_shows_count_total_rate_and_time_left() -> None:
    buffer = io.StringIO()
    with progress("scanning", console=terminal_console(buffer), enabled=True) as advance:
        time.sleep(0.05)
        advance(250, 1000)
        time.sleep(0.05)
        advance(500, 1000)
    shown = buffer.getvalue()
    assert "scanning" in shown and "500/1000" in shown
    assert "posts/s" in shown and "left" in shown


def test_no_display_with_json_or_off_a_terminal() -> None:
    buffer = io.StringIO()
    for options in ({"json_out": True, "enabled": True}, {"enabled": False}):
        with progress("scanning", console=terminal_console(buffer), **options) as advance:  # type: ignore[arg-type]
            advance(10, 20)
    assert buffer.getvalue() == ""


def test_rate_text() -> None:
    assert rate_text(0, 1.0, "posts") == "" and rate_text(10, 0.0, "posts") == ""
    assert rate_text(3000, 2.0, "posts") == "1,500 posts/s"


def test_scan_and_ingest_draw_progress_on_a_terminal(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    buffer = io.StringIO()
    monkeypatch.setattr(progress_module, "terminal", lambda: True)
    monkeypatch.setattr(progress_module, "_console", lambda: terminal_console(buffer))
    runner = CliRunner()
    done = runner.invoke(app(), ["ingest", str(TW / "search.jsonl"), "--db", sqlite_url])
    assert done.exit_code == 0, done.output
    ingested = buffer.getvalue()
    assert "search.jsonl" in ingested and "7 new" in ingested and "posts/s" in ingested
    buffer.truncate(0)
    buffer.seek(0)
    done = runner.invoke(app(), ["scan", "--db", sqlite_url, "--batch-size", "3"])
    assert done.exit_code == 0, done.output
    shown = buffer.getvalue()
    assert "scanning" in shown and "/7" in shown and "3/7" in shown and "left" in shown


def test_scan_json_and_pipes_stay_clean(sqlite_url: str) -> None:
    runner = CliRunner()  # not a terminal
    assert runner.invoke(app(), ["ingest", str(TW / "search.jsonl"), "--db", sqlite_url]).exit_code == 0
    done = runner.invoke(app(), ["scan", "--db", sqlite_url, "--json"])
    assert done.exit_code == 0
    assert json.loads(done.stdout)["posts"] == 7
    assert "scanning" not in done.stderr and "posts/s" not in done.stderr


def test_graph_commands_count_the_rows_read(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """`accounts` (like coordination, resurgence and graph export) counts the posts and
    interactions read, of how many the store holds, chunk by chunk, then says it is analysing;
    with --json nothing is drawn."""
    from openiru.commands import graph as graph_commands
    from openiru.services.graph import load

    buffer = io.StringIO()
    runner = CliRunner()
    assert runner.invoke(app(), ["ingest", str(TW / "search.jsonl"), "--db", sqlite_url]).exit_code == 0
    monkeypatch.setattr(progress_module, "terminal", lambda: True)
    monkeypatch.setattr(progress_module, "_console", lambda: terminal_console(buffer))
    monkeypatch.setattr(load, "READ_CHUNK", 2)  # several chunks from a small store
    cli = typer.Typer()
    cli.command()(graph_commands.accounts)
    cli.command()(graph_commands.coordination)
    done = runner.invoke(cli, ["accounts", "--db", sqlite_url])
    assert done.exit_code == 0, done.output
    shown = buffer.getvalue()
    counts = [(int(a), int(b)) for a, b in re.findall(r"(\d+)/(\d+)", shown)]
    total = counts[-1][1]
    assert total >= 7  # the 7 posts and their resolved interactions
    assert [a for a, _ in counts] == sorted(a for a, _ in counts) and counts[-1][0] == total
    assert len({a for a, _ in counts}) >= 3  # chunk by chunk, not one jump
    assert "ranking accounts (reading the store)" in shown and "ranking accounts (analysing)" in shown
    assert "rows/s" in shown
    buffer.truncate(0)
    buffer.seek(0)
    assert runner.invoke(cli, ["accounts", "--db", sqlite_url, "--json"]).exit_code == 0
    assert buffer.getvalue() == ""


def test_referral_export_draws_progress_with_counts(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`openiru export FORMAT --out FILE` counts the referrals read, of how many; to standard
    output (a pipe) nothing is drawn."""
    from openiru.commands import referral_admin
    from openiru.services.referral import workflow as referrals
    from openiru.store.db import open_database
    from test_referral_service import T0, Clock, seed

    engine = open_database(sqlite_url)
    try:
        seed(engine)
        referrals.create_referrals(engine, "ana", ["x:1", "x:2", "telegram:-100/7"], now=Clock(T0))
    finally:
        engine.dispose()
    buffer = io.StringIO()
    monkeypatch.setattr(progress_module, "terminal", lambda: True)
    monkeypatch.setattr(progress_module, "_console", lambda: terminal_console(buffer))
    cli = typer.Typer()
    cli.command("export")(referral_admin.export)
    cli.command("noop")(lambda: None)  # two commands: typer keeps "export" as a subcommand
    out = tmp_path / "bundle.json"
    done = CliRunner().invoke(cli, ["export", "stix", "--out", str(out), "--db", sqlite_url])
    assert done.exit_code == 0, done.output
    shown = buffer.getvalue()
    assert "exporting stix" in shown and "referrals/s" in shown
    assert json.loads(out.read_text())["objects"]
    counts = re.findall(r"(\d+)/(\d+)", shown.split("exporting stix")[-1])
    assert counts and counts[-1][0] == counts[-1][1] != "0"  # every referral read, of how many
    buffer.truncate(0)
    buffer.seek(0)
    piped = CliRunner().invoke(cli, ["export", "stix", "--db", sqlite_url])
    assert piped.exit_code == 0 and buffer.getvalue() == ""
