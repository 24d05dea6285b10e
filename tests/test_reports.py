"""Rendered reports (TCO Art. 8, annual, Referral Action Day) over the data of
test_statistics.build, with figures checked by hand and the PDF's text read back."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from typer.testing import CliRunner

from openiru.cli import app
from openiru.errors import ConfigError
from openiru.report.render import MISSING, to_html, to_markdown
from openiru.services.referral import action_days as operations
from openiru.services.report import rendered as reports
from openiru.store.db import open_database
from test_referral_service import T0, Clock
from test_statistics import build


@pytest.fixture
def data(sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("OPENIRU_MEMBER_STATE", "BE")
    made = build(sqlite_engine, tmp_path)
    op = operations.create(sqlite_engine, "ana", "RAD-9", ["AgencyA", "AgencyB"], start=T0, now=Clock(T0))
    operations.add_referrals(
        sqlite_engine, "ana", op["id"], [made["R1"], made["R3"], made["R5"]], now=Clock(T0)
    )
    return sqlite_engine


def _pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_tco_art8_figures_manual_fields_and_pdf(data: sa.Engine, tmp_path: Path) -> None:
    doc = reports.tco_art8(data, 2026, {"penalties": "none imposed", "reviews": 0})
    f = doc.figures
    # R2 (X Corp, removed after 90 min) and R3 (Telegram, refused) are the orders of 2026
    assert (f["removal_orders_issued"], f["led_to_removal"], f["refused"], f["not_removed"]) == (2, 1, 1, 1)
    assert f["removal_rate"] == 0.5 and f["member_state"] == "BE"
    # X Corp is established in IE (another Member State); Telegram names no main establishment
    assert (f["cross_border_orders"], f["cross_border_removal_rate"]) == (1, 1.0)
    assert (f["time_to_removal"]["median_s"], f["time_to_removal"]["share_within_1h"]) == (5400.0, 0.0)
    assert f["manual"]["penalties"] == "none imposed" and f["manual"]["reviews"] == 0
    assert set(f["missing_manual_fields"]) == {
        "orders_scrutinised_art4",
        "scrutiny_infringements_found",
        "specific_measures_decisions",
    }
    html = to_html(doc)
    assert html.count('<td class="missing">') == 3 and "none imposed" in html and "<svg" in html
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # nothing fetched
    assert reports.tco_art8(data, 2025).figures["removal_orders_issued"] == 0


def test_annual_and_action_day_figures(data: sa.Engine) -> None:
    a = reports.annual(data, 2026).figures
    # assessed: x:1 and x:2 decided, plus the three other referred targets
    assert (a["items_assessed"], a["items_referred"], a["removal_rate"]) == (5, 5, 0.5)
    # x (x:1, x:2 and the x.com URL) and telegram (the post and the t.me URL); en, fr
    assert (a["platform_count"], a["language_count"], a["provider_count"]) == (2, 2, 2)
    d = reports.action_day(data, "RAD-9", now=Clock(T0 + timedelta(days=3))).figures
    assert (d["status"], d["items_referred"], d["items_removed"]) == ("finished", 3, 1)
    still = {s["target"]: s["state"] for s in d["still_online"]}
    assert still == {"telegram:-100/7": "rejected", "https://t.me/held/5": "on_hold"}
    tl = d["timeline"]
    # created at the start; R1 and R3 sent 10 min in (hour 1); R1 removed 40 min in
    assert (tl["referred"][0], tl["sent"][0], tl["sent"][1], tl["removed or disabled"][1]) == (3, 0, 2, 1)
    assert len(tl["hours"]) == 49 and tl["removed or disabled"][-1] == 1


def test_report_command_writes_pdf_html_json_csv(data: sa.Engine, sqlite_url: str, tmp_path: Path) -> None:
    manual = tmp_path / "manual.json"
    manual.write_text(json.dumps({"penalties": 0}), "utf-8")
    runner = CliRunner()
    out = tmp_path / "out" / "tco.pdf"
    res = runner.invoke(
        app,
        [
            "report",
            "tco-art8",
            "--year",
            "2026",
            "--db",
            sqlite_url,
            "--out",
            str(out),
            "--manual",
            str(manual),
        ],
    )
    assert res.exit_code == 0, res.output
    text = _pdf_text(out)
    assert "Removal orders issued" in text and "Transparency report 2026" in text and MISSING in text
    figures = json.loads((tmp_path / "out" / "tco.json").read_text("utf-8"))
    assert figures["removal_orders_issued"] == 2
    assert (tmp_path / "out" / "tco.orders.csv").read_text("utf-8").startswith("figure,value")
    html = tmp_path / "annual.html"
    res = runner.invoke(
        app, ["report", "annual", "--year", "2026", "--db", sqlite_url, "--out", str(html), "--pdf"]
    )
    assert res.exit_code == 0, res.output
    assert "Items referred per platform" in html.read_text("utf-8")
    assert "Items referred" in _pdf_text(html.with_suffix(".pdf"))
    res = runner.invoke(
        app,
        [
            "report",
            "action-day",
            "--operation",
            "RAD-9",
            "--db",
            sqlite_url,
            "--out",
            str(tmp_path / "rad.md"),
        ],
    )
    assert res.exit_code == 0 and "| telegram:-100/7 |" in (tmp_path / "rad.md").read_text("utf-8")
    bad = runner.invoke(app, ["report", "action-day", "--db", sqlite_url, "--out", str(tmp_path / "x.html")])
    assert bad.exit_code == 2 and "--operation" in bad.output
    bad = runner.invoke(
        app,
        [
            "report",
            "tco-art8",
            "--db",
            sqlite_url,
            "--out",
            str(tmp_path / "x.html"),
            "--manual",
            str(tmp_path / "nope.json"),
        ],
    )
    # a ConfigError: openiru.cli.main prints it as one line
    assert isinstance(bad.exception, ConfigError) and "nope.json" in str(bad.exception)


def test_markdown_marks_missing_fields(data: sa.Engine) -> None:
    md = to_markdown(reports.tco_art8(data, 2026))
    assert md.count(f"| {MISSING} |") == 5 and "| Removal orders issued | 2 |" in md
    _ = open_database  # the same store opens again for the CLI tests


def test_report_kind_option_and_period(data: sa.Engine, sqlite_url: str, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "march.html"
    res = runner.invoke(
        app,
        [
            "report",
            "--kind",
            "annual",
            "--from",
            "2026-03-01",
            "--to",
            "2026-04-01",
            "--db",
            sqlite_url,
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    fig = json.loads((tmp_path / "march.json").read_text("utf-8"))
    assert fig["period"]["label"] == "01 March 2026 to 31 March 2026" and fig["items_referred"] == 5
    assert "Annual report 01 March 2026 to 31 March 2026" in out.read_text("utf-8")
    april = reports.annual(data, since=datetime(2026, 4, 1, tzinfo=UTC)).figures
    assert (april["items_referred"], april["period"]["to"]) == (0, "2027-01-01T00:00:00+00:00")
    bad = runner.invoke(app, ["report", "--kind", "weekly", "--db", sqlite_url, "--out", str(out)])
    assert bad.exit_code == 2 and "tco-art8" in bad.output
