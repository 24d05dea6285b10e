"""The graph role on a real NATS JetStream and PostgreSQL (and SQLite in-process).

Each test starts its own ``nats-server -js`` (tests/nats_support.py; skipped without the
binary) with its own stream names.  A detect worker signals the graph after each committed
batch; graph workers coalesce the signals, refresh at most once per ``--every`` window, once at a
time across processes, and a refresh killed midway is redone by the next worker.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

from nats_support import NatsServer
from openiru.cli import app
from openiru.services.detect.banks import import_lexicon
from openiru.services.graph import analysis
from openiru.services.graph.stored import load
from openiru.services.workers import graph
from openiru.services.workers.detect import run_detect
from openiru.services.workers.stream import Topology, connect
from openiru.store.db import open_database
from server_support import free_port

OPENIRU = [sys.executable, "-c", "from openiru.cli import main; main()"]


@pytest.fixture
def topo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Topology]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    monkeypatch.setenv("OPENIRU_NATS", server.url)
    monkeypatch.setenv("OPENIRU_NATS_PREFIX", f"g{uuid.uuid4().hex[:10]}")
    try:
        yield Topology.from_env(ack_wait=2.0)
    finally:
        server.stop()


def _nats() -> str:
    return os.environ["OPENIRU_NATS"]


def _posts(path: Path, n: int) -> Path:
    """n posts by seven fictional accounts replying to each other, every third naming an outlet."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            post: dict[str, Any] = {
                "platform": "x",
                "id": str(i),
                "author_id": f"a{i % 7}",
                "author_handle": f"acct{i % 7}",
                "text": f"Velmor Herald item {i}" if i % 3 == 0 else f"neutral placeholder {i}",
                "timestamp": f"2024-01-01T00:{i % 60:02d}:00Z",
            }
            if i >= 7:
                post["reply_to"] = str(i - 7 + (i % 3))
            fh.write(json.dumps(post) + "\n")
    return path


def _prepare(url: str, tmp_path: Path, n: int, nats: bool = False) -> None:
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text("term,language,kind,label\nVelmor Herald,en,outlet,org\n", encoding="utf-8")
    engine = open_database(url)
    import_lexicon(engine, lexicon)
    engine.dispose()
    args = ["ingest", str(_posts(tmp_path / "posts.jsonl", n)), "--format", "jsonl", "--db", url]
    done = CliRunner().invoke(app, [*args, "--nats", _nats()] if nats else args)
    assert done.exit_code == 0, done.output


def _signal(topo: Topology, times: int) -> int:
    """Publish ``times`` graph signals as detect workers do; the messages left in the stream."""

    async def go() -> int:
        nc = await connect(_nats())
        try:
            js = nc.jetstream()
            await graph.ensure_graph(js, topo, consumer=False)
            for _ in range(times):
                await graph.publish_dirty(js, topo)
            return int((await js.stream_info(topo.graph_stream)).state.messages)
        finally:
            await nc.close()

    return asyncio.run(go())


def _as_stored(rows: Any) -> Any:
    return orjson.loads(orjson.dumps(rows, default=str, option=orjson.OPT_SERIALIZE_NUMPY))


def _assert_stored_equal_fresh(url: str) -> int:
    """The stored results equal a fresh computation; returns the key accounts stored."""
    engine = open_database(url)
    try:
        fresh = {
            "key-accounts": analysis.key_accounts(engine),
            "coordination": analysis.coordination(engine),
            "recreated": analysis.resurgence(engine),
        }
        for name in graph.STORED:
            stored = load(engine, name)
            assert stored is not None, name
            assert stored[1] == _as_stored(fresh[name]), name
        return len(fresh["key-accounts"])
    finally:
        engine.dispose()


def _worker(url: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    with log.open("wb") as fh:
        return subprocess.Popen(
            [
                *OPENIRU,
                "worker",
                "--role",
                "graph",
                "--db",
                url,
                "--nats",
                _nats(),
                "--ack-wait",
                "2",
                *extra,
            ],
            stderr=fh,
            stdout=subprocess.DEVNULL,
        )


def _wait_for(logs: list[Path], prefix: str, seconds: float = 120.0) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for log in logs:
            for line in log.read_text().splitlines():
                if line.startswith(prefix):
                    return line
        time.sleep(0.1)
    raise AssertionError(f"no {prefix!r} line within {seconds} s: " + " | ".join(p.read_text() for p in logs))


def _lines(logs: list[Path], prefix: str) -> list[str]:
    return [line for log in logs for line in log.read_text().splitlines() if line.startswith(prefix)]


def test_a_detect_worker_signals_and_a_graph_worker_stores_what_the_api_serves(
    topo: Topology, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    _prepare(url, tmp_path, 60, nats=True)
    engine = open_database(url)
    try:
        lines: list[str] = []
        scanned = asyncio.run(run_detect(engine, _nats(), topo, exit_when_idle=1.0, log=lines.append))
        assert scanned.posts == 60
        assert _signal(topo, 0) == 1  # the committed batch left one signal
        summary = asyncio.run(
            graph.run_graph(engine, _nats(), topo, every=60, exit_when_idle=1.0, log=lines.append)
        )
        assert (summary.refreshes, summary.failed) == (1, 0)
        assert graph.last_refresh(engine) is not None
    finally:
        engine.dispose()
    assert _assert_stored_equal_fresh(url) == 7


def test_two_graph_workers_refresh_once_per_window(topo: Topology, pg_url: str, tmp_path: Path) -> None:
    _prepare(pg_url, tmp_path, 90)
    assert _signal(topo, 5) == 1  # five batches' signals coalesce into one
    logs = [tmp_path / "g1.log", tmp_path / "g2.log"]
    port = free_port()
    workers = [
        _worker(pg_url, log, "--every", "3600", *(["--metrics-port", str(port)] if log == logs[0] else []))
        for log in logs
    ]
    try:
        _wait_for(logs, "refreshed")
        assert _signal(topo, 3) == 1  # new data within the window
        _wait_for(logs, "signal")  # deferred: to the end of the window, or the lease is held
        base = f"http://127.0.0.1:{port}"
        assert json.loads(urllib.request.urlopen(f"{base}/healthz", timeout=5).read()) == {"status": "alive"}
        ready = json.loads(urllib.request.urlopen(f"{base}/readyz", timeout=10).read())
        assert ready == {"ready": True, "checks": {"database": "ok", "migrations": "ok", "nats": "ok"}}
        metrics = urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()
        families = {f.name: f for f in text_string_to_metric_families(metrics)}
        assert {"openiru_graph_refreshes", "openiru_graph_refresh_seconds", "openiru_posts_collected"} <= set(
            families
        )
        outcomes = {s.labels["outcome"] for s in families["openiru_graph_refreshes"].samples}
        assert outcomes <= {"refreshed", "deferred", "failed"}  # this worker's share, maybe none
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            assert w.wait(timeout=30) == 0, [log.read_text()[-2000:] for log in logs]
    assert len(_lines(logs, "refreshed")) == 1, [log.read_text() for log in logs]
    assert _assert_stored_equal_fresh(pg_url) == 7


def test_a_graph_worker_killed_mid_refresh_is_redone_by_the_next(
    topo: Topology, pg_url: str, tmp_path: Path
) -> None:
    _prepare(pg_url, tmp_path, 60)
    _signal(topo, 1)
    first = _worker(pg_url, tmp_path / "first.log", "--throttle", "60")
    try:
        _wait_for([tmp_path / "first.log"], "refreshing")
    finally:
        first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=30) == -signal.SIGKILL
    engine = open_database(pg_url)
    with engine.connect() as conn:
        holder = conn.execute(
            sa.text("SELECT holder FROM scheduler_leases WHERE job = :j"), {"j": graph.JOB}
        ).scalar_one()
    assert holder is not None and all(load(engine, name) is None for name in graph.STORED)
    engine.dispose()
    late = _worker(pg_url, tmp_path / "late.log", "--exit-when-idle", "2")
    assert late.wait(timeout=120) == 0, (tmp_path / "late.log").read_text()[-2000:]
    [began] = _lines([tmp_path / "first.log"], "refreshing")
    [done] = _lines([tmp_path / "late.log"], "refreshed")
    # the dead worker's signal, handed on: the same stream message (a new signal would have a new
    # sequence), not its delivery count, which nats-server reported as 1 again after NAKs with a delay
    assert done.split("(signal ")[1].split(",")[0] == began.split("(signal ")[1].split(",")[0]
    assert _assert_stored_equal_fresh(pg_url) == 7


def test_the_api_serves_what_a_running_graph_worker_stored(sqlite_engine: sa.Engine) -> None:
    from datetime import timedelta

    from openiru.services.graph import stored
    from test_api_detect import _content
    from test_api_support import make_world

    world = make_world(sqlite_engine)
    _content(sqlite_engine)
    kept = [{"platform": "x", "account_id": "2", "handle": "h2", "score": 0.5, "evidence": []}]
    for name in graph.STORED:
        stored.save(sqlite_engine, name, kept)
    assert not stored.workers_active(sqlite_engine)
    stored.announce(sqlite_engine, "host:1", timedelta(minutes=1))
    assert stored.workers_active(sqlite_engine)
    client = world.client("analyst")
    for path in ("key-accounts", "coordination", "recreated"):
        assert client.get(f"/api/v1/graph/{path}").json()["items"] == kept, path
    score = client.get("/api/v1/graph/score?platform=x&account_id=2").json()
    assert (score["rank"], score["score"]) == (1, 0.5)
    stored.withdraw(sqlite_engine, "host:1")
    assert not stored.workers_active(sqlite_engine)
    stored.announce(sqlite_engine, "host:2", timedelta(seconds=-1))  # a killed worker's, expired
    assert not stored.workers_active(sqlite_engine)
    # no graph worker: a new API process computes coordination itself, as before (the ranking's
    # stored copy is what it serves first in any case, then recomputes)
    fresh = _coordination_of_a_fresh_api(sqlite_engine)
    assert fresh == _as_stored(analysis.coordination(sqlite_engine)) != kept


def _coordination_of_a_fresh_api(engine: sa.Engine) -> Any:
    from fastapi.testclient import TestClient

    from openiru.api.app import create_app
    from openiru.services.access import auth

    with TestClient(create_app(engine), base_url="https://testserver") as client:
        token = auth.create_token(engine, "analyst", "tests")
        res = client.get("/api/v1/graph/coordination", headers={"Authorization": f"Bearer {token}"})
    assert res.status_code == 200, res.text
    return res.json()["items"]
