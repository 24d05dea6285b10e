"""Bad input and crashes: kill -9 mid-import, re-run, and compare with a clean import.

The large inputs come from the benchmark's generators (benchmarks/ingest.py), in
the real twarc2 and Telegram Desktop formats.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from openiru.interactions import edge_refs
from openiru.model import Post
from openiru.services.collect.ingest import ingest_path, ingest_source
from openiru.sources.telegram import TelegramExportSource
from openiru.sources.twitter import TwitterV2Source
from openiru.store import schema
from openiru.store.db import open_database

ROOT = Path(__file__).parent.parent
_spec = importlib.util.spec_from_file_location("ingest_benchmark", ROOT / "benchmarks" / "ingest.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

SOURCES = {"twarc2": TwitterV2Source, "telegram": TelegramExportSource}
TABLES = ("accounts", "posts", "edges", "post_media", "media")
SLOW_IMPORT = """
import sys, time
from pathlib import Path
from openiru.services.collect.ingest import ingest_path
from openiru.store.db import open_database
engine = open_database(sys.argv[1])
calls = []
def hang_in_fourth_batch(conn, posts):  # runs inside each batch's transaction
    calls.append(1)
    if len(calls) >= 4:
        Path(sys.argv[5]).write_text("in the fourth batch")
        time.sleep(600)  # killed here: three batches committed, the fourth written, uncommitted
ingest_path(engine, Path(sys.argv[2]), sys.argv[3], batch_size=int(sys.argv[4]),
            after_batch=[hang_in_fourth_batch])
"""


def generate(fmt: str, directory: Path, n: int) -> Path:
    if fmt == "twarc2":
        return bench.write_twarc2(directory / "big.jsonl", n, seed=7)
    return bench.write_telegram(directory / "export" / "result.json", n, seed=7, per_chat=n // 3)


def expected(fmt: str, path: Path) -> dict[str, tuple[int, int]]:
    """Per post id: (edges, media links) the post must have, from the source itself."""
    out: dict[str, tuple[int, int]] = {}
    for record in SOURCES[fmt](path).records():
        if isinstance(record, Post):
            out.setdefault(record.key.post_id, (len(edge_refs(record)), len(record.media)))
    return out


def per_post(conn: sa.Connection, table: sa.Table) -> Counter[str]:
    return Counter(
        {
            r[0]: r[1]
            for r in conn.execute(sa.select(table.c.post_id, sa.func.count()).group_by(table.c.post_id))
        }
    )


def _norm(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(UTC).isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return value


def snapshot(engine: sa.Engine) -> dict[str, set[tuple[Any, ...]]]:
    meta = sa.MetaData()
    with engine.connect() as conn:
        return {
            name: {
                tuple(_norm(v) for v in row)
                for row in conn.execute(sa.select(sa.Table(name, meta, autoload_with=conn)))
            }
            for name in TABLES
        }


@pytest.mark.parametrize("fmt", ["twarc2", "telegram"])
def test_kill_9_mid_import_then_rerun_equals_a_clean_import(fmt: str, db_url: str, tmp_path: Path) -> None:
    path = generate(fmt, tmp_path, 3000)
    want = expected(fmt, path)
    batch = 300
    engine = open_database(db_url)  # migrated before the child starts: no concurrent migrations
    log, marker = tmp_path / "child.log", tmp_path / "marker"
    with open(log, "wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", SLOW_IMPORT, db_url, str(path), fmt, str(batch), str(marker)],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline, "the import did not reach its fourth batch"
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        assert child.wait() == -signal.SIGKILL

        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA integrity_check").scalar_one() == "ok"
            posts = conn.execute(sa.select(schema.posts.c.post_id, schema.posts.c.account_id)).all()
            edges, links = per_post(conn, schema.edges), per_post(conn, schema.post_media)
            accounts = {r[0] for r in conn.execute(sa.select(schema.accounts.c.account_id))}
        assert 0 < len(posts) <= 3 * batch < len(want)  # three batches of records, no more
        for post_id, author in posts:  # each committed post came with its edges, media and author
            assert (edges[post_id], links[post_id]) == want[post_id], post_id
            assert author in accounts

        ingest_path(engine, path, fmt, after_batch=())  # the re-run completes the import
        resumed = snapshot(engine)
    finally:
        if child.poll() is None:
            child.kill()
        engine.dispose()

    clean_engine = open_database(f"sqlite:///{tmp_path / 'clean.db'}")
    ingest_path(clean_engine, path, fmt, after_batch=())
    clean = snapshot(clean_engine)
    clean_engine.dispose()
    assert len(resumed["posts"]) == len(want)
    for table in TABLES:
        assert resumed[table] == clean[table], table


def test_seen_times_span_batches(engine: sa.Engine, tmp_path: Path) -> None:
    path = bench.write_twarc2(tmp_path / "t.jsonl", 1500, seed=3)
    ingest_source(engine, TwitterV2Source(path), batch_size=200, after_batch=())
    span: dict[str, list[datetime]] = {}
    for record in TwitterV2Source(path).records():
        if isinstance(record, Post):
            s = span.setdefault(record.account.account_id, [record.timestamp, record.timestamp])
            s[0], s[1] = min(s[0], record.timestamp), max(s[1], record.timestamp)
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(schema.accounts.c.account_id, schema.accounts.c.first_seen, schema.accounts.c.last_seen)
        ).all()
    got = {r[0]: [_norm(r[1]), _norm(r[2])] for r in rows if r[0] in span}
    assert got == {k: [_norm(v[0]), _norm(v[1])] for k, v in span.items()}


def test_auto_detection_of_large_real_format_files(tmp_path: Path) -> None:
    """A twarc2 page is often longer than the head that sniffing reads (64 KiB)."""
    from openiru.services.collect.ingest import detect_format

    pages = bench.write_twarc2(tmp_path / "pages.jsonl", 300, seed=1)
    assert len(pages.read_bytes().split(b"\n", 1)[0]) > 65536
    assert detect_format(pages) is TwitterV2Source
    export = bench.write_telegram(tmp_path / "export" / "result.json", 300, seed=1, per_chat=100)
    assert detect_format(export) is TelegramExportSource
    assert detect_format(export.parent) is TelegramExportSource
