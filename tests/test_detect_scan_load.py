"""The scan's loading of posts and its alerts' context (issue 14: driver SQL, one statement per
platform) give the same ScanPosts and counts as the SQLAlchemy queries they replaced, on SQLite and
PostgreSQL."""

from __future__ import annotations

import importlib.util
import mimetypes
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.detect.evidence import Hit, ScanMedia, ScanPost, ScanResult
from openiru.model import utc
from openiru.services.collect.ingest import ingest_path
from openiru.services.detect.store import _REACH_SQL, _context, load_posts, write_results
from openiru.store import schema
from openiru.store import tables_detect as td

ROOT = Path(__file__).parent.parent
_spec = importlib.util.spec_from_file_location("ingest_benchmark_l", ROOT / "benchmarks" / "ingest.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def reference(conn: sa.Connection, keys: list[tuple[str, str]]) -> list[ScanPost]:
    """load_posts before issue 14 (SQLAlchemy Core, tuple IN)."""
    p, pm, m = schema.posts, schema.post_media, schema.media
    rows = conn.execute(
        sa.select(
            p.c.platform,
            p.c.post_id,
            p.c.account_id,
            p.c.text,
            p.c.urls,
            p.c.hashtags,
            p.c.timestamp,
            p.c.language,
        ).where(sa.tuple_(p.c.platform, p.c.post_id).in_(keys))
    ).all()
    by_key = {
        (r.platform, r.post_id): ScanPost(
            r.platform,
            r.post_id,
            r.account_id,
            r.text or "",
            list(r.urls or []),
            list(r.hashtags or []),
            [],
            utc(r.timestamp) if r.timestamp else None,
            r.language,
        )
        for r in rows
    }
    for r in conn.execute(
        sa.select(
            pm.c.platform,
            pm.c.post_id,
            m.c.media_key,
            m.c.sha256,
            m.c.md5,
            m.c.pdq,
            m.c.pdq_quality,
            m.c.path,
            m.c.mime,
        )
        .join(m, m.c.media_key == pm.c.media_key)
        .where(sa.tuple_(pm.c.platform, pm.c.post_id).in_(keys))
        .order_by(pm.c.platform, pm.c.post_id, pm.c.position)
    ):
        by_key[(r.platform, r.post_id)].media.append(
            ScanMedia(
                r.media_key,
                r.sha256,
                r.md5,
                r.pdq,
                r.pdq_quality,
                None,
                r.mime or mimetypes.guess_type(r.path or "")[0],
            )
        )
    return [by_key[k] for k in keys if k in by_key]


def test_loaded_posts_equal_the_sqlalchemy_query(engine: sa.Engine, tmp_path: Path) -> None:
    path = bench.write_twarc2(tmp_path / "t.jsonl", 400, seed=9)
    ingest_path(engine, path, "twarc2", after_batch=())
    with engine.begin() as conn:
        conn.execute(
            sa.insert(schema.posts).values(  # a second platform, odd text, no JSON lists
                platform="other",
                post_id="o1",
                account_id="a",
                timestamp=utc(bench.datetime(2024, 3, 1, 12, 0, 0, 5)),
                text="",
                language=None,
            )
        )
        keys = [
            (r.platform, r.post_id)
            for r in conn.execute(
                sa.select(schema.posts.c.platform, schema.posts.c.post_id).order_by(
                    schema.posts.c.post_id.desc()
                )
            )
        ]
        keys.insert(3, ("x", "missing"))
        got, want = load_posts(conn, keys), reference(conn, keys)
    assert got == want and len(got) == len(keys) - 1
    assert any(p.media for p in got) and any(p.urls for p in got) and any(p.hashtags for p in got)
    assert all(p.timestamp is not None and p.timestamp.tzinfo is not None for p in got)
    with engine.connect() as conn:
        assert load_posts(conn, []) == []


def reference_context(
    conn: sa.Connection, results: list[ScanResult]
) -> tuple[dict[tuple[str, str], int], dict[tuple[str, str], int], dict[tuple[str, str], int]]:
    """store._context before issue 14's driver SQL (SQLAlchemy Core, tuple IN)."""
    a, e, al = schema.accounts, schema.edges, td.detect_alerts
    accounts = list({(r.post.platform, r.post.account_id) for r in results})
    refs = list({(r.post.platform, "post:" + r.post.post_id) for r in results})
    followers = {
        (r.platform, r.account_id): r.followers or 0
        for r in conn.execute(
            sa.select(a.c.platform, a.c.account_id, a.c.followers).where(
                sa.tuple_(a.c.platform, a.c.account_id).in_(accounts)
            )
        )
    }
    reach = {
        (row[0], row[1][5:]): row[2]
        for row in conn.execute(
            sa.select(e.c.target_platform, e.c.target_ref, sa.func.count())
            .where(sa.tuple_(e.c.target_platform, e.c.target_ref).in_(refs))
            .group_by(e.c.target_platform, e.c.target_ref)
        )
    }
    alerts = {
        (row[0], row[1]): row[2]
        for row in conn.execute(
            sa.select(al.c.platform, al.c.account_id, sa.func.count())
            .where(sa.tuple_(al.c.platform, al.c.account_id).in_(accounts))
            .group_by(al.c.platform, al.c.account_id)
        )
    }
    return followers, reach, alerts


def test_alert_context_equals_the_sqlalchemy_queries(engine: sa.Engine, tmp_path: Path) -> None:
    """Followers, reach (edges to the post, through ix_edges_target_ref) and earlier alerts per
    account, read for an alert's priority, as the tuple-IN queries read them."""
    path = bench.write_twarc2(tmp_path / "t.jsonl", 400, seed=11)
    ingest_path(engine, path, "twarc2", after_batch=())
    p = schema.posts
    with engine.begin() as conn:
        keys = [(r.platform, r.post_id) for r in conn.execute(sa.select(p.c.platform, p.c.post_id))]
        results = [ScanResult(post, [Hit("term", 0.5)]) for post in load_posts(conn, keys)]
        write_results(conn, results[::3])  # alerts on a third of the posts: their accounts have some
        got, want = _context(conn, results), reference_context(conn, results)
        assert _context(conn, [ScanResult(post) for post in load_posts(conn, keys[:50])]) == ({}, {}, {})
    assert got == want
    followers, reach, alerts = got
    assert len(followers) > 100 and any(followers.values())
    assert len(reach) > 20 and max(reach.values()) > 1 and len(alerts) > 20
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            plan = conn.exec_driver_sql(
                "EXPLAIN QUERY PLAN "
                + _REACH_SQL.format(mark="?", keys="IN (SELECT value FROM json_each(?))"),
                ("x", '["post:1"]'),
            ).all()
        assert "ix_edges_target_ref" in str(plan), plan


def test_the_heap_is_frozen_only_while_the_scan_runs(sqlite_engine: sa.Engine, tmp_path: Path) -> None:
    """The objects alive when the batches start are kept out of the collector's passes during the
    scan (gc.freeze) and handed back at its end, also when a batch fails; a freeze the caller already
    holds is left as it is."""
    import gc

    from openiru.services.detect import banks, scan

    path = bench.write_twarc2(tmp_path / "t.jsonl", 60, seed=2)
    ingest_path(sqlite_engine, path, "twarc2", after_batch=())
    (tmp_path / "l.csv").write_text("term,language,kind,label\nbulletin mirror,en,term,x\n")
    banks.import_lexicon(sqlite_engine, tmp_path / "l.csv")
    frozen: list[int] = []
    summary = scan.scan(
        sqlite_engine, workers=1, batch_size=20, on_progress=lambda s: frozen.append(gc.get_freeze_count())
    )
    assert summary.posts > 40 and frozen[0] == 0 and min(frozen[1:]) > 1000 and gc.get_freeze_count() == 0

    def fail(s: scan.ScanSummary) -> None:
        if s.posts:
            raise RuntimeError("stop")

    with sqlite_engine.begin() as conn:
        conn.execute(sa.update(schema.posts).values(scanned_at=None))
    with pytest.raises(RuntimeError, match="stop"):
        scan.scan(sqlite_engine, workers=1, batch_size=20, on_progress=fail)
    assert gc.get_freeze_count() == 0
    # a freeze already in place (the API server's, for the process's life) outlives the scan
    with sqlite_engine.begin() as conn:
        conn.execute(sa.update(schema.posts).values(scanned_at=None))
    gc.freeze()
    try:
        before = gc.get_freeze_count()
        assert before > 1000
        scan.scan(sqlite_engine, workers=1, batch_size=20)
        assert gc.get_freeze_count() > before - 100  # still frozen (a few frozen objects may be freed)
    finally:
        gc.unfreeze()
