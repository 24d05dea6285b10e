"""One odd record never costs its batch, on SQLite and PostgreSQL alike (issue 19, finding 4).

NUL characters (an escaped ``\\u0000``), ids and handles longer than 255 characters,
platform names too long for their column, a row the database refuses in the middle of
a batch, and an import killed mid-way: every other record is kept, the odd one is
repaired or reported (file, record, reason), and a re-run adds no duplicates.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.model import Account, AccountKey, Mention, Post, PostKey
from openiru.services.collect import reader as ingest_worker
from openiru.services.collect import runs as import_runs
from openiru.services.collect.ingest import ingest_path, ingest_source
from openiru.sources.base import Record
from openiru.store import schema
from openiru.store.clean import ID_MAX_BYTES, REPAIRED_NUL
from openiru.store.db import open_database
from source_support import ListSource

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _line(i: int, text: str = "placeholder bulletin", **extra: str) -> str:
    row = {
        "platform": "testnet",
        "post_id": str(i),
        "account_id": f"a{i % 50}",
        "handle": f"acct{i % 50}",
        "timestamp": f"2026-03-01T12:{(i // 60) % 60:02d}:{i % 60:02d}Z",
        "text": f"{text} {i}",
        **extra,
    }
    return json.dumps(row)


def _jsonl(path: Path, n: int, odd: dict[int, dict[str, str]]) -> Path:
    """``n`` generic JSONL posts; the lines numbered in ``odd`` (1-based) get those fields."""
    path.write_text("\n".join(_line(i, **odd.get(i, {})) for i in range(1, n + 1)) + "\n", encoding="utf-8")
    return path


def _count(engine: sa.Engine, table: sa.Table) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


def _has_nul(engine: sa.Engine) -> bool:
    p, a = schema.posts, schema.accounts
    with engine.connect() as conn:
        texts = [
            r
            for row in conn.execute(sa.select(p.c.platform, p.c.post_id, p.c.account_id, p.c.text, p.c.raw))
            for r in row
        ]
        texts += [r for row in conn.execute(sa.select(a.c.platform, a.c.account_id, a.c.handle)) for r in row]
    return any(t and "\x00" in t for t in texts)


def test_a_nul_in_the_middle_of_a_large_file_costs_nothing(engine: sa.Engine, tmp_path: Path) -> None:
    n = 3000  # the probe used 20,000 lines with the NUL at line 10,000; the same shape, smaller
    path = _jsonl(tmp_path / "posts.jsonl", n, {n // 2: {"text": "before\u0000after"}})
    assert "\\u0000" in path.read_text()
    summary = ingest_path(engine, path, "generic", after_batch=())
    assert summary.posts == n and not summary.errors
    assert summary.repaired == {REPAIRED_NUL: 1}
    assert summary.as_dict()["repaired_total"] == 1
    assert summary.repairs == [f"{path}:post testnet/{n // 2}: {REPAIRED_NUL}"]
    with engine.connect() as conn:
        text = conn.execute(
            sa.select(schema.posts.c.text).where(schema.posts.c.post_id == str(n // 2))
        ).scalar_one()
    assert text == f"beforeafter {n // 2}"  # the same on SQLite and PostgreSQL
    assert not _has_nul(engine)
    again = ingest_path(engine, path, "generic", after_batch=())  # a re-run: nothing new, nothing fails
    assert again.posts == 0 and _count(engine, schema.posts) == n


def test_nuls_at_a_batch_boundary_read_in_the_child(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ingest_worker, "CHILD_MIN_BYTES", 0)  # the reading child process, as for >= 16 MiB
    odd = {
        300: {"text": "end of a batch\u0000"},
        301: {"handle": "acct\u00001", "post_id": "odd\u0000id"},
        302: {"platform": "test\u0000net"},
    }
    path = _jsonl(tmp_path / "posts.jsonl", 900, odd)
    summary = ingest_path(engine, path, "generic", batch_size=300, after_batch=())
    assert summary.posts == 900 and not summary.errors
    assert summary.repaired == {REPAIRED_NUL: 5}  # three posts, and the accounts of lines 301 and 302
    assert sorted(line.removeprefix(f"{path}:").split(":")[0] for line in summary.repairs) == [
        "account testnet/a1",
        "account testnet/a2",
        "post testnet/300",
        "post testnet/302",
        "post testnet/oddid",
    ]
    with engine.connect() as conn:
        ids = set(conn.execute(sa.select(schema.posts.c.post_id)).scalars())
        platforms = set(conn.execute(sa.select(schema.posts.c.platform)).scalars())
    assert "oddid" in ids and "301" not in ids and platforms == {"testnet"}
    assert not _has_nul(engine)
    assert ingest_path(engine, path, "generic", batch_size=300, after_batch=()).posts == 0


def _long_records() -> list[Record]:
    a = AccountKey("testnet", "a" * 300)
    handle = "h" * 1000
    return [
        Account(a, handle=handle, display_name="Long Outlet"),
        Post(
            PostKey("testnet", "p" * 300),
            a,
            T0,
            text="an id of 300 characters",
            mentions=[Mention(handle="m" * 500)],
            reply_to=PostKey("testnet", "r" * 400),
        ),
        Post(PostKey("p" * 256, "1"), AccountKey("p" * 256, "b"), T0, text="a platform of 256 characters"),
        Post(PostKey("testnet", "x" * (ID_MAX_BYTES + 1)), a, T0, text="an id past the bound"),
        Account(AccountKey("testnet", "c"), handle="é" * 600),  # 1,200 bytes in UTF-8
        Post(PostKey("testnet", "ok"), AccountKey("testnet", "c"), T0, text="kept", language="x" * 40),
    ]


def test_long_ids_and_handles_are_stored_whole_or_refused_alone(engine: sa.Engine) -> None:
    summary = ingest_source(engine, ListSource(_long_records()), after_batch=())
    assert summary.posts == 2  # the 300-character id and "ok"; the other two refused, not their batch
    assert sum(summary.errors.values()) == 3
    problems = "\n".join(summary.problems)
    assert "post " + "p" * 57 + ".../1: cannot be stored: post id platform name of 256 characters" in problems
    assert "author id platform name" not in problems  # one reason per record
    assert f"post id of {ID_MAX_BYTES + 1} bytes" in problems
    assert "account testnet/c: cannot be stored: handle of 1200 bytes" in problems
    assert summary.repaired == {"value too long for its column dropped": 1}  # the language
    with engine.connect() as conn:
        account = conn.execute(
            sa.select(schema.accounts.c.handle).where(schema.accounts.c.account_id == "a" * 300)
        ).scalar_one()
        posts = dict(conn.execute(sa.select(schema.posts.c.post_id, schema.posts.c.reply_to)).all())
        refs = set(conn.execute(sa.select(schema.edges.c.target_ref)).scalars())
    assert account == "h" * 1000
    assert posts == {"p" * 300: "r" * 400, "ok": None}
    assert {"handle:" + "m" * 500, "post:" + "r" * 400} <= refs
    assert ingest_source(engine, ListSource(_long_records()), after_batch=()).posts == 0


def _surrogate_in_the_middle(n: int) -> list[Record]:
    a = AccountKey("testnet", "a")
    return [
        Post(PostKey("testnet", str(i)), a, T0, text="lone \ud800 surrogate" if i == n // 2 else f"text {i}")
        for i in range(n)
    ]


def test_a_row_the_database_refuses_mid_batch_costs_only_that_row(engine: sa.Engine) -> None:
    n = 1000
    summary = ingest_source(engine, ListSource(_surrogate_in_the_middle(n)), after_batch=())
    assert summary.posts == n - 1
    assert summary.errors == {"the database refused it": 1}
    [line] = summary.problems
    assert line.startswith(f"memory:post testnet/{n // 2}: the database refused it: ")
    assert _count(engine, schema.posts) == n - 1
    again = ingest_source(engine, ListSource(_surrogate_in_the_middle(n)), after_batch=())
    assert again.posts == 0 and _count(engine, schema.posts) == n - 1


def test_a_hook_refusing_rows_costs_only_those_rows(engine: sa.Engine) -> None:
    """A constraint violated inside the batch's transaction (here by an ingest hook, as
    detection writes its alerts there) fails the batch; written apart, only its rows go."""
    bad = {"13", "666"}

    def hook(conn: sa.Connection, posts: list[Post]) -> None:
        if bad & {p.key.post_id for p in posts}:
            conn.execute(
                sa.insert(schema.users).values(name="x", role="analyst", created_at=None)
            )  # NOT NULL

    records: list[Record] = [
        Post(PostKey("testnet", str(i)), AccountKey("testnet", "a"), T0, text=f"t {i}") for i in range(1000)
    ]
    summary = ingest_source(engine, ListSource(records), after_batch=[hook], batch_size=400)
    assert summary.posts == 998 and summary.errors == {"the database refused it": 2}
    assert sorted(p.split(":")[1] for p in summary.problems) == ["post testnet/13", "post testnet/666"]
    with engine.connect() as conn:
        ids = set(conn.execute(sa.select(schema.posts.c.post_id)).scalars())
    assert len(ids) == 998 and not bad & ids


KILLED_IMPORT = """
import sys, time
from pathlib import Path
from openiru.services.collect.ingest import ingest_path
from openiru.store.db import open_database
engine = open_database(sys.argv[1])
calls = []
def hang_in_second_batch(conn, posts):
    calls.append(1)
    if len(calls) >= 2:
        Path(sys.argv[3]).write_text("in the second batch")
        time.sleep(600)
ingest_path(engine, Path(sys.argv[2]), "generic", batch_size=200, after_batch=[hang_in_second_batch])
"""


def test_a_killed_import_is_closed_as_interrupted_by_the_next(db_url: str, tmp_path: Path) -> None:
    path = _jsonl(tmp_path / "posts.jsonl", 700, {})
    engine = open_database(db_url)
    marker, log = tmp_path / "marker", tmp_path / "child.log"
    with open(log, "wb") as err:
        child = subprocess.Popen(
            [sys.executable, "-c", KILLED_IMPORT, db_url, str(path), str(marker)],
            stdout=subprocess.DEVNULL,
            stderr=err,
        )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists():
            assert child.poll() is None, log.read_text()[-2000:]
            assert time.monotonic() < deadline
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
        runs = schema.import_runs
        with engine.connect() as conn:
            [(status, finished, killed_id)] = conn.execute(
                sa.select(runs.c.status, runs.c.finished_at, runs.c.id)
            )
        assert (status, finished) == ("running", None)
        assert 0 < _count(engine, schema.posts) < 700
        summary = ingest_path(engine, path, "generic", after_batch=())
        with engine.connect() as conn:
            rows = {r.id: r for r in conn.execute(sa.select(runs))}
        assert rows[killed_id].status == "interrupted" and rows[killed_id].finished_at is not None
        [new] = [r for r in rows.values() if r.id != killed_id]
        assert new.status == "finished" and new.path == str(path) and new.summary["posts"] == summary.posts
        assert _count(engine, schema.posts) == 700  # the re-run completed it, no duplicates
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        engine.dispose()


def test_only_runs_of_gone_processes_are_closed(engine: sa.Engine) -> None:
    import socket

    here = socket.gethostname()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    now = datetime.now(UTC)
    old = datetime(2026, 1, 1, tzinfo=UTC)
    runs = schema.import_runs
    owners = {
        "alive": (f"{here}:{alive.pid}", now),
        "dead": (f"{here}:{dead.pid}", now),
        "elsewhere-fresh": ("other-host:1", now),
        "elsewhere-stale": ("other-host:2", old),
        "before-owners": (None, None),
    }
    try:
        with engine.begin() as conn:
            for name, (owner, beat) in owners.items():
                conn.execute(
                    sa.insert(runs).values(
                        path=name,
                        format="generic",
                        platform="t",
                        started_at=beat or old,
                        owner=owner,
                        heartbeat_at=beat,
                        status="running",
                    )
                )
            closed = import_runs.close_interrupted(conn)
            states = dict(conn.execute(sa.select(runs.c.path, runs.c.status)).all())
    finally:
        alive.kill()
        alive.wait()
    assert len(closed) == 3
    assert states == {
        "alive": "running",
        "dead": "interrupted",
        "elsewhere-fresh": "running",
        "elsewhere-stale": "interrupted",
        "before-owners": "interrupted",
    }


def test_the_label_replaces_the_server_path(engine: sa.Engine, tmp_path: Path) -> None:
    folder = tmp_path / "openiru-upload-x1y2"
    folder.mkdir()
    path = _jsonl(folder / "export.jsonl", 20, {5: {"text": "nul\u0000"}})
    with path.open("a") as fh:
        fh.write("{broken\n")
    summary = ingest_path(engine, path, "generic", after_batch=(), label="export.jsonl")
    assert summary.posts == 20 and summary.problems and summary.repairs
    with engine.connect() as conn:
        run = conn.execute(sa.select(schema.import_runs)).one()
    assert run.path == "export.jsonl"
    assert str(folder) not in json.dumps(run.summary) and str(folder) not in json.dumps(summary.as_dict())
    assert all(p.startswith("export.jsonl:") for p in summary.problems + summary.repairs)


def test_the_migration_keeps_existing_rows(db_url: str) -> None:
    """A database made before ``0007_store_text`` keeps its rows; its runs get a status."""
    from alembic import command
    from alembic.script import ScriptDirectory

    from openiru.store.db import MIGRATIONS_DIR, alembic_config, make_engine, upgrade

    engine = make_engine(db_url)
    try:
        cfg = alembic_config(engine)
        for head in set(ScriptDirectory(str(MIGRATIONS_DIR)).get_heads()) - {"0007_store_text"}:
            command.upgrade(cfg, head)
        with engine.begin() as conn:
            conn.execute(
                sa.text(
                    "INSERT INTO accounts (platform, account_id, handle, status) "
                    "VALUES ('testnet', 'a1', 'alpha', 'unknown')"
                )
            )
            conn.execute(
                sa.text(
                    "INSERT INTO import_runs (path, format, platform, started_at, finished_at) "
                    "VALUES ('done.jsonl', 'generic', 'testnet', :t, :t), "
                    "('killed.jsonl', 'generic', 'testnet', :t, NULL)"
                ),
                {"t": T0},
            )
        upgrade(engine)
        with engine.begin() as conn:
            assert (
                conn.execute(sa.text("SELECT handle FROM accounts WHERE account_id = 'a1'")).scalar_one()
                == "alpha"
            )
            conn.execute(
                sa.insert(schema.accounts).values(
                    platform="testnet", account_id="z" * 300, handle="h" * 1000, status="unknown"
                )
            )
            statuses = dict(
                conn.execute(sa.select(schema.import_runs.c.path, schema.import_runs.c.status)).all()
            )
        assert statuses == {"done.jsonl": "finished", "killed.jsonl": None}
        ingest_source(engine, ListSource([]), after_batch=())  # the next import closes the old unfinished run
        with engine.connect() as conn:
            assert (
                conn.execute(
                    sa.select(schema.import_runs.c.status).where(schema.import_runs.c.path == "killed.jsonl")
                ).scalar_one()
                == "interrupted"
            )
    finally:
        engine.dispose()


def test_strict_stops_at_a_record_that_cannot_be_stored(engine: sa.Engine, tmp_path: Path) -> None:
    from openiru.errors import RecordError

    path = _jsonl(tmp_path / "posts.jsonl", 50, {30: {"post_id": "i" * 1200}})
    with pytest.raises(RecordError) as raised:
        ingest_path(engine, path, "generic", strict=True, after_batch=())
    assert raised.value.location == "post testnet/" + "i" * 57 + "..."
    assert "post id of 1200 bytes" in raised.value.reason
    assert _count(engine, schema.posts) == 29  # every record before it committed
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.import_runs.c.status)).scalar_one() == "aborted"


def test_many_bad_rows_in_one_batch_each_cost_only_itself(engine: sa.Engine) -> None:
    a = AccountKey("testnet", "a")
    records: list[Record] = [
        Post(PostKey("testnet", str(i)), a, T0, text=f"\ud800 {i}" if i % 10 == 3 else f"t {i}")
        for i in range(200)
    ]
    summary = ingest_source(engine, ListSource(records), after_batch=())
    assert summary.posts == 180 and summary.errors == {"the database refused it": 20}
    refused = sorted(int(p.split(":")[1].rsplit("/", 1)[1]) for p in summary.problems)
    assert refused == list(range(3, 200, 10))


def test_only_errors_of_the_data_are_retried_row_by_row() -> None:
    import sqlite3

    import psycopg

    from openiru.store.retry import row_error

    def wrapped(exc: Exception) -> sa.exc.DBAPIError:
        return sa.exc.DBAPIError.instance("INSERT", None, exc, sqlite3.Error)

    assert row_error(wrapped(sqlite3.IntegrityError("NOT NULL constraint failed")))
    assert row_error(wrapped(psycopg.errors.StringDataRightTruncation("value too long")))
    assert row_error(wrapped(psycopg.errors.ProgramLimitExceeded("index row size exceeds maximum")))
    assert row_error(wrapped(psycopg.DataError("PostgreSQL text fields cannot contain NUL (0x00) bytes")))
    assert row_error(UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"))
    assert not row_error(wrapped(sqlite3.OperationalError("database is locked")))
    assert not row_error(wrapped(sqlite3.OperationalError("disk I/O error")))
    assert not row_error(wrapped(psycopg.errors.AdminShutdown("terminating connection")))
    assert not row_error(wrapped(psycopg.errors.DiskFull("could not extend file")))
    assert not row_error(wrapped(psycopg.errors.UndefinedTable("relation does not exist")))
    assert not row_error(RuntimeError("a bug"))


def test_numbers_beyond_their_columns_are_dropped_and_the_record_kept(engine: sa.Engine) -> None:
    from openiru.model import Media

    a = AccountKey("testnet", "big")
    records: list[Record] = [
        Account(a, handle="big", followers=2**40),
        Post(
            PostKey("testnet", "m"),
            a,
            T0,
            text="media of an impossible size",
            media=[Media(url="https://example.org/a.jpg", size=2**70, mime="image/jpeg")],
        ),
    ]
    summary = ingest_source(engine, ListSource(records), after_batch=())
    assert summary.posts == 1 and not summary.errors
    assert summary.repaired == {"number out of range dropped": 2}
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.accounts.c.followers)).scalar_one() is None
        assert conn.execute(sa.select(schema.media.c.size, schema.media.c.mime)).one() == (None, "image/jpeg")


class _Breaks(ListSource):
    def __init__(self, records: list[Record], error: BaseException) -> None:
        super().__init__(records)
        self.error = error

    def records(self):  # type: ignore[no-untyped-def]
        yield from super().records()
        raise self.error


@pytest.mark.parametrize(
    ("error", "status"), [(RuntimeError("reader bug"), "failed"), (KeyboardInterrupt(), "interrupted")]
)
def test_a_run_that_stops_on_an_error_is_closed_with_its_status(
    engine: sa.Engine, error: BaseException, status: str
) -> None:
    posts: list[Record] = [
        Post(PostKey("testnet", str(i)), AccountKey("testnet", "a"), T0, text="t") for i in range(5)
    ]
    with pytest.raises(type(error)):
        ingest_source(engine, _Breaks(posts, error), after_batch=())
    with engine.connect() as conn:
        run = conn.execute(sa.select(schema.import_runs)).one()
    assert run.status == status and run.finished_at is not None and run.summary["posts"] == 5
    assert _count(engine, schema.posts) == 5  # what was read before the error is kept
