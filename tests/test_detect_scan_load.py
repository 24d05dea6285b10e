"""The scan's loading of posts (issue 14: driver SQL, one statement per platform) gives the same
ScanPosts as the SQLAlchemy query it replaced, on SQLite and PostgreSQL."""

from __future__ import annotations

import importlib.util
import mimetypes
from pathlib import Path

import sqlalchemy as sa

from openiru.detect.evidence import ScanMedia, ScanPost
from openiru.model import utc
from openiru.services.collect.ingest import ingest_path
from openiru.services.detect.store import load_posts
from openiru.store import schema

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
