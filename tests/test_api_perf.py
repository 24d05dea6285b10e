"""The API's fast paths give what the plain paths give: the keyset triage page (PostgreSQL's
JSON and Python's), the stored key-accounts ranking shared by workers, the token cache."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa

from openiru.api import rankings
from openiru.services import auth, detect_alerts
from openiru.store import schema
from openiru.store import tables_detect as td
from test_api_support import make_world

NOW = datetime(2026, 4, 1, 12, 0, 0, 250000, tzinfo=UTC)


def _alerts(engine: sa.Engine, n: int = 23) -> None:
    with engine.begin() as conn:
        for i in range(n):
            conn.execute(schema.posts.insert().values(platform="x", post_id=str(i), account_id="a", text=f"Post {i}",
                                                      timestamp=NOW, raw="{}"))
            conn.execute(td.detect_alerts.insert().values(
                platform="x", post_id=str(i), account_id="a", status="open" if i % 5 else "confirmed",
                priority=round((i % 4) / 4, 2), strength=0.5, created_at=NOW, updated_at=NOW,
                decided_at=NOW if i % 5 == 0 else None))
            for j in range(i % 3):
                conn.execute(td.detect_hits.insert().values(
                    platform="x", post_id=str(i), matcher="term", bank="lex", item="it", label=None,
                    term="placeholder" if j else None, span_start=1 if j else None, span_end=4 if j else None,
                    strength=0.1 * (j + 1), suppressed=(i == 7 and j == 1), detail={"extra": j, "term": "d"},
                    created_at=NOW))


def _as_json(items: list[dict]) -> list[dict]:
    import pydantic

    return json.loads(pydantic.TypeAdapter(list).dump_json([{k: v for k, v in a.items() if k != "_key"}
                                                            for a in items]))


def test_keyset_queue_pages_match_list_alerts(engine: sa.Engine) -> None:
    _alerts(engine)
    for status in ("open", "all"):
        expected = _as_json(detect_alerts.list_alerts(engine, limit=None, status=status))
        got: list[dict] = []
        after = None
        while True:
            page = detect_alerts.alert_queue_page(engine, limit=4, status=status, after=after)
            built = detect_alerts.alert_queue_page_json(engine, limit=4, status=status, after=after)
            if built is not None:
                assert [json.loads(t) for _, t in built] == _as_json(page)
                assert [k for k, _ in built] == [a["_key"] for a in page]
            got += _as_json(page)
            if len(page) < 4:
                break
            after = page[-1]["_key"]
        assert got == expected


def test_triage_route_pages_through_the_queue(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    _alerts(sqlite_engine)
    client = world.client("analyst")
    ids, cursor = [], ""
    while True:
        res = client.get(f"/api/v1/alerts?limit=5{cursor}").json()
        ids += [a["id"] for a in res["items"]]
        if not res["next_cursor"]:
            break
        cursor = f"&cursor={res['next_cursor']}"
    assert ids == [a["id"] for a in detect_alerts.list_alerts(sqlite_engine, limit=None)]
    assert client.get("/api/v1/alerts?cursor=WzFd").status_code == 400  # a position is no key


def test_stored_ranking_and_refresh_claim(engine: sa.Engine) -> None:
    assert rankings.load(engine, "r") is None
    assert rankings.claim_refresh(engine, "r")  # first computation claims by inserting
    assert rankings.load(engine, "r") is None and not rankings.claim_refresh(engine, "r")
    rankings.save(engine, "r", [{"platform": "x", "account_id": "1", "score": 0.5}])
    age, rows = rankings.load(engine, "r")  # type: ignore[misc]
    assert rows == [{"platform": "x", "account_id": "1", "score": 0.5}] and 0 <= age < 60
    assert rankings.claim_refresh(engine, "r") and not rankings.claim_refresh(engine, "r")
    rankings.release(engine, "r")
    assert rankings.claim_refresh(engine, "r")


def test_token_cache_remembers_and_forgets_on_revocation(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    cache = auth.TokenCache(60)
    token = world.tokens["analyst"]
    assert cache.user(sqlite_engine, token).name == "analyst"  # type: ignore[union-attr]
    with sqlite_engine.begin() as conn:  # changed behind the cache's back: remembered for the TTL
        conn.execute(sa.update(schema.users).values(role="auditor"))
    assert cache.user(sqlite_engine, token).role == "analyst"  # type: ignore[union-attr]
    assert cache.peek(token) is not None and cache.peek("oiru_unknown") is None
    [tok] = auth.list_tokens(sqlite_engine, "analyst")
    auth.revoke_token(sqlite_engine, "analyst", int(tok["id"]))  # type: ignore[call-overload]
    assert cache.peek(token) is None and cache.user(sqlite_engine, token) is None
    assert auth.TokenCache(0).user(sqlite_engine, world.tokens["admin"]) is not None
