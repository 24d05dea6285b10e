"""The referral demo step on a small demo: planted posts go through the whole workflow."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from pymisp import MISPEvent
from stix2validator import ValidationOptions, validate_string

from openiru.demo.referral_step import demo_step
from openiru.demo.run import run_demo
from openiru.services.access import audit
from openiru.services.referral import records as referral_records


def test_demo_step_runs_the_workflow(
    sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    out = tmp_path / "demo"
    run = run_demo(sqlite_engine, out, seed=2, scale=0.05, steps=False)
    lines = demo_step(sqlite_engine, out, run.build.ground_truth)
    text = "\n".join(lines)
    assert "deconfliction put 1 on hold" in text and "audit chain intact" in text
    assert "email received 1, webhook calls 1" in text
    states = [r["state"] for r in referral_records.list_referrals(sqlite_engine)]
    assert "on_hold" in states and ("removed" in states or "access_disabled" in states)
    channels = {r["channel"] for r in referral_records.list_referrals(sqlite_engine) if r["channel"]}
    assert {"email", "webhook"} <= channels
    assert audit.verify(sqlite_engine).ok
    folder = out / "referrals"
    assert validate_string(
        (folder / "stix-bundle.json").read_text(), ValidationOptions(version="2.1")
    ).is_valid
    event = MISPEvent()
    event.load((folder / "misp-event.json").read_text())
    assert event.objects
    assert json.loads((folder / "dsa-statements.json").read_text())["statements"]


def test_demo_clock_starts_in_the_past_and_stops_at_now() -> None:
    from datetime import UTC, datetime, timedelta

    from openiru.demo.referral_step import SPAN, DemoClock

    real = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    clock = DemoClock(real=lambda: real)
    assert clock() == real - SPAN
    clock.advance(hours=5)
    assert clock() == real - SPAN + timedelta(hours=5)
    clock.advance(hours=5)  # would pass the real time: held at it
    assert clock() == real


def test_demo_records_no_event_after_it_finishes(
    sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from datetime import UTC, datetime

    from openiru.store.tables_referral import audit_log, deliveries, referral_events, referrals

    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    out = tmp_path / "demo"
    run = run_demo(sqlite_engine, out, seed=2, scale=0.05, steps=False)
    demo_step(sqlite_engine, out, run.build.ground_truth)
    finished = datetime.now(UTC)

    def aware(value: datetime | str) -> datetime:
        at = datetime.fromisoformat(value) if isinstance(value, str) else value
        return at if at.tzinfo else at.replace(tzinfo=UTC)

    with sqlite_engine.connect() as conn:
        times = [aware(t) for t in conn.execute(sa.select(referral_events.c.at)).scalars()]
        times += [aware(t) for t in conn.execute(sa.select(referrals.c.created_at)).scalars()]
        times += [aware(t) for t in conn.execute(sa.select(deliveries.c.at)).scalars()]
        audit_times = [aware(t) for t in conn.execute(sa.select(audit_log.c.at)).scalars()]
    assert times and audit_times
    assert max(times + audit_times) <= finished
    assert referral_records.list_referrals(sqlite_engine)  # the workflow still ran
