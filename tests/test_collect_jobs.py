"""The scheduler's recurring jobs besides polling: referral deadlines (an overdue referral expires
once, whichever of two schedulers gets there), a failing job reported and not retried at every
pass, and ``collect --once --jobs`` running what is due once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from openiru.commands import collect as collect_cmd
from openiru.model import AccountKey, Post, PostKey
from openiru.services.access.users import add_user
from openiru.services.collect.ingest import ingest_source
from openiru.services.collect.scheduler import Job, Scheduler
from openiru.services.referral import delivery
from openiru.services.referral import workflow as referrals
from source_support import ListSource

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _offline(url: str):  # type: ignore[no-untyped-def]
    import httpx

    raise httpx.ConnectError("offline test")


@pytest.fixture
def sent_referral(engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    add_user(engine, "ana", "analyst")
    add_user(engine, "bob", "approver")
    ingest_source(
        engine,
        ListSource([Post(PostKey("x", "1"), AccountKey("x", "100"), T0, text="placeholder")]),
        after_batch=(),
    )
    clock = lambda: T0  # noqa: E731
    [r] = referrals.create_referrals(engine, "ana", ["x:1"], kind="removal-order", grounds=["a"], now=clock)
    referrals.approve(engine, "bob", r["id"], now=clock)
    delivery.send(engine, "bob", r["id"], "portal", now=clock, fetch=_offline)
    return int(r["id"])


def test_overdue_referral_expires_once_across_two_schedulers(engine: sa.Engine, sent_referral: int) -> None:
    at = [T0 + timedelta(hours=2)]  # a removal order's hour has passed
    jobs = collect_cmd.recurring_jobs(engine, None)
    partitions = ["posts-partitions"] if engine.dialect.name == "postgresql" else []  # PostgreSQL's
    # verify, purge: need --as
    assert [j.name for j in jobs] == ["referral-deadlines", "watch-proposals", *partitions]
    assert [j.name for j in collect_cmd.recurring_jobs(engine, "bob")][2:] == [
        "referral-verify",
        "evidence-retention",
        *partitions,
    ]
    jobs = jobs[:1]
    first = Scheduler(engine, clock=lambda: at[0], holder="host-a:1")
    second = Scheduler(engine, clock=lambda: at[0], holder="host-b:2")
    [done] = first.run_jobs(jobs)
    assert done.ran and done.result == {"expired": [sent_referral]} and done.error is None
    assert [d.ran for d in second.run_jobs(jobs)] == [False]  # ran already, by the other
    at[0] += timedelta(minutes=5)
    [again] = second.run_jobs(jobs)
    assert again.ran and again.result == {"expired": []}
    with engine.connect() as conn:
        state = conn.execute(
            sa.text("select state from referrals where id = :i"), {"i": sent_referral}
        ).scalar()
    assert state == "no_response"


def test_a_failing_job_is_reported_and_waits_its_interval(sqlite_engine: sa.Engine) -> None:
    calls: list[datetime] = []

    def broken(now: datetime) -> None:
        calls.append(now)
        raise RuntimeError("provider portal unreachable")

    at = [T0]
    scheduler = Scheduler(sqlite_engine, clock=lambda: at[0])
    [done] = scheduler.run_jobs([Job("broken", 3600, broken)])
    assert done.ran and done.error == "RuntimeError: provider portal unreachable"
    at[0] += timedelta(minutes=30)
    assert [d.ran for d in scheduler.run_jobs([Job("broken", 3600, broken)])] == [False]
    at[0] += timedelta(hours=3)  # three intervals missed: caught up once
    assert [d.ran for d in scheduler.run_jobs([Job("broken", 3600, broken)])] == [True]
    assert scheduler.run_jobs([Job("broken", 3600, broken)])[0].ran is False and len(calls) == 2


def test_collect_once_with_jobs_runs_what_is_due(sqlite_url: str) -> None:
    app = typer.Typer()
    collect_cmd.register(app)

    def run(*args: str) -> list[dict]:
        result = CliRunner().invoke(app, list(args))
        assert result.exit_code == 0, result.stdout + result.stderr
        return json.loads(result.stdout)

    assert run("collect", "--once", "--jobs", "--json", "--db", sqlite_url) == [
        {"job": "referral-deadlines", "ran": True, "result": {"expired": []}, "error": None},
        {"job": "watch-proposals", "ran": True, "result": {"successors": []}, "error": None},
    ]
    assert [j["ran"] for j in run("collect", "--once", "--jobs", "--json", "--db", sqlite_url)] == [
        False,
        False,
    ]
    assert run("collect", "--once", "--json", "--db", sqlite_url) == []  # without --jobs: polling only
