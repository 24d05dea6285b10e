"""Modus-operandi figures: Kaplan-Meier survival and the effect of takedowns by hand, and the
report over the referrals of test_statistics.build."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.report.modus import Removed, survival, takedown_effect
from openiru.report.render import to_html, to_pdf
from openiru.services.report.modus_operandi import modus_operandi
from test_statistics import S, build


def test_kaplan_meier_by_hand() -> None:
    # 4 at risk: event at 1 -> 3/4; censored at 2; event at 3 with 2 at risk -> 3/4 * 1/2; censored at 4
    km = survival([1, 2, 3, 4], [True, False, True, False], at=[0.5, 2, 3.5])
    assert (km["n"], km["events"], km["censored"], km["median_s"]) == (4, 2, 2, 3.0)
    assert [p["survival"] for p in km["at"]] == [1.0, 0.75, 0.375]
    assert survival([5, 6], [False, False], at=[10])["median_s"] is None
    assert survival([], [])["n"] == 0


def test_takedown_effect_by_hand() -> None:
    removed = [
        Removed(
            "x",
            "a",
            0.0,
            posts_before=40,
            reach_before=100,
            audience_before=1000,
            successors=[
                {"platform": "x", "posts": 10, "reach": 20, "audience": 50},
                {"platform": "gab", "posts": 5, "reach": 5, "audience": 30},
            ],
        ),
        Removed("x", "b", 0.0, posts_before=10, reach_before=0, audience_before=500),
        Removed(
            "telegram",
            "c",
            0.0,
            posts_before=50,
            reach_before=100,
            audience_before=500,
            successors=[{"platform": "rocketchat", "posts": 25, "reach": 10, "audience": 20}],
        ),
    ]
    e = takedown_effect(removed)
    assert (e["removed_accounts"], e["recreated_accounts"], e["recreation_rate"]) == (3, 2, 0.6667)
    assert e["before"] == {"posts": 100, "reach": 200, "audience": 2000}
    assert e["after"] == {"posts": 40, "reach": 35, "audience": 100}
    assert e["retained"] == {"posts": 0.4, "reach": 0.175, "audience": 0.05}
    assert [(f["from"], f["to"], f["accounts"], f["posts_after"]) for f in e["flows"]] == [
        ("telegram", "rocketchat", 1, 25),
        ("x", "gab", 1, 5),
        ("x", "x", 1, 10),
    ]


def test_modus_operandi_report(
    sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    build(sqlite_engine, tmp_path)
    doc = modus_operandi(sqlite_engine, now=S + timedelta(hours=4))
    km = doc.figures["survival"]["referred_content"]
    # sent R1..R4: removed after 1800 s and 5400 s; R3 (refused) and R4 (no response) still online after 4 h
    assert (km["n"], km["events"], km["censored"], km["median_s"]) == (4, 2, 2, 5400.0)
    assert [p["survival"] for p in km["at"][:4]] == [1.0, 0.75, 0.5, 0.5]  # 0, 1 h, 2 h, 6 h
    assert doc.figures["flagged_posts"] == 1  # x:1 (bank hit, confirmed); x:2's alert was rejected
    by_label = doc.figures["platform_use"][0]["rows"]
    assert by_label == [{"label": "Fictional Front", "platform": "x", "flagged posts": 1}]
    assert doc.figures["takedown_effect"]["removed_accounts"] == 0
    html = to_html(doc)
    assert html.count("<svg") >= 4 and "Kaplan-Meier" in html
    assert to_pdf(doc).startswith(b"%PDF")


def test_reports_on_both_backends(engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The queries behind every report on SQLite and PostgreSQL give the same figures."""
    from openiru.services.report import rendered as reports

    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    build(engine, tmp_path)
    mo = modus_operandi(engine, now=S + timedelta(hours=4)).figures
    assert (mo["survival"]["referred_content"]["median_s"], mo["flagged_posts"]) == (5400.0, 1)
    tco = reports.tco_art8(engine, 2026).figures
    assert (tco["removal_orders_issued"], tco["led_to_removal"], tco["refused"]) == (2, 1, 1)
    annual = reports.annual(engine, 2026).figures
    assert (annual["items_assessed"], annual["reuploads_caught"], annual["removal_rate"]) == (5, 1, 0.5)
