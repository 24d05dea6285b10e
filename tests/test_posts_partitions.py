"""The posts table partitioned by time on real PostgreSQL (skipped where unreachable):
conversion, partitions ahead by the scheduler's job, the DEFAULT partition, retention; SQLite
says in one line that partitioning is PostgreSQL's."""

from __future__ import annotations

import json
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from openiru import cli
from openiru.cli import app
from openiru.errors import ConfigError, PermissionDenied
from openiru.model import AccountKey, Mention, Post, PostKey
from openiru.services.access import audit
from openiru.services.access.users import add_user
from openiru.services.collect.ingest import ingest_source
from openiru.services.collect.scheduler import Scheduler
from openiru.services.detect import banks as detect_banks
from openiru.services.detect import scan as detect_scan
from openiru.services.workers import partitions
from openiru.store.db import open_database
from source_support import ListSource
from test_api_support import make_world

NOW = datetime(2026, 3, 15, 12, 0, tzinfo=UTC)
FLAGGED = "a notice: meet at the northern gate"


def _posts(start: datetime = datetime(2026, 1, 3, 9, 0, tzinfo=UTC), n: int = 30) -> list[Any]:
    """n posts every 2.4 days from 3 January 2026: January, February and March."""
    out = []
    for i in range(n):
        text = FLAGGED if i % 4 == 0 else f"an ordinary post number {i}"
        out.append(
            Post(
                PostKey("testnet", f"p{i}"),
                AccountKey("testnet", f"a{i % 5}"),
                start + timedelta(hours=i * 58),
                text=text,
                mentions=[Mention(account_id=f"a{(i + 1) % 5}")],
            )
        )
    return out


def _run(*args: str, now: datetime = NOW) -> tuple[int, str]:
    done = CliRunner().invoke(app, list(args), env={"OPENIRU_NOW": now.isoformat()})
    return done.exit_code, done.output


def _main(
    args: list[str], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    """``openiru ARGS`` as the console script runs it (errors as one line); (status, stderr)."""
    monkeypatch.setattr(sys, "argv", ["openiru", *args])
    code = 0
    try:
        cli.main()
    except SystemExit as exc:
        code = int(exc.code or 0)
    return code, capsys.readouterr().err


def _rows(engine: sa.Engine, sql: str) -> list[tuple[Any, ...]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(sa.text(sql)).all()]


def _where(engine: sa.Engine) -> dict[str, str]:
    """Each post id's partition."""
    return dict(_rows(engine, "SELECT post_id, tableoid::regclass::text FROM posts"))  # type: ignore[arg-type]


HITS = "SELECT platform, post_id, matcher, term, span_start, span_end FROM detect_hits ORDER BY 1, 2, 3, 4, 5"


@pytest.fixture
def pg(pg_url: str, tmp_path: Path) -> Any:
    engine = open_database(pg_url)
    ingest_source(engine, ListSource(_posts()), after_batch=())
    lexicon = tmp_path / "lex.csv"
    lexicon.write_text("term,language,kind,label\nnorthern gate,en,term,org\n", encoding="utf-8")
    detect_banks.import_lexicon(engine, lexicon)
    yield engine, pg_url
    engine.dispose()


def test_convert_keeps_every_row_and_scans_alike(
    pg: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, url = pg
    first = detect_scan.scan(engine, workers=1)
    assert first.posts == 30 and first.hits == 8
    before = {t: _rows(engine, f"SELECT count(*) FROM {t}") for t in ("posts", "edges", "detect_alerts")}
    hits_before = _rows(engine, HITS)
    client = make_world(engine).client("analyst")
    pages = ("/api/v1/alerts?limit=50", "/api/v1/posts?limit=50", "/api/v1/accounts/testnet/a1")
    seen = [client.get(page).json() for page in pages]
    assert len(seen[0]["items"]) == 8 and len(seen[1]["items"]) == 30 and seen[2]["posts"] == 6
    code, out = _run("db", "partition", "--ahead", "2", "--db", url, "--json")
    done = json.loads(out)
    assert code == 0 and done["converted"] and done["rows"] == 30
    assert done["created"] == [f"posts_m2026_0{m}" for m in (1, 2, 3, 4, 5)] and done["ahead"] == 2
    assert sorted(done["indexes"]) == ["ix_posts_account", "ix_posts_timestamp"]
    assert _rows(engine, "SELECT relkind FROM pg_class WHERE relname = 'posts'") == [("p",)]
    where = _where(engine)
    assert (where["p0"], where["p14"], where["p29"]) == ("posts_m2026_01", "posts_m2026_02", "posts_m2026_03")
    assert {t: _rows(engine, f"SELECT count(*) FROM {t}") for t in before} == before
    assert [client.get(page).json() for page in pages] == seen  # triage, posts, account page alike
    # every partition carries the parent's indexes
    assert len(_rows(engine, "SELECT 1 FROM pg_indexes WHERE tablename = 'posts_m2026_02'")) == 3
    # re-import adds nothing; a rescan on the partitioned table gives the same hits
    assert ingest_source(engine, ListSource(_posts()), after_batch=()).posts == 0
    assert _rows(engine, "SELECT count(*) FROM posts") == [(30,)]
    again = detect_scan.scan(engine, rescan=True, workers=1)
    assert again.posts == 30 and _rows(engine, HITS) == hits_before
    # a new post goes to its month and is scanned like the others
    new = Post(PostKey("testnet", "new"), AccountKey("testnet", "a9"), NOW, text=FLAGGED)
    ingest_source(engine, ListSource([new]), after_batch=())
    assert _where(engine)["new"] == "posts_m2026_03" and detect_scan.scan(engine, workers=1).hits == 1
    # idempotent; db check reports the partitioning
    code, out = _run("db", "partition", "--ahead", "2", "--db", url, "--json")
    assert code == 0 and json.loads(out)["created"] == [] and not json.loads(out)["converted"]
    code, out = _run("db", "check", "--db", url, "--json")
    check = json.loads(out)
    assert code == 0 and check["ok"] and check["missing_indexes"] == []
    assert check["posts_partitioning"] == {
        "partitioned": True,
        "supported": True,
        "interval": "month",
        "partitions": 5,
        "ahead": 2,
        "default_rows": 0,
    }
    code, out = _run("db", "check", "--db", url)
    assert code == 0 and "posts: partitioned by month, 5 partitions, 2 ahead, 0 rows in posts_default" in out
    code, err = _main(["db", "partition", "--interval", "week", "--db", url], capsys, monkeypatch)
    assert code == 1 and err == "error: posts is partitioned by month, not by week\n"


def test_partitions_ahead_are_created_once_by_two_concurrent_job_runs(pg: Any) -> None:
    engine, _url = pg
    partitions.partition(engine, "month", 1, now=lambda: NOW)  # January to April
    later = datetime(2026, 6, 20, tzinfo=UTC)  # June: June and three ahead are due
    [job] = partitions.jobs(engine, None)
    assert job.name == "posts-partitions" and job.every_s == 86400
    start, results = threading.Barrier(2), {}

    def run(holder: str) -> None:
        start.wait()
        results[holder] = Scheduler(engine, clock=lambda: later, holder=holder).run_jobs([job])[0]

    threads = [threading.Thread(target=run, args=(h,)) for h in ("host-a:1", "host-b:2")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ran = [r for r in results.values() if r.ran]
    assert len(ran) == 1 and ran[0].error is None  # once across the two, under the job's lease
    assert ran[0].result["created"] == [
        "posts_m2026_06",
        "posts_m2026_07",
        "posts_m2026_08",
        "posts_m2026_09",
    ]
    # without the lease too, two runs at once never create a partition twice (advisory lock)
    results2: dict[int, Any] = {}
    again = datetime(2026, 8, 2, tzinfo=UTC)
    go = threading.Barrier(2)

    def direct(i: int) -> None:
        go.wait()
        results2[i] = partitions.ensure_ahead(engine, 3, now=lambda: again)

    pair = [threading.Thread(target=direct, args=(i,)) for i in (0, 1)]
    for t in pair:
        t.start()
    for t in pair:
        t.join()
    assert sorted(results2[0]["created"] + results2[1]["created"]) == ["posts_m2026_10", "posts_m2026_11"]
    names = [
        r[0]
        for r in _rows(engine, "SELECT relname FROM pg_class WHERE relname LIKE 'posts_m%' AND relkind = 'r'")
    ]
    assert len(names) == len(set(names)) == 10  # January to November, May never made (not asked for)
    assert partitions.status(engine, now=lambda: again)["ahead"] == 3


def test_a_post_far_ahead_lands_in_default_and_moves_out_with_its_partition(pg: Any) -> None:
    engine, _url = pg
    partitions.partition(engine, "month", 1, now=lambda: NOW)
    far = Post(
        PostKey("testnet", "far"),
        AccountKey("testnet", "a1"),
        datetime(2026, 9, 10, tzinfo=UTC),
        text=FLAGGED,
    )
    ingest_source(engine, ListSource([far]), after_batch=())
    assert _where(engine)["far"] == "posts_default"
    assert partitions.status(engine, now=lambda: NOW)["default_rows"] == 1
    done = partitions.ensure_ahead(engine, 1, now=lambda: datetime(2026, 8, 5, tzinfo=UTC))
    assert done["created"] == ["posts_m2026_08", "posts_m2026_09"] and done["moved_from_default"] == 1
    assert _where(engine)["far"] == "posts_m2026_09"
    assert _rows(engine, "SELECT count(*) FROM posts_default") == [(0,)]
    assert _rows(engine, "SELECT count(*) FROM posts") == [(31,)]
    # a back-filled old post lands in DEFAULT too; `db partition` gives it its month
    old = Post(
        PostKey("testnet", "old"), AccountKey("testnet", "a1"), datetime(2025, 11, 2, tzinfo=UTC), text="x"
    )
    ingest_source(engine, ListSource([old]), after_batch=())
    assert _where(engine)["old"] == "posts_default"
    done = partitions.partition(engine, None, 1, now=lambda: datetime(2026, 8, 5, tzinfo=UTC))
    assert done["created"] == ["posts_m2025_11"] and _where(engine)["old"] == "posts_m2025_11"


def test_retention_drops_the_oldest_partition_with_its_dependents_audited(
    pg: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, url = pg
    detect_scan.scan(engine, workers=1)
    partitions.partition(engine, "month", 1, now=lambda: NOW)
    stray = Post(
        PostKey("testnet", "stray"),
        AccountKey("testnet", "a1"),
        datetime(2019, 1, 1, tzinfo=UTC),
        text=FLAGGED,
    )
    ingest_source(engine, ListSource([stray]), after_batch=())  # in DEFAULT, never dropped
    add_user(engine, "root", "admin")
    add_user(engine, "ana", "analyst")
    january = [r[0] for r in _rows(engine, "SELECT post_id FROM posts_m2026_01")]
    assert len(january) == 12
    per_table = "SELECT count(*) FROM {t} WHERE post_id IN ({ids})"
    ids = ", ".join(f"'{p}'" for p in january)
    dependents = {
        t: _rows(engine, per_table.format(t=t, ids=ids))[0][0]
        for t in ("edges", "detect_hits", "detect_alerts", "detect_post_tokens")
    }
    assert dependents["edges"] == 12 and dependents["detect_hits"] == dependents["detect_alerts"] == 3
    total = {t: _rows(engine, f"SELECT count(*) FROM {t}")[0][0] for t in dependents}
    with pytest.raises(PermissionDenied):
        partitions.retention(engine, "ana", 40, now=lambda: NOW)
    # 40 days before 15 March: 4 February; February reaches past it and is kept
    code, out = _run(
        "db", "retention", "--older-than", "40", "--dry-run", "--as", "root", "--db", url, "--json"
    )
    dry = json.loads(out)
    assert code == 0 and [(d["name"], d["rows"]) for d in dry["dropped"]] == [("posts_m2026_01", 12)]
    assert (
        _rows(engine, "SELECT count(*) FROM posts") == [(31,)]
        and audit.entries(engine, "posts_partition") == []
    )
    code, out = _run("db", "retention", "--older-than", "40", "--as", "root", "--db", url)
    assert code == 0 and "dropped 1 partitions" in out and "posts_m2026_01" in out
    assert _rows(engine, "SELECT count(*) FROM posts") == [(19,)]
    assert "posts_m2026_01" not in set(_where(engine).values()) and _where(engine)["stray"] == "posts_default"
    after = {t: _rows(engine, f"SELECT count(*) FROM {t}")[0][0] for t in dependents}
    assert after == {t: total[t] - dependents[t] for t in dependents}
    assert _rows(engine, per_table.format(t="detect_hits", ids=ids)) == [(0,)]
    [entry] = audit.entries(engine, "posts_partition")
    assert entry["actor"] == "root" and entry["action"] == "posts.partition.drop"
    assert entry["object_id"] == "posts_m2026_01" and entry["details"]["rows"] == 12
    assert entry["details"]["from"].startswith("2026-01-01") and entry["details"]["to"].startswith(
        "2026-02-01"
    )
    assert entry["details"]["dependents"]["detect_hits"] == 3
    assert audit.verify(engine).ok
    # nothing more to drop; even a cutoff past everything keeps DEFAULT and the partitions it reaches
    assert partitions.retention(engine, "root", 40, now=lambda: NOW)["dropped"] == []
    far = partitions.retention(engine, "root", 1, now=lambda: datetime(2026, 5, 10, tzinfo=UTC))
    assert [d["name"] for d in far["dropped"]] == ["posts_m2026_02", "posts_m2026_03", "posts_m2026_04"]
    assert {
        r[0]
        for r in _rows(engine, "SELECT relname FROM pg_class WHERE relname LIKE 'posts_%' AND relkind = 'r'")
    } == {"posts_default"}
    code, err = _main(
        ["db", "retention", "--older-than", "0", "--as", "root", "--db", url], capsys, monkeypatch
    )
    assert code == 2 and "--older-than" in err


def test_the_daily_retention_job_needs_the_setting_and_an_actor(
    pg: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _url = pg
    assert [j.name for j in partitions.jobs(engine, "root")] == ["posts-partitions"]
    monkeypatch.setenv("OPENIRU_POSTS_RETENTION_DAYS", "40")
    assert [j.name for j in partitions.jobs(engine, None)] == ["posts-partitions"]
    add_user(engine, "root", "admin")
    jobs = {j.name: j for j in partitions.jobs(engine, "root")}
    assert jobs["posts-retention"].fn(NOW) == {"skipped": "posts is not partitioned"}
    partitions.partition(engine, "month", 1, now=lambda: NOW)
    assert [d["name"] for d in jobs["posts-retention"].fn(NOW)["dropped"]] == ["posts_m2026_01"]
    monkeypatch.setenv("OPENIRU_POSTS_RETENTION_DAYS", "soon")
    with pytest.raises(ConfigError, match="OPENIRU_POSTS_RETENTION_DAYS"):
        partitions.jobs(engine, "root")


def test_sqlite_says_partitioning_is_postgresqls(
    sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for args in (["db", "partition"], ["db", "retention", "--older-than", "30", "--as", "root"]):
        code, err = _main([*args, "--db", sqlite_url], capsys, monkeypatch)
        assert code == 1 and err == f"error: {partitions.SQLITE_MESSAGE}\n"
    code, out = _run("db", "check", "--db", sqlite_url, "--json")
    assert code == 0 and json.loads(out)["posts_partitioning"] == {"partitioned": False, "supported": False}
    engine = open_database(sqlite_url)
    assert partitions.jobs(engine, "root") == [] and partitions.ensure_ahead(engine)["skipped"]
    engine.dispose()
