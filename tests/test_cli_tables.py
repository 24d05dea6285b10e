"""CLI tables of people: handles shown, the terminal width kept, ids never cut; full ids with --wide."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
import typer
from rich.console import Console
from typer.testing import CliRunner

from openiru.commands import detect
from openiru.commands import graph as graph_commands
from openiru.commands.tables import Fitted, person
from openiru.services.detect.alerts import list_alerts
from openiru.store import schema
from openiru.store import tables_detect as td

LONG_POST = "telegram:-1001234567890123/9876543210"
LONG_ACCOUNT = "-1001234567890123456789"


def render(table: Fitted, width: int) -> list[str]:
    buffer = io.StringIO()
    table.print(Console(file=buffer, width=width, color_system=None, force_terminal=False))
    return buffer.getvalue().splitlines()


def sample(wide: bool) -> Fitted:
    table = Fitted(
        [
            ("priority", "num", False),
            ("post", "id", False),
            ("account", "id", False),
            ("status", "id", True),
            ("evidence", "text", True),
        ],
        wide=wide,
    )
    for n in range(3):
        table.add_row(
            f"0.9{n}",
            f"{LONG_POST}{n}",
            "@fictional_channel",
            "open",
            "text lexicon-a placeholder term, url bank-b placeholder.example/path " * 2,
        )
    return table


def test_ids_are_whole_and_the_table_fits_80_columns() -> None:
    lines = render(sample(wide=False), 80)
    assert all(len(line) <= 80 for line in lines)
    text = "\n".join(lines)
    for n in range(3):
        assert f"{LONG_POST}{n}" in text  # on one line, not folded or shortened
    assert "@fictional_channel" in text


def test_optional_columns_give_way_on_a_narrow_terminal() -> None:
    table = sample(wide=False)
    assert table.shown(200) == [0, 1, 2, 3, 4]
    narrow = table.shown(78)
    assert narrow == [0, 1, 2]
    text = "\n".join(render(table, 78))
    assert f"{LONG_POST}0" in text and "evidence" not in text
    assert all(len(line) <= 78 for line in text.splitlines())
    # The required columns alone are wider than the terminal: ids stay whole, lines run on.
    assert f"{LONG_POST}1" in "\n".join(render(table, 50))


def test_wide_keeps_every_column_and_whole_text() -> None:
    lines = render(sample(wide=True), 60)
    text = "\n".join(lines)
    assert "evidence" in text and "status" in text and f"{LONG_POST}2" in text
    assert "…" not in text


def test_person_prefers_the_handle() -> None:
    assert person("x", "123", "fictional") == "@fictional"
    assert person("telegram", "-100", "Fictional Channel Title") == "Fictional Channel Title"
    assert person("x", "123", None) == "x:123"


def _alert_db(url: str) -> None:
    from openiru.store.db import open_database

    engine = open_database(url)
    now = datetime(2026, 3, 1, tzinfo=UTC)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(schema.accounts).values(
                platform="telegram", account_id=LONG_ACCOUNT, handle="fictional_news", status="active"
            )
        )
        conn.execute(
            sa.insert(schema.posts).values(
                platform="telegram",
                post_id="-1001234567890123/9876543210",
                account_id=LONG_ACCOUNT,
                timestamp=now,
                text="placeholder",
                raw="",
            )
        )
        conn.execute(
            sa.insert(td.detect_alerts).values(
                platform="telegram",
                post_id="-1001234567890123/9876543210",
                account_id=LONG_ACCOUNT,
                status="open",
                priority=0.9,
                strength=0.9,
                created_at=now,
                updated_at=now,
            )
        )
    engine.dispose()


def test_alerts_list_and_table_show_the_handle(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    _alert_db(sqlite_url)
    from openiru.store.db import open_database

    engine = open_database(sqlite_url)
    [alert] = list_alerts(engine, people=True)
    engine.dispose()
    assert alert["account"]["handle"] == "fictional_news"
    app = typer.Typer()
    app.command()(detect.alerts)
    app.command("x")(lambda: None)
    monkeypatch.setenv("COLUMNS", "80")
    result = CliRunner().invoke(app, ["alerts", "--db", sqlite_url])
    assert result.exit_code == 0, result.output
    assert "@fictional_news" in result.stdout and LONG_POST in result.stdout
    assert LONG_ACCOUNT not in result.stdout
    wide = CliRunner().invoke(app, ["alerts", "--db", sqlite_url, "--wide"])
    assert wide.exit_code == 0 and f"telegram:{LONG_ACCOUNT}" in wide.stdout


def test_resurgence_table_shows_handles(monkeypatch: pytest.MonkeyPatch) -> None:
    rows: list[dict[str, Any]] = [
        {
            "platform": "x",
            "account_id": "99887766554433221100",
            "handle": "fictional_new",
            "predecessor_platform": "x",
            "predecessor_account_id": "11223344556677889900",
            "predecessor_handle": "fictional_old",
            "score": 0.97,
            "evidence": {"link": "re-created"},
        }
    ]
    monkeypatch.setattr(graph_commands.graph_service, "resurgence", lambda engine, min_score=None: rows)
    app = typer.Typer()
    app.command()(graph_commands.resurgence)
    app.command("x")(lambda: None)
    result = CliRunner().invoke(app, ["resurgence", "--db", "sqlite://"])
    assert result.exit_code == 0, result.output
    assert "@fictional_new" in result.stdout and "@fictional_old" in result.stdout
    assert "99887766554433221100" not in result.stdout
    wide = CliRunner().invoke(app, ["resurgence", "--db", "sqlite://", "--wide"])
    assert "x:99887766554433221100" in wide.stdout and "x:11223344556677889900" in wide.stdout


def test_accounts_and_coordination_tables_show_handles(monkeypatch: pytest.MonkeyPatch) -> None:
    ranked = [
        {
            "platform": "telegram",
            "account_id": LONG_ACCOUNT,
            "handle": "fictional_hub",
            "score": 0.8,
            "role": "hub",
            "community": 2,
            "evidence": {},
            "display_name": None,
        }
    ]
    groups = [
        {
            "kind": "co-post",
            "score": 0.9,
            "evidence": {"item_count": 4, "first": "2026-03-01T10:00:00Z", "last": "2026-03-02T10:00:00Z"},
            "accounts": [
                {"platform": "x", "account_id": "5550001112223334445", "handle": "fictional_a"},
                {"platform": "x", "account_id": "5550001112223334446", "handle": None},
            ],
        }
    ]
    monkeypatch.setattr(graph_commands.graph_service, "key_accounts", lambda *a, **k: ranked)
    monkeypatch.setattr(graph_commands.graph_service, "coordination", lambda *a, **k: groups)
    app = typer.Typer()
    app.command()(graph_commands.accounts)
    app.command()(graph_commands.coordination)
    runner = CliRunner()
    shown = runner.invoke(app, ["accounts", "--db", "sqlite://"])
    assert shown.exit_code == 0, shown.output
    assert "@fictional_hub" in shown.stdout and LONG_ACCOUNT not in shown.stdout
    assert (
        f"telegram:{LONG_ACCOUNT}" in runner.invoke(app, ["accounts", "--db", "sqlite://", "--wide"]).stdout
    )
    shown = runner.invoke(app, ["coordination", "--db", "sqlite://"])
    assert shown.exit_code == 0, shown.output
    assert "@fictional_a" in shown.stdout and "x:5550001112223334446" in shown.stdout.replace("\n", "")
    wide = runner.invoke(app, ["coordination", "--db", "sqlite://", "--wide"]).stdout
    assert "@fictional_a (x:5550001112223334445)" in wide
