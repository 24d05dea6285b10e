"""Referral Action Days: creation, assignment, live counters and the final report figures."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.services.referral import action_days as operations
from openiru.services.referral import delivery
from openiru.services.referral import workflow as referrals
from test_referral_service import T0, Clock, seed


def _offline(url: str):  # type: ignore[no-untyped-def]
    import httpx

    raise httpx.ConnectError("offline test")


def test_action_day_report(engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    seed(engine)
    clock = Clock(T0 - timedelta(hours=1))
    op = operations.create(
        engine,
        "ana",
        "RAD-1",
        ["AgencyA", "AgencyB"],
        hours=48,
        start=T0,
        platforms=["x", "telegram"],
        languages=["en", "fr"],
        now=clock,
    )
    assert op["ends_at"] == (T0 + timedelta(hours=48)).isoformat()
    assert operations.report(engine, "RAD-1", now=clock)["status"] == "planned"
    clock.at = T0 + timedelta(minutes=10)
    added = operations.add_items(
        engine, "lia", "RAD-1", ["x:1", "x:2", "telegram:-100/7", "x:1"], assign="cat", now=clock
    )
    assert (added["added"], added["skipped"]) == (3, 1)
    op_id = op["id"]
    made = referrals.create_referrals(engine, "ana", ["x:1", "x:2"], operation_id=op_id, now=clock)
    made += referrals.create_referrals(engine, "ana", ["telegram:-100/7"], operation_id=op_id, now=clock)
    operations.link_referrals(engine, op_id, made)
    for r in made:
        referrals.approve(engine, "bob", r["id"], now=clock)
        delivery.send(engine, "bob", r["id"], "portal", now=clock, fetch=_offline)
    live = operations.report(engine, op_id, now=clock)
    assert live["status"] == "running" and live["items_sent"] == 3 and live["removal_rate"] == 0.0
    x_ref = next(r for r in made if r["provider"] == "X Corp")
    tg_ref = next(r for r in made if r["provider"] == "Telegram")
    clock.advance(minutes=40)
    referrals.feedback(engine, "bob", x_ref["id"], "removed", now=clock)
    clock.advance(hours=49)
    referrals.feedback(engine, "bob", tg_ref["id"], "rejected", reason="terms not violated", now=clock)
    final = operations.report(engine, "RAD-1", now=clock)
    assert final["status"] == "finished"
    assert final["items_assessed"] == 3 and final["items_referred"] == 3
    assert final["languages"] == ["en", "fr"]
    assert final["platforms"] == ["telegram", "x"]
    assert final["providers"] == ["Telegram", "X Corp"]
    assert final["items_removed"] == 2 and final["removal_rate"] == round(2 / 3, 4)
    assert final["median_time_to_removal_s"] == 40 * 60
    assert final["by_state"] == {"removed": 2, "rejected": 1}
    assert final["assignments"] == {"cat": 3}
    assert final["summary"] == "3 items referred in 2 languages on 2 platforms to 2 providers"
