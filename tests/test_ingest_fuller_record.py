"""A post met twice keeps its fuller description; edges resolve in chunks.

An X tweet is often first seen inside another page's ``includes.tweets`` (referenced by
a retweet) without its media objects or with its text cut short, and later as a
top-level tweet of its own.  Whatever the order, in one batch or across batches, on
SQLite and PostgreSQL, the stored post must end as the fuller record, with its media
links and edges, and a re-run must change nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from openiru.services.collect.ingest import ingest_source
from openiru.sources.twitter import TwitterV2Source
from openiru.store import schema
from openiru.store.resolve import resolve_edges

ORIGINAL, RETWEET, OTHER = "1763504450565046274", "1763505708856246275", "1763519550059446276"
AUTHOR, RETWEETER = "1600000000000000001", "1600000000000000002"
FULL_TEXT = "Placeholder bulletin number one, the whole text of it with @acct3 named"
SHORT_TEXT = "Placeholder bulletin number one, the whole…"


def _user(uid: str, name: str) -> dict[str, Any]:
    return {"id": uid, "username": name, "name": name.title(), "created_at": "2023-01-01T00:00:00.000Z"}


def _original(full: bool) -> dict[str, Any]:
    tweet: dict[str, Any] = {
        "id": ORIGINAL,
        "author_id": AUTHOR,
        "created_at": "2024-03-01T10:00:00.000Z",
        "text": FULL_TEXT if full else SHORT_TEXT,
        "lang": "en",
    }
    if full:
        tweet["attachments"] = {"media_keys": ["3_1"]}
        tweet["entities"] = {
            "mentions": [{"start": 52, "end": 58, "username": "acct3", "id": "1600000000000000003"}]
        }
    return tweet


def _included_page() -> dict[str, Any]:
    """A retweet at the top level; the original only in includes, short and without media."""
    retweet = {
        "id": RETWEET,
        "author_id": RETWEETER,
        "created_at": "2024-03-01T11:00:00.000Z",
        "text": f"RT @author: {SHORT_TEXT}",
        "referenced_tweets": [{"type": "retweeted", "id": ORIGINAL}],
    }
    return {
        "data": [retweet],
        "includes": {
            "users": [_user(AUTHOR, "author"), _user(RETWEETER, "relay")],
            "tweets": [_original(full=False)],
        },
        "meta": {"result_count": 1},
    }


def _top_level_page() -> dict[str, Any]:
    """The original at the top level, whole, with its photo."""
    other = {
        "id": OTHER,
        "author_id": RETWEETER,
        "created_at": "2024-03-01T12:00:00.000Z",
        "text": "Neutral note",
    }
    media = {"media_key": "3_1", "type": "photo", "url": "https://pbs.twimg.com/media/placeholder1.jpg"}
    return {
        "data": [_original(full=True), other],
        "includes": {"users": [_user(AUTHOR, "author")], "media": [media]},
        "meta": {"result_count": 2},
    }


def _write(path: Path, *pages: dict[str, Any]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in pages))
    return path


def _stored(engine: sa.Engine) -> tuple[Any, list[str], set[tuple[str, str]]]:
    p, m, e = schema.posts, schema.post_media, schema.edges
    with engine.connect() as conn:
        post = conn.execute(sa.select(p.c.text, p.c.raw).where(p.c.post_id == ORIGINAL)).one()
        media = [
            r[0]
            for r in conn.execute(
                sa.select(m.c.media_key).where(m.c.post_id == ORIGINAL).order_by(m.c.position)
            )
        ]
        edges = {
            (r[0], r[1])
            for r in conn.execute(sa.select(e.c.kind, e.c.target_ref).where(e.c.post_id == ORIGINAL))
        }
    return post, media, edges


def _table_rows(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (schema.posts, schema.post_media, schema.edges, schema.media, schema.accounts)
        }


def _check_fuller(engine: sa.Engine) -> None:
    (text, raw), media, edges = _stored(engine)
    assert text == FULL_TEXT
    assert orjson.loads(raw)["attachments"] == {"media_keys": ["3_1"]}
    assert media == ["url:https://pbs.twimg.com/media/placeholder1.jpg"]
    assert edges == {("mention", "1600000000000000003")}


def test_included_first_then_top_level_across_batches(engine: sa.Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.jsonl", _included_page(), _top_level_page())
    summary = ingest_source(engine, TwitterV2Source(path), batch_size=2, after_batch=())
    _check_fuller(engine)
    assert summary.posts == 3  # the original counted once, though written twice
    with engine.connect() as conn:  # the retweet's edge still finds the original's author
        target = conn.execute(
            sa.select(schema.edges.c.target_account_id).where(
                schema.edges.c.post_id == RETWEET, schema.edges.c.kind == "repost"
            )
        ).scalar_one()
    assert target == AUTHOR
    before = _table_rows(engine)
    again = ingest_source(engine, TwitterV2Source(path), batch_size=2, after_batch=())
    assert again.posts == 0 and _table_rows(engine) == before  # a re-run changes nothing
    _check_fuller(engine)


def test_included_first_then_top_level_in_one_batch(engine: sa.Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.jsonl", _included_page(), _top_level_page())
    summary = ingest_source(engine, TwitterV2Source(path), after_batch=())
    _check_fuller(engine)
    assert summary.posts == 3


def test_top_level_first_is_kept_when_met_again_in_includes(engine: sa.Engine, tmp_path: Path) -> None:
    path = _write(tmp_path / "x.jsonl", _top_level_page(), _included_page())
    for batch_size in (2, 5000):  # across batches, then a re-run in one batch
        ingest_source(engine, TwitterV2Source(path), batch_size=batch_size, after_batch=())
        _check_fuller(engine)
    assert _table_rows(engine)["posts"] == 3


def test_edges_resolve_in_chunks_as_in_one_pass(engine: sa.Engine, tmp_path: Path) -> None:
    """Retweets of tweets written later: the post-targeted edges are left to resolve_edges."""
    pages = []
    for k in range(30):
        original = {
            "id": str(1763504450565046274 + 1000 + k),
            "author_id": f"16000000000000001{k:02d}",
            "created_at": "2024-03-01T10:00:00.000Z",
            "text": f"Neutral item {k}",
        }
        retweet = {
            "id": str(1763504450565046274 + k),
            "author_id": RETWEETER,
            "created_at": "2024-03-01T11:00:00.000Z",
            "text": f"Repost {k}",
            "referenced_tweets": [{"type": "retweeted", "id": original["id"]}],
        }
        pages.append({"data": [retweet], "includes": {"users": [_user(RETWEETER, "relay")]}})
        pages.append({"data": [original]})
    path = _write(tmp_path / "x.jsonl", *pages[::2], *pages[1::2])  # every retweet before any original
    ingest_source(engine, TwitterV2Source(path), batch_size=10_000_000, after_batch=())
    e = schema.edges
    with engine.begin() as conn:
        want = dict(conn.execute(sa.select(e.c.post_id, e.c.target_account_id)).all())
        assert len(want) == 30 and all(want.values())
        conn.execute(sa.update(e).values(target_account_id=None))
    with engine.connect() as conn:
        assert resolve_edges(conn, ["x"], chunk=4, commit=True) == 30
    with engine.connect() as conn:
        assert dict(conn.execute(sa.select(e.c.post_id, e.c.target_account_id)).all()) == want
