"""``openiru collect --once --nats`` (issue 16): the polled statuses of the fake Mastodon server
(tests/collect_support.py) are stored, published once to the JetStream work queue of a private
``nats-server -js`` (tests/nats_support.py; skipped without the binary) and scanned once by a
detect worker; a page's checkpoint moves only after its publish is acknowledged."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from collect_support import FakeServer
from nats_support import NatsServer
from openiru.cli import app
from openiru.services.collect import checkpoints
from openiru.services.collect.scheduler import Scheduler
from openiru.services.detect.banks import import_lexicon
from openiru.services.workers import stream
from openiru.services.workers.publish import Publisher
from openiru.services.workers.stream import Topology
from openiru.store.db import open_database
from openiru.store.tables_collect import watch_targets

OPENIRU = [sys.executable, "-c", "from openiru.cli import main; main()"]


@pytest.fixture
def nats_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    monkeypatch.setenv("OPENIRU_NATS_PREFIX", f"t{uuid.uuid4().hex[:10]}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1")
    with FakeServer() as server:
        yield server


def cli(*args: str) -> str:
    done = CliRunner().invoke(app, list(args))
    if done.exception and not isinstance(done.exception, SystemExit):
        raise done.exception
    assert done.exit_code == 0, done.output
    return done.stdout


def published(url: str, topo: Topology) -> list[tuple[str, str]]:
    """Every post key in the stream's messages (none consumed yet)."""

    async def read() -> list[tuple[str, str]]:
        nc = await stream.connect(url)
        try:
            js = nc.jetstream()
            state = (await js.stream_info(topo.stream)).state
            keys: list[tuple[str, str]] = []
            for seq in range(state.first_seq, state.last_seq + 1) if state.messages else ():
                keys += stream.decode_keys((await js.get_msg(topo.stream, seq)).data or b"")
            return keys
        finally:
            await nc.close()

    return asyncio.run(read())


def due_now(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        conn.execute(sa.update(watch_targets).values(next_due_at=datetime.now(UTC) - timedelta(seconds=1)))


def test_collect_once_nats_publishes_each_status_once_and_a_worker_stores_them_once(
    nats_server: NatsServer, fake: FakeServer, tmp_path: Path
) -> None:
    db = f"sqlite:///{tmp_path / 'collect.db'}"
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text("term,language,kind,label\nExample Circle,en,outlet,org\n", encoding="utf-8")
    engine = open_database(db)
    import_lexicon(engine, lexicon)
    topo = Topology.from_env()
    fake.add_statuses(range(1, 31))  # one page
    cli("watch", "add", "mastodon", "public", "--server", fake.url, "--db", db)

    one = json.loads(cli("collect", "--once", "--json", "--nats", nats_server.url, "--db", db))
    assert [(r["new_posts"], r["errors"]) for r in one] == [(30, [])]
    assert "no target due" in cli("collect", "--once", "--nats", nats_server.url, "--db", db)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM posts WHERE scanned_at IS NULL")).scalar() == 30
        key = conn.execute(sa.text("SELECT target_key FROM collect_checkpoints")).scalar_one()
    first = published(nats_server.url, topo)
    assert len(first) == 30 == len(set(first))

    # killed after the acknowledgement, before the checkpoint: the page is read and published again,
    # and JetStream keeps the message once
    with engine.begin() as conn:
        checkpoints.forget(conn, key)
    due_now(engine)
    again = json.loads(cli("collect", "--once", "--json", "--nats", nats_server.url, "--db", db))
    assert [(r["new_posts"], r["posts_read"], r["errors"]) for r in again] == [(0, 30, [])]
    assert published(nats_server.url, topo) == first

    # NATS goes away during a run: the new page is stored, not published, its checkpoint stays
    before = checkpoints.load_engine(engine, key)
    fake.add_statuses(range(31, 36))
    publisher = Publisher(nats_server.url, msg_ids=True)
    nats_server.stop()
    due_now(engine)
    scheduler = Scheduler(engine, hooks=publisher.hooks(engine), publish=publisher.flush)
    down = scheduler.run_due()
    assert down[0].new_posts == 5 and down[0].errors[0].startswith("not published: cannot reach NATS")
    assert checkpoints.load_engine(engine, key) == before
    nats_server.start()
    due_now(engine)
    back = json.loads(cli("collect", "--once", "--json", "--nats", nats_server.url, "--db", db))
    assert [(r["new_posts"], r["posts_read"], r["errors"]) for r in back] == [(0, 5, [])]
    assert checkpoints.load_engine(engine, key) != before
    keys = published(nats_server.url, topo)
    assert len(keys) == 35 == len(set(keys))  # each status once across the four runs

    worker = subprocess.run(
        [
            *OPENIRU,
            "worker",
            "--role",
            "detect",
            "--db",
            db,
            "--nats",
            nats_server.url,
            "--exit-when-idle",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr[-2000:]
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM posts WHERE scanned_at IS NULL")).scalar() == 0
        hits = conn.execute(sa.text("SELECT platform, post_id FROM detect_hits")).all()
        stored = conn.execute(sa.text("SELECT count(*), count(DISTINCT post_id) FROM posts")).one()
    engine.dispose()
    assert tuple(stored) == (35, 35)
    assert len(hits) == len(set(hits)) == 35  # each status scanned, its hit stored once
    assert published(nats_server.url, topo) == []  # the worker acknowledged every message


def test_two_collect_workers_poll_each_target_once_between_them(
    nats_server: NatsServer, fake: FakeServer, tmp_path: Path
) -> None:
    """``openiru worker --role collect`` twice at once over one database: every due target is polled
    by one of them (the scheduler's leases), each status stored and published once."""
    db = f"sqlite:///{tmp_path / 'workers.db'}"
    fake.add_statuses(range(1, 41), tags=("circle",))
    fake.add_statuses(range(41, 61), account=2)
    targets = ("public", "local", "tag:circle", "account:u1", "account:u2")
    for target in targets:
        cli("watch", "add", "mastodon", target, "--server", fake.url, "--db", db)
    open_database(db).dispose()  # migrated before the workers start
    workers = [
        subprocess.Popen(
            [*OPENIRU, "worker", "--role", "collect", "--db", db, "--nats", nats_server.url, "--cycles", "1"],
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(2)
    ]
    logs = []
    for w in workers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err[-2000:]
        logs.append([line for line in err.splitlines() if line.startswith("collected ")])
    polled = [line.split(":")[0] + ":" + line.split(" ")[1] for log in logs for line in log]
    assert len(polled) == len(targets) == len(set(polled))  # each target by one worker, once
    assert all("error" not in line for log in logs for line in log)
    keys = published(nats_server.url, Topology.from_env())
    engine = open_database(db)
    with engine.connect() as conn:
        stored = conn.execute(sa.text("SELECT count(*), count(DISTINCT post_id) FROM posts")).one()
        unscanned = conn.execute(sa.text("SELECT count(*) FROM posts WHERE scanned_at IS NULL")).scalar()
    engine.dispose()
    assert tuple(stored) == (60, 60) and unscanned == 60  # left to the detect workers
    # the timelines overlap (public and local list every status): a page already published by another
    # target's poll is the same message, kept once
    assert len(keys) == 60 == len(set(keys))
