"""Loading the store into graph arrays in chunks gives the same arrays and the same ranking (issue 14).

``load_graph`` reads posts and edges in chunks of raw column values (timestamps and JSON lists
converted per chunk).  The reference here reads them the plain way, every row at once through
SQLAlchemy's own type processing (aware datetimes, decoded JSON), and hands them to the same
``assemble``; on a store with reposts, replies, quotes, forwards, URLs, hashtag sets, mentions,
media, near-duplicate texts, two platforms and microsecond timestamps, every array, every content
label and the key-account ranking must be identical, with chunks much smaller than the store.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pytest
import sqlalchemy as sa

from openiru.graph.assemble import EdgeRow, PostRow, assemble
from openiru.graph.ranking import rank_accounts
from openiru.services.graph import load
from openiru.store import schema

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
WORDS = [f"word{i}" for i in range(60)] + ["reported", "claims", "d43sh", "news"]


def _fill(engine: sa.Engine, n_posts: int = 600, seed: int = 4) -> None:
    rng = np.random.default_rng(seed)
    accounts = [(("x", "mastodon")[k % 2], f"a{k}") for k in range(40)]
    campaign = [" ".join(rng.choice(WORDS, 12)) for _ in range(6)]
    posts: list[dict[str, Any]] = []
    edges: list[dict[str, Any]] = []
    post_media: list[dict[str, Any]] = []
    for k in range(n_posts):
        platform, aid = accounts[int(rng.zipf(1.7)) % len(accounts)]
        at = T0 + timedelta(
            seconds=float(rng.uniform(0, 30 * 86400)), microseconds=int(rng.integers(0, 10**6))
        )
        kind = int(rng.integers(0, 7))
        text = (
            campaign[k % 6] + (f" extra{k}" if k % 3 else "") if kind == 1 else " ".join(rng.choice(WORDS, 9))
        )
        row: dict[str, Any] = {
            "platform": platform,
            "post_id": f"p{k}",
            "account_id": aid,
            "timestamp": at,
            "text": text,
            "raw": "",
            "urls": None,
            "hashtags": None,
            "mentions": None,
        }
        earlier = [q for q in posts if q["platform"] == platform]
        target = earlier[int(rng.integers(0, len(earlier)))] if earlier else None
        if target is not None and kind in (2, 3, 4):
            ref = ("repost_of", "reply_to", "quote_of")[kind - 2]
            row[ref] = target["post_id"]
            edges.append(
                {
                    "platform": platform,
                    "post_id": row["post_id"],
                    "kind": ref.split("_")[0],
                    "target_ref": f"post:{target['post_id']}",
                    "source_account_id": aid,
                    "target_platform": platform,
                    "target_account_id": target["account_id"],
                    "time": at,
                }
            )
        if kind == 5:
            row["forward_from"] = "chan" if k % 2 else None
            row["forward_from_name"] = None if k % 2 else "Channel Name"
        if rng.random() < 0.3:
            row["urls"] = [f"https://www.site{int(rng.integers(0, 5))}.example/a?utm_source=x&id={k % 7}"]
        if rng.random() < 0.4:
            row["hashtags"] = [f"#Tag{int(rng.integers(0, 4))}", f"tag{int(rng.integers(0, 4))}"]
        if rng.random() < 0.2:
            other = accounts[int(rng.integers(0, len(accounts)))]
            row["mentions"] = [other[1]]
            edges.append(
                {
                    "platform": platform,
                    "post_id": row["post_id"],
                    "kind": "mention",
                    "target_ref": other[1],
                    "source_account_id": aid,
                    "target_platform": platform,
                    "target_account_id": other[1] if other[0] == platform else None,
                    "time": at,
                }
            )
        if rng.random() < 0.1:
            post_media.append(
                {
                    "platform": platform,
                    "post_id": row["post_id"],
                    "position": 0,
                    "media_key": f"sha256:{k % 4:064x}",
                }
            )
        posts.append(row)
    columns = [
        c.name
        for c in schema.posts.c
        if c.name
        in {
            "platform",
            "post_id",
            "account_id",
            "timestamp",
            "text",
            "raw",
            "urls",
            "hashtags",
            "mentions",
            "reply_to",
            "repost_of",
            "quote_of",
            "forward_from",
            "forward_from_name",
        }
    ]
    with engine.begin() as conn:
        conn.execute(
            sa.insert(schema.accounts),
            [
                {
                    "platform": p,
                    "account_id": a,
                    "handle": f"h_{a}",
                    "followers": 10 * k,
                    "status": "active",
                    "first_seen": T0 + timedelta(days=k),
                }
                for k, (p, a) in enumerate(accounts)
            ],
        )
        conn.execute(
            sa.insert(schema.media),
            [{"media_key": f"sha256:{i:064x}", "sha256": f"{i:064x}", "missing": False} for i in range(4)],
        )
        conn.execute(sa.insert(schema.posts), [{c: r.get(c) for c in columns} for r in posts])
        conn.execute(sa.insert(schema.edges), edges)
        conn.execute(sa.insert(schema.post_media), post_media)
        for column in ("urls", "hashtags", "mentions"):  # SQL NULL, as the store writes a missing list
            conn.execute(sa.text(f"UPDATE posts SET {column} = NULL WHERE CAST({column} AS TEXT) = 'null'"))


def _reference_rows(engine: sa.Engine) -> tuple[list[PostRow], list[EdgeRow]]:
    """Posts and edges the plain way: all rows at once, SQLAlchemy's types (datetimes, JSON)."""
    p, e = schema.posts, schema.edges
    with engine.connect() as conn:
        posts = [
            PostRow(
                r.platform,
                r.post_id,
                r.account_id,
                r.timestamp,
                r.text or "",
                r.urls,
                r.hashtags,
                r.reply_to,
                r.repost_of,
                r.quote_of,
                r.forward_from,
                r.forward_from_name,
                r.mentions or (),
            )
            for r in conn.execute(sa.select(p).order_by(p.c.timestamp)).all()
        ]
        edges = [
            EdgeRow(r.platform, r.source_account_id, r.target_platform, r.target_account_id, r.kind, r.time)
            for r in conn.execute(sa.select(e).where(e.c.target_account_id.is_not(None))).all()
        ]
    return posts, edges


def _arrays(obj: Any) -> dict[str, Any]:
    """Fields as lists, NaN (a missing time) written as None so that equal arrays compare equal."""
    return {
        k: ([None if x != x else x for x in v.tolist()] if isinstance(v, np.ndarray) else v)
        for k, v in vars(obj).items()
    }


def test_chunked_load_gives_the_same_arrays_and_ranking(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fill(engine)
    captured: dict[str, Any] = {}

    def spy(accounts: Any, posts: Any, edges: Any, *rest: Any) -> Any:
        captured["rest"], captured["accounts"] = rest, list(accounts)
        return assemble(captured["accounts"], posts, edges, *rest)

    monkeypatch.setattr(load, "READ_CHUNK", 37)  # many chunks, the last one partial
    monkeypatch.setattr(load, "assemble", spy)
    import gc

    assert gc.isenabled()
    data = load.load_graph(engine)
    assert gc.isenabled()  # the cycle collector paused for the load only
    ref_posts, ref_edges = _reference_rows(engine)
    reference = assemble(captured["accounts"], ref_posts, ref_edges, *captured["rest"])
    assert len(data.posts) == 600 and len(data.edges) == len(ref_edges) > 100
    assert _arrays(data.posts) == _arrays(reference.posts)
    assert _arrays(data.edges) == _arrays(reference.edges)
    assert _arrays(data.accounts) == _arrays(reference.accounts)
    assert _arrays(data.content) == _arrays(reference.content)
    assert len(set(data.content.labels)) > 50 and any(lb.startswith("similar:") for lb in data.content.labels)
    ranking, expected = rank_accounts(data), rank_accounts(reference)
    assert ranking.order.tolist() == expected.order.tolist()
    assert ranking.score.tolist() == expected.score.tolist()
    assert ranking.role == expected.role
    assert ranking.community.tolist() == expected.community.tolist()
