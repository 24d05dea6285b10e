"""Collection runs, watchlists and the scheduler on a real database: `watch add` + `collect --once`
twice stores every status once; a run killed inside or between pages resumes with no duplicate
and no gap; credentials reach neither the database nor the output; due targets and leases."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from collect_support import FakeServer, message
from openiru.commands import collect as collect_cmd
from openiru.errors import ConfigError
from openiru.model import Post
from openiru.services.collect import checkpoints, watchlist
from openiru.services.collect.runner import build_connector, collect_target
from openiru.services.collect.scheduler import Scheduler, acquire, run_job
from openiru.sources.connectors.base import Target
from openiru.store import schema
from openiru.store.all_tables import metadata
from openiru.store.db import open_database

PASSWORD = "s3cret-pass-word"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1")  # the fake is local: allowed, as in the demo
    with FakeServer() as server:
        yield server


def run(*args: str) -> tuple[int, str]:
    app = typer.Typer()
    collect_cmd.register(app)
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout + result.stderr


def post_ids(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(schema.posts.c.post_id))]


def test_watch_add_and_collect_once_twice_stores_every_status_once(fake: FakeServer, db_url: str) -> None:
    fake.add_statuses(range(1, 95))
    assert (
        run("watch", "add", "mastodon", "public", "--server", fake.url, "--every", "15m", "--db", db_url)[0]
        == 0
    )
    code, out = run("collect", "--once", "--json", "--db", db_url)
    assert code == 0, out
    first = json.loads(out)
    assert first[0]["new_posts"] == 94 and first[0]["errors"] == []
    # due again only after 15 minutes: a second --once now polls nothing; forced by id, nothing new
    assert json.loads(run("collect", "--once", "--json", "--db", db_url)[1]) == []
    second = json.loads(run("collect", "1", "--json", "--db", db_url)[1])
    assert second[0]["new_posts"] == 0 and second[0]["posts_read"] == 0
    engine = open_database(db_url)
    try:
        ids = post_ids(engine)
        assert len(ids) == 94 and len(set(ids)) == 94
        listed = json.loads(run("watch", "list", "--json", "--db", db_url)[1])
        assert listed[0]["last_status"] == "ok" and listed[0]["next_due_at"]
    finally:
        engine.dispose()


class Crash(Exception):
    pass


def test_killed_inside_a_page_transaction_resumes_without_gap_or_duplicate(
    fake: FakeServer, sqlite_engine: sa.Engine
) -> None:
    fake.add_statuses(range(1, 101))
    target = Target("mastodon", "public", fake.url)
    calls: list[int] = []

    def dies_on_second_page(conn: sa.Connection, posts: list[Post]) -> None:
        calls.append(len(posts))
        if len(calls) == 2:
            raise Crash  # the process dies while page 2 is being written

    with pytest.raises(Crash):
        collect_target(sqlite_engine, build_connector(target), hooks=[dies_on_second_page])
    assert len(post_ids(sqlite_engine)) == 40  # page 1 only; page 2 rolled back with its checkpoint
    with sqlite_engine.connect() as conn:
        assert checkpoints.load(conn, target.key) == {"min_id": "110000000000000040"}
    result = collect_target(sqlite_engine, build_connector(target), hooks=[])
    assert result.new_posts == 60
    ids = post_ids(sqlite_engine)
    assert sorted(ids) == sorted({str(110000000000000000 + n) for n in range(1, 101)})


def test_killed_between_pages_resumes_at_the_checkpoint(fake: FakeServer, sqlite_engine: sa.Engine) -> None:
    fake.messages = [message(n) for n in range(1, 251)]
    env = {"OPENIRU_ROCKETCHAT_USER": "collector", "OPENIRU_ROCKETCHAT_PASSWORD": PASSWORD}
    target = Target("rocketchat", "channel:general", fake.url)
    first = collect_target(sqlite_engine, build_connector(target, env=env, max_pages=1), hooks=[])
    assert first.new_posts == 100 and "walk" in (first.checkpoint or {})
    fake.messages.append(message(251))  # arrives while the collector is down
    rest = collect_target(sqlite_engine, build_connector(target, env=env), hooks=[])
    ids = post_ids(sqlite_engine)
    assert len(ids) == len(set(ids)) == 250 and rest.new_posts == 150  # the walk ends where it began
    again = collect_target(sqlite_engine, build_connector(target, env=env), hooks=[])
    assert again.new_posts == 1 and len(post_ids(sqlite_engine)) == 251  # the late one, next poll


def all_text(engine: sa.Engine) -> str:
    parts = []
    with engine.connect() as conn:
        for table in metadata.sorted_tables:
            parts.extend(repr(tuple(row)) for row in conn.execute(sa.select(table)))
    return "\n".join(parts)


def test_credentials_reach_neither_database_nor_output(
    fake: FakeServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    fake.messages = [message(n) for n in range(1, 5)]
    monkeypatch.setenv("OPENIRU_ROCKETCHAT_USER", "collector")
    monkeypatch.setenv("OPENIRU_ROCKETCHAT_PASSWORD", PASSWORD)
    run("watch", "add", "rocketchat", "channel:general", "--server", fake.url, "--db", sqlite_url)
    code, out = run("collect", "--once", "--db", sqlite_url)
    assert code == 0 and "4 new posts" in out
    monkeypatch.setenv("OPENIRU_ROCKETCHAT_PASSWORD", "wrong-" + PASSWORD)
    run("watch", "add", "rocketchat", "channel:other", "--server", fake.url, "--db", sqlite_url)
    code, out = run("collect", "--once", "--db", sqlite_url)
    assert "error" in out
    engine = open_database(sqlite_url)
    try:
        stored = all_text(engine)
        tokens = [t for t in fake.valid_tokens]
        assert "RocketAuthenticationException" in stored  # the failure is recorded...
        for secret in (PASSWORD, *tokens):
            assert secret not in stored and secret not in out and secret not in caplog.text
    finally:
        engine.dispose()


def test_collected_posts_go_through_the_ingest_hooks(fake: FakeServer, sqlite_engine: sa.Engine) -> None:
    fake.add_statuses(range(1, 4))
    seen: list[str] = []
    collect_target(
        sqlite_engine,
        build_connector(Target("mastodon", "public", fake.url)),
        hooks=[lambda conn, posts: seen.extend(p.key.post_id for p in posts)],
    )
    assert sorted(seen) == sorted(post_ids(sqlite_engine)) and len(seen) == 3


def test_scheduler_due_targets_and_one_catch_up(fake: FakeServer, sqlite_engine: sa.Engine) -> None:
    fake.add_statuses(range(1, 3))
    now = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    watchlist.add(sqlite_engine, "mastodon", "public", fake.url, every="10m")
    paused = watchlist.add(sqlite_engine, "mastodon", "local", fake.url, every="10m")
    watchlist.pause(sqlite_engine, paused)
    scheduler = Scheduler(sqlite_engine, clock=lambda: now[0], hooks=[])
    assert [r.new_posts for r in scheduler.run_due()] == [2]
    now[0] += timedelta(minutes=5)
    assert scheduler.run_due() == []
    now[0] += timedelta(hours=10)  # sixty intervals missed: caught up once
    assert len(scheduler.run_due()) == 1 and scheduler.run_due() == []


def test_a_job_runs_once_across_two_schedulers(sqlite_engine: sa.Engine) -> None:
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    ran: list[str] = []
    assert acquire(sqlite_engine, "deadlines", "proc-a", now)  # A holds the lease (running)
    assert not run_job(sqlite_engine, "deadlines", 3600, lambda: ran.append("b"), now=now, holder="proc-b")
    assert run_job(sqlite_engine, "deadlines", 3600, lambda: ran.append("a"), now=now, holder="proc-a")
    assert not run_job(sqlite_engine, "deadlines", 3600, lambda: ran.append("b"), now=now, holder="proc-b")
    later = now + timedelta(days=3)
    assert run_job(sqlite_engine, "deadlines", 3600, lambda: ran.append("b"), now=later, holder="proc-b")
    assert not run_job(sqlite_engine, "deadlines", 3600, lambda: ran.append("a"), now=later, holder="proc-a")
    assert ran == ["a", "b"]


def test_watch_usage_errors_are_one_line(sqlite_url: str) -> None:
    for args, expected in (
        (["mastodon", "home", "--server", "http://x.example"], "expected public, local"),
        (["nosuch", "x"], "unknown connector"),
    ):
        with pytest.raises(ConfigError, match=expected):
            run("watch", "add", *args, "--db", sqlite_url)
    with pytest.raises(ConfigError, match="no watched target #42"):
        run("watch", "remove", "42", "--db", sqlite_url)
    # through the installed command: registered in cli.COMMANDS, one line, no traceback
    done = subprocess.run(
        [
            str(Path(sys.executable).parent / "openiru"),
            "watch",
            "add",
            "mastodon",
            "home",
            "--server",
            "http://x.example",
            "--db",
            sqlite_url,
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "expected public, local" in done.stderr


JOB_SCRIPT = """
import sys, time
from datetime import datetime, UTC
from openiru.store.db import open_database
from openiru.services.collect.scheduler import run_job
engine = open_database(sys.argv[1])
start_at = float(sys.argv[3])
while time.time() < start_at:
    time.sleep(0.005)
def job():
    with open(sys.argv[2], "a") as fh:
        fh.write(sys.argv[4] + "\\n")
    time.sleep(0.5)
now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
print(run_job(engine, "retention", 3600, job, now=now, holder=sys.argv[4]))
engine.dispose()
"""


def test_a_job_runs_once_across_two_real_processes(db_url: str, tmp_path: Path) -> None:
    import time

    open_database(db_url).dispose()  # the schema, before the two processes race
    ran = tmp_path / "ran.txt"
    start_at = str(time.time() + 3)
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", JOB_SCRIPT, db_url, str(ran), start_at, f"proc-{i}"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(2)
    ]
    outs = [p.communicate(timeout=120) for p in procs]
    assert all(p.returncode == 0 for p in procs), outs
    assert sorted(o[0].strip() for o in outs) == ["False", "True"]
    assert len(ran.read_text().splitlines()) == 1


def test_accounts_listed_for_watching_become_targets(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    from openiru.services.collect.listed import watch_listed
    from openiru.services.graph.account_lists import import_account_list

    for platform, handles in (
        ("mastodon", ["editor@fedi.example"]),
        ("x", ["@examplecircle"]),
        ("telegram", ["examplecircle_news"]),
        ("rocketchat", ["circle.editor"]),
    ):
        listing = tmp_path / f"{platform}.txt"
        listing.write_text("\n".join(handles) + "\n", encoding="utf-8")
        import_account_list(sqlite_engine, listing, platform=platform, intent="watch")
    found = watch_listed(sqlite_engine, every="1h")
    targets = {(a["connector"], a["target"], a["server"]) for a in found["added"]}
    assert targets == {
        ("mastodon", "account:editor", "https://fedi.example"),
        ("x", "user:examplecircle", None),
        ("telegram", "@examplecircle_news", None),
    }
    assert [s["platform"] for s in found["skipped"]] == ["rocketchat"]
    again = watch_listed(sqlite_engine)  # the same targets, not twice
    assert sorted(a["id"] for a in again["added"]) == sorted(a["id"] for a in found["added"])
    assert len(watchlist.listing(sqlite_engine)) == 3


def test_feed_collected_through_the_cli_with_warc(
    fake: FakeServer, sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1")
    monkeypatch.setenv("OPENIRU_WARC_DIR", str(tmp_path / "warc"))
    fake.feed_items = [("g1", "First notice"), ("g2", "Second notice")]
    run("watch", "add", "feed", f"{fake.url}/feed.xml", "--db", sqlite_url)
    first = json.loads(run("collect", "1", "--json", "--db", sqlite_url)[1])
    fake.feed_items.append(("g3", "Third notice"))
    second = json.loads(run("collect", "1", "--json", "--db", sqlite_url)[1])
    assert [first[0]["new_posts"], second[0]["new_posts"]] == [2, 1] and not first[0]["errors"]
    assert len(list((tmp_path / "warc").glob("*.warc.gz"))) == 1
