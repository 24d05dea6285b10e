"""Scale-out workers on a real NATS JetStream and the shared database.

Each test starts its own ``nats-server -js`` on a free loopback port with a temporary
store (tests/nats_support.py; skipped when the binary is missing) and uses its own stream
names (``OPENIRU_NATS_PREFIX``).  Workers run as real ``openiru worker`` processes; the
SIGKILL test uses a fresh PostgreSQL database (skipped when PostgreSQL is unreachable).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from nats_support import NatsServer
from openiru.cli import app
from openiru.services.detect.banks import import_lexicon
from openiru.services.workers import stream
from openiru.services.workers.status import queue_status
from openiru.services.workers.stream import Topology, decode_keys, encode_keys
from openiru.store.db import open_database

OPENIRU = [sys.executable, "-c", "from openiru.cli import main; main()"]


def _nats() -> str:
    """The test's private NATS server (its URL is in OPENIRU_NATS, set by ``topo``)."""
    return os.environ["OPENIRU_NATS"]


@pytest.fixture
def topo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Topology]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    monkeypatch.setenv("OPENIRU_NATS", server.url)
    monkeypatch.setenv("OPENIRU_NATS_PREFIX", f"t{uuid.uuid4().hex[:10]}")
    try:
        yield Topology.from_env()
    finally:
        server.stop()


def _write_posts(path: Path, n: int) -> set[str]:
    """n posts, every third naming a fictional outlet of the lexicon; returns their flagged ids."""
    flagged = set()
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            text = f"Velmor Herald item {i}" if i % 3 == 0 else f"neutral placeholder {i}"
            if i % 3 == 0:
                flagged.add(str(i))
            fh.write(
                json.dumps(
                    {
                        "platform": "x",
                        "id": str(i),
                        "author_id": f"a{i % 7}",
                        "text": text,
                        "timestamp": "2024-01-01T00:00:00Z",
                    }
                )
                + "\n"
            )
    return flagged


def _prepare(url: str, tmp_path: Path, n: int) -> tuple[Path, set[str]]:
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text("term,language,kind,label\nVelmor Herald,en,outlet,org\n", encoding="utf-8")
    engine = open_database(url)
    import_lexicon(engine, lexicon)
    engine.dispose()
    posts = tmp_path / "posts.jsonl"
    return posts, _write_posts(posts, n)


def _hits(url: str) -> list[tuple[str, str, str | None]]:
    engine = open_database(url)
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT platform, post_id, term FROM detect_hits ORDER BY 1, 2, 3")).all()
        unscanned = conn.execute(sa.text("SELECT count(*) FROM posts WHERE scanned_at IS NULL")).scalar()
    engine.dispose()
    assert unscanned == 0
    return [tuple(r) for r in rows]


def _worker(url: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*OPENIRU, "worker", "--role", "detect", "--db", url, "--nats", _nats(), *extra],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )


def _finish(worker: subprocess.Popen[str], timeout: float = 120) -> str:
    """Wait for a worker to exit by itself; its stderr (the test fails if it failed)."""
    _, err = worker.communicate(timeout=timeout)
    assert worker.returncode == 0, err[-2000:]
    return err


def _status() -> dict:
    done = CliRunner().invoke(app, ["queue", "status", "--json", "--nats", _nats()])
    assert done.exit_code == 0, done.output
    return json.loads(done.output)


def test_keys_round_trip_and_poison_is_refused() -> None:
    keys = [("x", "1"), ("telegram", "-100/7")]
    assert decode_keys(encode_keys(keys)) == keys
    for bad in (b"not json", b"[]", b'{"posts": [["x"]]}', b'{"posts": [["x", 1]]}'):
        with pytest.raises(ValueError):
            decode_keys(bad)


def test_ingest_publishes_and_a_worker_scans_like_the_embedded_default(
    topo: Topology, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'queued.db'}"
    posts, flagged = _prepare(url, tmp_path, 90)
    runner = CliRunner()
    done = runner.invoke(app, ["ingest", str(posts), "--format", "jsonl", "--db", url, "--nats", _nats()])
    assert done.exit_code == 0, done.output
    assert _status()["pending"] == 1  # one message waits; nothing was scanned in the importing process
    engine = open_database(url)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM posts WHERE scanned_at IS NULL")).scalar() == 90
    engine.dispose()
    worker = _worker(url, "--exit-when-idle", "1")
    _finish(worker)
    queued = _hits(url)
    assert {post_id for _, post_id, _ in queued} == flagged
    # the embedded default: same file, no NATS, scanned in the importing process
    plain = f"sqlite:///{tmp_path / 'plain.db'}"
    _prepare(plain, tmp_path, 90)
    assert runner.invoke(app, ["ingest", str(posts), "--format", "jsonl", "--db", plain]).exit_code == 0
    assert _hits(plain) == queued
    status = _status()
    assert (status["pending"], status["in_flight"], status["dead_lettered"]) == (0, 0, 0)


def test_a_poisoned_message_goes_to_the_dead_letters_and_the_stream_goes_on(
    topo: Topology, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'w.db'}"
    posts, flagged = _prepare(url, tmp_path, 30)
    done = CliRunner().invoke(
        app, ["ingest", str(posts), "--format", "jsonl", "--db", url, "--nats", _nats()]
    )
    assert done.exit_code == 0, done.output

    async def poison() -> None:
        import nats

        nc = await nats.connect(_nats())
        await nc.jetstream().publish(topo.subject, b"\x00 not a batch", stream=topo.stream)
        await nc.close()

    asyncio.run(poison())
    assert _status()["pending"] == 2
    worker = _worker(url, "--exit-when-idle", "1")
    assert "dead-lettered unreadable message" in _finish(worker)
    assert {post_id for _, post_id, _ in _hits(url)} == flagged
    status = _status()
    assert (status["pending"], status["in_flight"], status["dead_lettered"]) == (0, 0, 1)


def test_a_batch_that_keeps_failing_is_dead_lettered_after_max_deliver(
    topo: Topology, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openiru.services.workers import detect

    def broken(self: detect.PostScanner, keys: list[tuple[str, str]]) -> int:
        raise RuntimeError("database refused the batch")

    monkeypatch.setattr(detect.PostScanner, "scan_keys", broken)
    t = Topology.from_env(ack_wait=1.0, max_deliver=2)

    async def go() -> detect.WorkerSummary:
        nc = await stream.connect(_nats())
        js = nc.jetstream()
        await stream.ensure(js, t)
        await stream.publish_keys(js, t, [("x", "1")])
        await nc.close()
        engine = open_database(f"sqlite:///{tmp_path / 'w.db'}")
        try:
            return await detect.run_detect(engine, _nats(), t, exit_when_idle=1.5, log=lambda line: None)
        finally:
            engine.dispose()

    summary = asyncio.run(go())
    assert summary.failed == 2 and summary.messages == 0
    status = asyncio.run(queue_status(_nats(), t))
    assert (status["pending"], status["in_flight"], status["dead_lettered"]) == (0, 0, 1)


def test_a_worker_killed_mid_batch_loses_nothing(
    topo: Topology, pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openiru.services.collect.ingest import ingest_source, source_for
    from openiru.services.workers.publish import Publisher

    posts, flagged = _prepare(pg_url, tmp_path, 300)
    monkeypatch.setattr(stream, "KEYS_PER_MESSAGE", 15)  # 20 messages
    publisher = Publisher(_nats())
    engine = open_database(pg_url)
    ingest_source(engine, source_for(posts, "jsonl", None), after_batch=publisher.hooks(engine))
    engine.dispose()
    assert publisher.flush() == 300 and publisher.messages == 20

    first = _worker(pg_url, "--ack-wait", "2", "--fetch", "5", "--throttle", "0.3")
    assert first.stderr is not None
    for line in first.stderr:  # the first batch is being worked through
        if line.startswith("scanned"):
            break
    first.send_signal(signal.SIGKILL)
    assert first.wait(timeout=30) == -signal.SIGKILL
    lines = [line, *first.stderr.read().splitlines()]  # what it wrote before it died
    first.stderr.close()
    first_done = {int(x.split("(message ")[1].split(",")[0]) for x in lines if x.startswith("scanned")}
    status = _status()
    assert status["in_flight"] > 0  # killed holding messages it had fetched and not acknowledged
    before = status["in_flight"] + status["pending"]

    # two workers started after the first died share the rest, the dead worker's messages included
    late = [_worker(pg_url, "--ack-wait", "2", "--exit-when-idle", "2") for _ in range(2)]
    deadline = time.monotonic() + 180
    logs = []
    try:
        for w in late:
            logs.append(_finish(w, max(1.0, deadline - time.monotonic())))
    finally:
        for w in late:
            if w.poll() is None:
                w.kill()
                w.communicate()
    status = _status()
    assert (status["pending"], status["in_flight"], status["dead_lettered"]) == (0, 0, 0)
    assert before >= 1
    scanned = [
        line.split("(message ")[1].rstrip(")").split(", delivery ")
        for log in logs
        for line in log.splitlines()
        if line.startswith("scanned")
    ]
    assert any(int(delivery) >= 2 for _, delivery in scanned)  # the dead worker's messages, handed on
    assert first_done | {int(seq) for seq, _ in scanned} == set(range(1, 21))
    hits = _hits(pg_url)
    assert len(hits) == len(set(hits)) == len(flagged)  # each post's hit once
    assert {post_id for _, post_id, _ in hits} == flagged
    # equal to the in-process scan of the same posts
    from openiru.services.detect.scan import scan

    engine = open_database(pg_url)
    scan(engine, rescan=True, workers=1)
    engine.dispose()
    assert _hits(pg_url) == hits


def test_a_worker_serves_its_probes_and_metrics(topo: Topology, tmp_path: Path) -> None:
    import urllib.request

    from prometheus_client.parser import text_string_to_metric_families

    from server_support import free_port

    url = f"sqlite:///{tmp_path / 'probe.db'}"
    posts, flagged = _prepare(url, tmp_path, 30)
    port = free_port()
    worker = _worker(url, "--metrics-port", str(port))
    assert worker.stderr is not None
    try:
        for line in worker.stderr:
            if line.startswith("detect worker ready"):
                break
        base = f"http://127.0.0.1:{port}"
        assert json.loads(urllib.request.urlopen(f"{base}/healthz", timeout=5).read()) == {"status": "alive"}
        ready = json.loads(urllib.request.urlopen(f"{base}/readyz", timeout=10).read())
        assert ready == {"ready": True, "checks": {"database": "ok", "migrations": "ok", "nats": "ok"}}
        done = CliRunner().invoke(
            app, ["ingest", str(posts), "--format", "jsonl", "--db", url, "--nats", _nats()]
        )
        assert done.exit_code == 0, done.output
        for line in worker.stderr:
            if line.startswith("scanned"):
                break
        samples = {
            s.name: s.value
            for f in text_string_to_metric_families(
                urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()
            )
            for s in f.samples
            if not s.labels or s.name.startswith("openiru_worker")
        }
        assert samples["openiru_worker_posts_scanned_total"] == 30
        assert samples["openiru_detection_latency_seconds_count"] == 1
        assert samples["openiru_posts_scanned"] == 30 and samples["openiru_posts_collected"] == 30
        assert {post_id for _, post_id, _ in _hits(url)} == flagged
    finally:
        worker.send_signal(signal.SIGTERM)
        _, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err[-2000:]


def test_the_verify_role_runs_once_across_workers(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import httpx

    from openiru.services.referral import delivery
    from openiru.services.referral import records as referral_records
    from openiru.services.referral import workflow as referrals
    from openiru.services.workers.verify import run_verify
    from test_referral_service import T0, Clock, _no_fetch, seed

    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    seed(engine)
    clock = Clock(T0)
    [r] = referrals.create_referrals(
        engine, "ana", ["x:1"], kind="removal-order", grounds=["a", "e"], now=clock
    )
    referrals.approve(engine, "bob", r["id"], now=clock)
    delivery.send(
        engine, "bob", r["id"], "portal", now=clock, fetch=_no_fetch
    )  # its deadline passed long ago
    fetched: list[str] = []

    def gone(url: str) -> httpx.Response:
        fetched.append(url)
        return httpx.Response(404, request=httpx.Request("GET", url))

    lines: list[str] = []
    first = run_verify(engine, "bob", every=3600, poll=0.01, cycles=2, fetch=gone, log=lines.append)
    assert first.runs == 1 and first.checked == [r["id"]]  # the second try: not due again for an hour
    assert fetched and referral_records.get_referral(engine, r["id"])["state"] == "removed"
    assert any(line.startswith("verified 1 referrals") for line in lines)
    other = run_verify(engine, "bob", every=3600, poll=0.01, cycles=1, fetch=gone, log=lines.append)
    assert other.runs == 0  # another worker (or `openiru collect`) ran it less than `every` ago
    with pytest.raises(Exception, match="unknown user"):
        run_verify(engine, "nobody", cycles=1, fetch=gone, log=lines.append)
