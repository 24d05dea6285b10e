"""Imports whose source is read in a child process (services/collect/reader.py).

Every test lowers the size from which the child is used to 0 bytes, so that small
generated files (the benchmark's generators, real twarc2 and Telegram formats) go
through it, and compares with the same import read in the importing process.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from openiru.errors import FormatError, RecordError
from openiru.model import Post
from openiru.services.collect import reader as ingest_worker
from openiru.services.collect.ingest import ingest_path, ingest_source
from openiru.sources.generic import GenericSource
from openiru.sources.twitter import TwitterV2Source
from openiru.store import schema
from openiru.store.db import open_database

ROOT = Path(__file__).parent.parent
_spec = importlib.util.spec_from_file_location("ingest_benchmark_w", ROOT / "benchmarks" / "ingest.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)

TABLES = ("accounts", "posts", "edges", "post_media", "media")


def snapshot(engine: sa.Engine) -> dict[str, list[tuple[Any, ...]]]:
    meta = sa.MetaData()
    with engine.connect() as conn:
        out = {}
        for name in TABLES:
            table = sa.Table(name, meta, autoload_with=conn)
            out[name] = sorted(tuple(str(v) for v in row) for row in conn.execute(sa.select(table)))
        return out


def _summary(summary: Any) -> dict[str, Any]:
    return {k: v for k, v in summary.as_dict().items() if k != "path"}


def _in_child(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    monkeypatch.setattr(ingest_worker, "CHILD_MIN_BYTES", 0 if on else None)


def test_the_benchmarked_file_size_is_read_in_a_child(tmp_path: Path) -> None:
    path = tmp_path / "x.jsonl"
    path.write_bytes(b"{}\n" * 10)
    assert not ingest_worker.reads_in_child(TwitterV2Source(path))  # small: in this process
    with open(path, "ab") as fh:
        fh.truncate(ingest_worker.CHILD_MIN_BYTES or 0)
    assert ingest_worker.reads_in_child(TwitterV2Source(path))


@pytest.mark.parametrize("fmt", ["twarc2", "telegram"])
def test_child_import_equals_an_import_in_one_process(
    fmt: str, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if fmt == "twarc2":
        path = bench.write_twarc2(tmp_path / "t.jsonl", 1200, seed=5)
        with open(path, "ab") as fh:  # a broken line and a truncated one: counted, named, skipped
            fh.write(b'{"data": [ broken\n{"data": [{"id": "1", "text": "x"}]}\n')
    else:
        path = bench.write_telegram(tmp_path / "export" / "result.json", 1200, seed=5, per_chat=400)
    hooked: dict[bool, list[Post]] = {True: [], False: []}
    summaries, snaps = {}, {}
    for on in (True, False):
        _in_child(monkeypatch, on)
        url = db_url if on else f"sqlite:///{tmp_path / 'one.db'}"
        engine = open_database(url)

        def hook(conn: sa.Connection, posts: list[Post], on: bool = on) -> None:
            assert conn.in_transaction()
            hooked[on].extend(posts)

        try:
            summaries[on] = ingest_path(engine, path, fmt, batch_size=250, after_batch=[hook])
            snaps[on] = snapshot(engine)
            again = ingest_path(engine, path, fmt, batch_size=250, after_batch=())  # idempotent
            assert again.posts == 0 and snapshot(engine) == snaps[on]
        finally:
            engine.dispose()
    assert summaries[True].posts > 1000
    assert _summary(summaries[True]) == _summary(summaries[False])
    if fmt == "twarc2":
        assert summaries[True].errors and all(f"{path}:" in p for p in summaries[True].problems)
    # the hooks get the same posts, every field equal (they cross from the child as tuples)
    assert hooked[True] == hooked[False] and len(hooked[True]) >= summaries[True].posts
    assert any(p.media for p in hooked[True]) and any(p.mentions or p.forward_from_name for p in hooked[True])
    if db_url.startswith("sqlite"):
        assert snaps[True] == snaps[False]
    else:  # PostgreSQL renders times and JSON otherwise: compare what can be compared
        assert {k: len(v) for k, v in snaps[True].items()} == {k: len(v) for k, v in snaps[False].items()}


def test_strict_stops_at_the_record_and_keeps_what_came_before(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bench.write_twarc2(tmp_path / "t.jsonl", 600, seed=2)
    lines = path.read_bytes().splitlines(keepends=True)
    bad = len(lines) // 2
    path.write_bytes(b"".join(lines[:bad] + [b"{not json\n"] + lines[bad:]))
    _in_child(monkeypatch, True)
    with pytest.raises(RecordError) as raised:
        ingest_path(engine, path, "twarc2", strict=True, batch_size=100, after_batch=())
    assert raised.value.file == str(path) and raised.value.location == f"line {bad + 1}"
    want = open_database(f"sqlite:///{tmp_path / 'one.db'}")
    _in_child(monkeypatch, False)
    with pytest.raises(RecordError) as expected:
        ingest_path(want, path, "twarc2", strict=True, batch_size=100, after_batch=())
    assert str(raised.value) == str(expected.value)
    with engine.connect() as conn, want.connect() as other:
        kept = conn.execute(sa.select(sa.func.count()).select_from(schema.posts)).scalar_one()
        assert kept == other.execute(sa.select(sa.func.count()).select_from(schema.posts)).scalar_one() > 0
        run = conn.execute(sa.select(schema.import_runs.c.summary)).scalar_one()
    want.dispose()
    assert run["aborted"] == str(raised.value) and run["errors_total"] == 1


def test_an_error_in_the_child_is_raised_here(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "posts.jsonl"  # generic JSONL with no platform anywhere: FormatError
    path.write_text(
        json.dumps({"id": "1", "text": "placeholder", "timestamp": "2024-01-01T00:00:00Z"}) + "\n"
    )
    _in_child(monkeypatch, True)
    with pytest.raises(FormatError, match="no platform") as raised:
        ingest_source(engine, GenericSource(path), after_batch=())
    _in_child(monkeypatch, False)
    with pytest.raises(FormatError) as expected:
        ingest_source(engine, GenericSource(path), after_batch=())
    assert str(raised.value) == str(expected.value)


def _children(pid: int) -> list[int]:
    """The import's reading processes among ``pid``'s children (its command line says so)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if (
                int(stat.rsplit(")", 1)[1].split()[1]) == pid
                and b"openiru.services.collect.reader" in command
            ):
                found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_a_dead_child_stops_the_import_with_an_error(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = bench.write_twarc2(tmp_path / "t.jsonl", 1500, seed=4)
    _in_child(monkeypatch, True)
    written: list[int] = []

    def kill_the_reader(conn: sa.Connection, posts: list[Post]) -> None:
        written.append(len(posts))
        if len(written) == 1:
            for pid in _children(os.getpid()):
                os.kill(pid, signal.SIGKILL)

    with pytest.raises(RuntimeError, match="reading process ended unexpectedly"):
        ingest_path(engine, path, "twarc2", batch_size=100, after_batch=[kill_the_reader])
    with engine.connect() as conn:  # what was written before is committed
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.posts)).scalar_one() > 0
    assert not [p for p in _children(os.getpid()) if _alive(p)]


HANGING_IMPORT = """
import sys, time
from pathlib import Path
from openiru.services.collect import reader as ingest_worker
from openiru.services.collect.ingest import ingest_path
from openiru.store.db import open_database
ingest_worker.CHILD_MIN_BYTES = 0
engine = open_database(sys.argv[1])
def hang(conn, posts):
    Path(sys.argv[3]).write_text("in a batch")
    time.sleep(600)
ingest_path(engine, Path(sys.argv[2]), "twarc2", batch_size=100, after_batch=[hang])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_the_child_dies_with_the_parent(tmp_path: Path) -> None:
    path = bench.write_twarc2(tmp_path / "t.jsonl", 1500, seed=6)
    marker = tmp_path / "marker"
    parent = subprocess.Popen(
        [sys.executable, "-c", HANGING_IMPORT, f"sqlite:///{tmp_path / 'k.db'}", str(path), str(marker)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert parent.poll() is None, parent.communicate()[1][-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        readers = _children(parent.pid)
        assert len(readers) == 1 and _alive(readers[0])
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(readers[0]):
            assert time.monotonic() < deadline, "the reading process outlived the import"
            time.sleep(0.05)
    finally:
        if parent.poll() is None:
            parent.kill()
            parent.wait()
        parent.stderr.close()  # type: ignore[union-attr]


def test_the_posts_go_to_the_hooks_that_want_them(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A hook's ``wants()``: "none" gets no posts from the child, "media" only those with a
    local file to store (none in a twarc2 export), a hook without it every post."""
    from openiru.services.collect.ingest import posts_wanted
    from openiru.services.collect.media import ingest_hook as media_hook

    path = bench.write_twarc2(tmp_path / "t.jsonl", 600, seed=3)
    _in_child(monkeypatch, True)
    got: dict[str, list[Post]] = {"none": [], "media": [], "all": []}

    def hook_for(wants: str) -> Any:
        def hook(conn: sa.Connection, posts: list[Post]) -> None:
            got[wants].extend(posts)

        if wants != "all":
            hook.wants = lambda: wants  # type: ignore[attr-defined]
        return hook

    assert posts_wanted([]) == "none" and posts_wanted([media_hook(engine)]) == "media"
    assert posts_wanted([hook_for("none"), hook_for("all")]) == "all"
    summary = ingest_path(
        engine, path, "twarc2", batch_size=200, after_batch=[hook_for("none"), hook_for("media")]
    )
    assert summary.posts > 600 and got["none"] == [] and got["media"] == []
    got["none"].clear()
    again = open_database(f"sqlite:///{tmp_path / 'again.db'}")
    try:
        ingest_path(again, path, "twarc2", batch_size=200, after_batch=[hook_for("none"), hook_for("all")])
    finally:
        again.dispose()
    assert len({p.key for p in got["all"]}) == summary.posts and got["none"] == got["all"]


def test_the_detect_hook_wants_posts_only_with_rules(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openiru.services.detect import banks
    from openiru.services.detect.scan import ingest_hook

    assert ingest_hook(engine).wants() == "none"  # type: ignore[attr-defined]  # an empty database
    lexicon = tmp_path / "lex.csv"
    lexicon.write_text("term,language,kind,label\nbulletin,en,term,bench\n", encoding="utf-8")
    banks.import_lexicon(engine, lexicon)
    hook = ingest_hook(engine)
    assert hook.wants() == "all"  # type: ignore[attr-defined]
    path = bench.write_twarc2(tmp_path / "t.jsonl", 300, seed=4)
    _in_child(monkeypatch, True)
    summary = ingest_path(engine, path, "twarc2", batch_size=100)  # the registered hooks, detect among them
    with engine.connect() as conn:
        unscanned = conn.execute(
            sa.select(sa.func.count()).select_from(schema.posts).where(schema.posts.c.scanned_at.is_(None))
        ).scalar_one()
        hits = conn.execute(sa.text("select count(*) from detect_hits")).scalar_one()
    assert summary.posts > 300 and unscanned == 0 and hits > 0
