"""``openiru statistics``: figures over data built through the services, checked by hand.

Referrals are sent at S = T0 + 10 min on an injected clock and answered at known times:
R1 x:1 (referral, X Corp) acknowledged S+5 min, removed S+30 min; R2 x:2 (removal order,
X Corp) removed S+90 min; R3 telegram:-100/7 (removal order, Telegram) refused S+60 min;
R4 a URL on x.com (referral, X Corp) never answered -> no_response; R5 a URL registered by
an agency -> deconfliction hold, never sent.  Acknowledgement times (s) 300, 5400, 3600;
removal times 1800, 5400.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from openiru.cli import app
from openiru.report import figures
from openiru.services.detect import alerts as detect_alerts
from openiru.services.detect import banks as detect_banks
from openiru.services.detect import scan as detect_scan
from openiru.services.referral import action_days as operations
from openiru.services.referral import deconfliction, delivery
from openiru.services.referral import workflow as referrals
from openiru.services.report.statistics import Filters, statistics
from test_referral_service import T0, Clock, seed

S = T0 + timedelta(minutes=10)


def _offline(url: str):  # type: ignore[no-untyped-def]
    import httpx

    raise httpx.ConnectError("offline test")


def test_percentiles_and_shares_by_hand() -> None:
    d = figures.durations([600, 1800, 3000, 5400, 9000, None])
    # sorted 600 1800 3000 5400 9000: median 3000; p90 at rank 0.9*4 = 3.6 -> 5400 + 0.6*3600
    assert (d["n"], d["median_s"], d["p90_s"]) == (5, 3000.0, 7560.0)
    assert (d["within_1h"], d["share_within_1h"], d["within_2h"], d["share_within_2h"]) == (3, 0.6, 4, 0.8)
    assert figures.durations([]) == {
        "n": 0,
        "median_s": None,
        "p90_s": None,
        "mean_s": None,
        "within_1h": 0,
        "within_2h": 0,
        "share_within_1h": None,
        "share_within_2h": None,
    }


def build(engine: sa.Engine, tmp_path: Path) -> dict[str, int]:
    seed(engine)
    bank = tmp_path / "h.csv"
    bank.write_text(
        "hash,kind,organisation,outlet,item,source\n"
        + "ab" * 32
        + ",sha256,Fictional Front,Outlet A,item-1,test\n",
        "utf-8",
    )
    detect_banks.import_hash_list(engine, bank, "demo")
    detect_scan.scan(engine, workers=1)  # x:1 carries the banked file: a re-upload
    detect_alerts.decide(engine, "x:1", "confirm", actor="ana", now=T0)
    detect_alerts.decide(engine, "x:2", "reject", actor="ana", now=T0)
    clock = Clock(T0)
    deconfliction.add_entry(engine, "lia", "url", "https://t.me/held/5", "CASE-1", now=clock)
    made = {}
    for name, target, kind in (
        ("R1", "x:1", "referral"),
        ("R2", "x:2", "removal-order"),
        ("R3", "telegram:-100/7", "removal-order"),
        ("R4", "https://x.com/other/status/99", "referral"),
        ("R5", "https://t.me/held/5", "referral"),
    ):
        [r] = referrals.create_referrals(engine, "ana", [target], kind=kind, now=clock)
        made[name] = r["id"]
    clock.at = S
    for name in ("R1", "R2", "R3", "R4"):
        referrals.approve(engine, "bob", made[name], now=clock)
        delivery.send(engine, "bob", made[name], "portal", now=clock, fetch=_offline)
    clock.at = S + timedelta(hours=4)
    referrals.acknowledge(engine, "bob", made["R1"], at=S + timedelta(minutes=5), now=clock)
    referrals.feedback(engine, "bob", made["R1"], "removed", at=S + timedelta(minutes=30), now=clock)
    referrals.feedback(engine, "bob", made["R2"], "removed", at=S + timedelta(minutes=90), now=clock)
    referrals.feedback(engine, "bob", made["R3"], "rejected", at=S + timedelta(minutes=60), now=clock)
    assert referrals.expire_overdue(engine, now=clock) == [made["R4"]]
    return made


def test_statistics_figures(engine: sa.Engine, tmp_path: Path) -> None:
    build(engine, tmp_path)
    s = statistics(engine, Filters())
    assert (s["posts_collected"], s["alerts"], s["confirmed"], s["rejected"], s["reuploads_caught"]) == (
        3,
        2,
        1,
        1,
        1,
    )
    assert (s["referrals"], s["items_referred"], s["items_sent"], s["removal_orders"]) == (5, 5, 4, 2)
    assert (s["removed"], s["access_disabled"], s["refused"], s["no_response"], s["on_hold"]) == (
        2,
        0,
        1,
        1,
        1,
    )
    assert s["removal_rate"] == 0.5 and s["deconfliction_holds"] == 1
    ack, rem = s["time_to_acknowledgement"], s["time_to_removal"]
    # acknowledgement 300, 3600, 5400: median 3600, p90 3600 + 0.8*1800; 2 of 3 within the hour
    assert (ack["n"], ack["median_s"], ack["p90_s"], ack["share_within_1h"], ack["share_within_2h"]) == (
        3,
        3600.0,
        5040.0,
        0.6667,
        1.0,
    )
    # removal 1800, 5400: median 3600, p90 1800 + 0.9*3600
    assert (rem["n"], rem["median_s"], rem["p90_s"], rem["share_within_1h"], rem["share_within_2h"]) == (
        2,
        3600.0,
        5040.0,
        0.5,
        1.0,
    )
    comp = {c["provider"]: c for c in s["provider_compliance"]}
    assert set(comp) == {"X Corp", "Telegram"}
    x = comp["X Corp"]  # R1 within its 2 h, R2 (an order: 1 h) in 90 min, R4 no answer
    assert (x["items_sent"], x["removed"], x["no_response"], x["removal_rate"]) == (3, 2, 1, 0.6667)
    assert (x["median_time_to_removal_s"], x["within_deadline"], x["share_within_deadline"]) == (
        3600.0,
        1,
        0.3333,
    )
    t = comp["Telegram"]
    assert (t["items_sent"], t["refused"], t["removal_rate"], t["share_within_deadline"]) == (1, 1, 0.0, 0.0)


def test_statistics_filters_and_groups(engine: sa.Engine, tmp_path: Path) -> None:
    made = build(engine, tmp_path)
    tg = statistics(engine, Filters(provider="Telegram"))
    assert (
        tg["posts_collected"],
        tg["referrals"],
        tg["items_sent"],
        tg["refused"],
        tg["deconfliction_holds"],
    ) == (1, 2, 1, 1, 1)
    fr = statistics(engine, Filters(language="fr"))
    assert (fr["items_referred"], fr["removed"], fr["time_to_removal"]["median_s"]) == (1, 1, 5400.0)
    before = statistics(engine, Filters(until=T0))
    assert (before["posts_collected"], before["referrals"]) == (2, 0)  # telegram:-100/7 was posted at T0
    assert statistics(engine, Filters(agency="AgencyA"))["referrals"] == 0
    labelled = statistics(engine, Filters(label="Fictional Front"))
    assert (
        labelled["posts_collected"],
        labelled["alerts"],
        labelled["items_referred"],
        labelled["removed"],
    ) == (1, 1, 1, 1)
    op = operations.create(engine, "ana", "RAD-9", ["AgencyA"], start=T0, now=Clock(T0))
    operations.add_referrals(engine, "ana", op["id"], [made["R1"], made["R3"]], now=Clock(T0))
    in_op = statistics(engine, Filters(operation=op["id"]))
    assert (in_op["referrals"], in_op["removed"], in_op["refused"], in_op["posts_collected"]) == (2, 1, 1, 2)
    by = {g["group"]: g for g in statistics(engine, Filters(), by="provider")["groups"]}
    assert (by["X Corp"]["items_sent"], by["X Corp"]["posts_collected"], by["Telegram"]["on_hold"]) == (
        3,
        2,
        1,
    )
    weeks = statistics(engine, Filters(), by="week")["groups"]
    # T0 is Sunday 1 March 2026 (week of 23 February); the scan made x:1's alert on the wall clock
    assert weeks[0]["group"] == "2026-02-23" and (weeks[0]["referrals"], weeks[0]["posts_collected"]) == (
        5,
        3,
    )
    assert [g["alerts"] for g in weeks] == [1, 1] and weeks[1]["group"] > "2026-03"


def test_statistics_command_json_csv_and_usage(sqlite_url: str, tmp_path: Path) -> None:
    from openiru.store.db import open_database

    engine = open_database(sqlite_url)
    build(engine, tmp_path)
    engine.dispose()
    runner = CliRunner()
    res = runner.invoke(app, ["statistics", "--db", sqlite_url, "--json", "--by", "language"])
    assert res.exit_code == 0, res.output
    import json

    data = json.loads(res.output)
    assert data["removal_rate"] == 0.5 and {g["group"] for g in data["groups"]} >= {"en", "fr"}
    res = runner.invoke(app, ["statistics", "--db", sqlite_url, "--csv", "--from", "2026-03-01"])
    lines = res.output.strip().splitlines()
    assert lines[0].startswith("group,posts_collected,") and lines[1].startswith("all,1,")
    bad = runner.invoke(app, ["statistics", "--db", sqlite_url, "--by", "colour"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


@pytest.fixture(autouse=True)
def _data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))


def test_clock_stops_left_out_of_times(engine: sa.Engine, tmp_path: Path) -> None:
    """Sent at S, cannot comply at S+10 min (clock stops), clarified at S+40 min, removed at
    S+60 min: 30 minutes to removal, as the deadlines count."""
    seed(engine)
    clock = Clock(T0)
    [r] = referrals.create_referrals(engine, "ana", ["x:1"], now=clock)
    clock.at = S
    referrals.approve(engine, "bob", r["id"], now=clock)
    delivery.send(engine, "bob", r["id"], "portal", now=clock, fetch=_offline)
    clock.at = S + timedelta(minutes=10)
    referrals.feedback(engine, "bob", r["id"], "cannot_comply", now=clock)
    clock.at = S + timedelta(minutes=40)
    referrals.resume(engine, "ana", r["id"], now=clock)
    clock.at = S + timedelta(minutes=60)
    referrals.feedback(engine, "bob", r["id"], "removed", now=clock)
    s = statistics(engine, Filters())
    assert s["time_to_removal"]["median_s"] == 1800.0
    assert s["time_to_acknowledgement"]["median_s"] == 600.0  # cannot_comply acknowledges at S+10 min
