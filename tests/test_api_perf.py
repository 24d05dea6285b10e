"""The API's fast paths give what the plain paths give: the keyset triage page (PostgreSQL's
JSON and Python's), the stored key-accounts ranking shared by workers, the token cache."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa

from openiru.api import rankings
from openiru.services.access import auth
from openiru.services.detect import alerts as detect_alerts
from openiru.services.detect import triage as triage_queue
from openiru.store import schema
from openiru.store import tables_detect as td
from test_api_support import World, make_world

NOW = datetime(2026, 4, 1, 12, 0, 0, 250000, tzinfo=UTC)


def _alerts(engine: sa.Engine, n: int = 23) -> None:
    with engine.begin() as conn:
        for i in range(n):
            conn.execute(
                schema.posts.insert().values(
                    platform="x", post_id=str(i), account_id="a", text=f"Post {i}", timestamp=NOW, raw="{}"
                )
            )
            conn.execute(
                td.detect_alerts.insert().values(
                    platform="x",
                    post_id=str(i),
                    account_id="a",
                    status="open" if i % 5 else "confirmed",
                    priority=round((i % 4) / 4, 2),
                    strength=0.5,
                    created_at=NOW,
                    updated_at=NOW,
                    decided_at=NOW if i % 5 == 0 else None,
                )
            )
            for j in range(i % 3):
                conn.execute(
                    td.detect_hits.insert().values(
                        platform="x",
                        post_id=str(i),
                        matcher="term",
                        bank="lex",
                        item="it",
                        label=None,
                        term="placeholder" if j else None,
                        span_start=1 if j else None,
                        span_end=4 if j else None,
                        strength=0.1 * (j + 1),
                        suppressed=(i == 7 and j == 1),
                        detail={"extra": j, "term": "d"},
                        created_at=NOW,
                    )
                )


def _as_json(items: list[dict]) -> list[dict]:
    import pydantic

    return json.loads(pydantic.TypeAdapter(list).dump_json(items))


def test_keyset_queue_pages_match_list_alerts(engine: sa.Engine) -> None:
    _alerts(engine)
    assert triage_queue.fill_missing_cards(engine) == 23  # alerts written without cards
    assert triage_queue.fill_missing_cards(engine) == 0
    for status in ("open", "all"):
        expected = _as_json(detect_alerts.list_alerts(engine, limit=None, status=status))
        got: list[dict] = []
        cursor = None
        while True:
            rows = triage_queue.queue_rows(engine, limit=5, status=status, after=cursor)
            page = json.loads(triage_queue.page_json(rows, 4, lambda key: key))
            got += page["items"]
            if page["next_cursor"] is None:
                break
            cursor = tuple(page["next_cursor"])
        assert got == expected


def test_cards_follow_rescans_and_decisions(engine: sa.Engine) -> None:
    """A card is rewritten with the hits when the post is scanned again; a decision changes the
    item's live columns at once; a post decided without an alert gets a card."""
    _alerts(engine, 3)
    triage_queue.fill_missing_cards(engine)
    with engine.begin() as conn:  # a rescan replaced post 2's hits
        conn.execute(sa.delete(td.detect_hits).where(td.detect_hits.c.post_id == "2"))
        triage_queue.refresh_cards(conn, [("x", "2")])
    make_world(engine)  # users, among them "analyst"
    detect_alerts.decide(engine, "x:1", "reject", "research", actor="analyst")
    with engine.begin() as conn:
        conn.execute(
            schema.posts.insert().values(
                platform="x", post_id="new", account_id="a", text="Other", timestamp=NOW, raw="{}"
            )
        )
    detect_alerts.decide(engine, "x:new", "confirm", actor="analyst")
    rows = triage_queue.queue_rows(engine, limit=10, status="all")
    items = {i["id"]: i for i in json.loads(triage_queue.page_json(rows, 10, lambda k: k))["items"]}
    assert items == {
        i["id"]: i for i in _as_json(detect_alerts.list_alerts(engine, limit=None, status="all"))
    }
    assert items["x:2"]["hits"] == [] and items["x:1"]["status"] == "rejected"
    assert items["x:new"]["text"] == "Other" and items["x:new"]["timestamp"] == "2026-04-01T12:00:00.250000Z"


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


def test_triage_route_through_the_async_pool(engine: sa.Engine) -> None:
    """With the lifespan run (as under uvicorn), PostgreSQL pages come through the async pool,
    cards missing on read are built and stored; the pages equal ``list_alerts`` on both databases."""
    from starlette.testclient import TestClient

    world = make_world(engine)
    _alerts(engine)
    with TestClient(world.app, base_url="https://testserver") as client:  # runs the lifespan
        assert (world.app.state.read_pool is not None) == (engine.dialect.name == "postgresql")
        client.headers["Authorization"] = f"Bearer {world.tokens['analyst']}"
        items, cursor = [], ""
        while True:
            res = client.get(f"/api/v1/alerts?status=all&limit=4{cursor}")
            assert res.status_code == 200 and res.headers["content-type"] == "application/json"
            items += res.json()["items"]
            if not res.json()["next_cursor"]:
                break
            cursor = f"&cursor={res.json()['next_cursor']}"
        assert client.get("/api/v1/alerts?cursor=WzFd").status_code == 400
    assert items == _as_json(detect_alerts.list_alerts(engine, limit=None, status="all"))
    assert triage_queue.fill_missing_cards(engine) == 0  # the route stored the cards it built
    assert world.app.state.read_pool is None  # closed by the lifespan's end


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


def test_token_cache_refreshes_once_when_an_entry_expires(sqlite_engine: sa.Engine, monkeypatch) -> None:
    """An expired entry sends the first request to the database; the others keep the previous
    answer while it does (no burst of look-ups), but never past a second TTL."""
    world = make_world(sqlite_engine)
    token = world.tokens["analyst"]
    cache = auth.TokenCache(10)
    clock = [1000.0]
    monkeypatch.setattr(auth.time, "monotonic", lambda: clock[0])
    calls = []
    real = auth.token_user
    monkeypatch.setattr(auth, "token_user", lambda engine, tok: calls.append(tok) or real(engine, tok))
    assert cache.user(sqlite_engine, token).name == "analyst"  # type: ignore[union-attr]
    clock[0] += 11  # expired
    assert cache.peek(token) is None  # the first caller refreshes...
    assert cache.peek(token)[0].name == "analyst"  # type: ignore[index,union-attr]  # ...others wait on the old answer
    assert cache.peek(token) is not None
    cache.user(sqlite_engine, token)
    assert len(calls) == 2 and cache.peek(token) is not None
    clock[0] += 15  # expired again, within the grace
    assert cache.peek(token) is None and cache.peek(token) is not None  # one refresher again
    clock[0] += 100  # past the grace: nobody is served the old answer any more
    assert cache.peek(token) is None and cache.peek(token) is None


def test_key_accounts_pages_walk_the_whole_ranking(sqlite_engine: sa.Engine) -> None:
    """Pages of the cached ranking (rows kept as JSON bytes), followed by their cursors, give the
    service's ranking in order, per platform too; one account's score parses its row back."""
    from openiru.services.graph import analysis as graph_service
    from test_api_detect import _content

    world = make_world(sqlite_engine)
    _content(sqlite_engine)
    client = world.client("analyst")
    expected = _as_json(graph_service.key_accounts(sqlite_engine))
    for query, rows in (("", expected), ("&platform=x", [r for r in expected if r["platform"] == "x"])):
        got, cursor = [], ""
        while True:
            res = client.get(f"/api/v1/graph/key-accounts?limit=2{query}{cursor}")
            assert res.status_code == 200
            got += res.json()["items"]
            if not res.json()["next_cursor"]:
                break
            cursor = f"&cursor={res.json()['next_cursor']}"
        assert got == rows and len(got) >= 2
    last = expected[-1]
    score = client.get(
        f"/api/v1/graph/score?platform={last['platform']}&account_id={last['account_id']}"
    ).json()
    assert score == {**last, "rank": len(expected)}
    assert client.get("/api/v1/graph/key-accounts?cursor=WyJ4Il0").status_code == 400


def test_a_claim_kept_alive_by_heartbeats_and_a_dead_one_taken_over(engine: sa.Engine) -> None:
    import time as _time
    from datetime import timedelta

    assert rankings.claim_refresh(engine, "h")
    with engine.begin() as conn:  # the claimer went quiet a while ago...
        conn.execute(
            sa.update(rankings.api_rankings).values(
                refreshing_since=datetime.now(UTC) - rankings.CLAIM_EXPIRY + timedelta(seconds=1)
            )
        )
    with rankings.heartbeat(engine, "h", every=0.05):  # ...but is alive and renews its claim
        _time.sleep(0.3)
    with engine.connect() as conn:
        since = conn.execute(sa.select(rankings.api_rankings.c.refreshing_since)).scalar_one()
    assert datetime.now(UTC) - rankings.utc(since) < timedelta(seconds=5)
    assert not rankings.claim_refresh(engine, "h")
    with engine.begin() as conn:  # a claim not renewed for CLAIM_EXPIRY: its holder died
        conn.execute(
            sa.update(rankings.api_rankings).values(
                refreshing_since=datetime.now(UTC) - rankings.CLAIM_EXPIRY - timedelta(seconds=1)
            )
        )
    assert rankings.claim_refresh(engine, "h")


def test_served_app_freezes_startup_objects_and_settings_reach_workers(
    sqlite_engine: sa.Engine, monkeypatch
) -> None:
    import gc

    from starlette.testclient import TestClient

    from openiru.api.app import SETTINGS_ENV, app_from_env, create_app, settings_to_env
    from openiru.api.settings import ApiSettings

    gc.unfreeze()
    try:
        with TestClient(create_app(sqlite_engine, ApiSettings(freeze_gc=True))):
            assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
    with TestClient(create_app(sqlite_engine, ApiSettings())):
        assert gc.get_freeze_count() == 0  # the default (tests, embedding) leaves the collector alone
    settings = ApiSettings(freeze_gc=True, auth_cache_ttl=5.0, analytics_ttl=7.0)
    monkeypatch.setenv(SETTINGS_ENV, settings_to_env(settings))
    monkeypatch.setenv("OPENIRU_DB", str(sqlite_engine.url))
    served = app_from_env().state.settings  # what each `serve --workers N` process builds
    assert (served.freeze_gc, served.auth_cache_ttl, served.analytics_ttl) == (True, 5.0, 7.0)


def test_page_cache_serves_until_postgresql_notifies_a_change(engine: sa.Engine) -> None:
    """A held page is served again; a change committed by anyone (here another connection, as
    another worker or the CLI would) reaches every process by NOTIFY and the next page is fresh.
    On SQLite the cache is never live and every page is read."""
    import time as _time

    from starlette.testclient import TestClient

    from openiru.api.app import create_app
    from openiru.api.settings import ApiSettings

    make_world(engine)  # users and tokens
    _alerts(engine)
    triage_queue.fill_missing_cards(engine)  # (a page that stores cards changes the queue)
    world = World(engine, create_app(engine, ApiSettings(page_cache=True)))
    token = auth.create_token(engine, "analyst", "cache test")
    with TestClient(world.app, base_url="https://testserver") as client:
        client.headers["Authorization"] = f"Bearer {token}"
        cache = world.app.state.page_cache
        deadline = _time.monotonic() + 10
        while engine.dialect.name == "postgresql" and not cache.live and _time.monotonic() < deadline:
            _time.sleep(0.05)
        assert cache.live == (engine.dialect.name == "postgresql")
        first = client.get("/api/v1/alerts?limit=3").content
        assert client.get("/api/v1/alerts?limit=3").content == first
        assert cache.hits == (1 if cache.live else 0)
        top = json.loads(first)["items"][0]["post"]["post_id"]
        with engine.begin() as conn:  # a decision made elsewhere
            conn.execute(
                sa.update(td.detect_alerts).where(td.detect_alerts.c.post_id == top).values(status="rejected")
            )
        deadline = _time.monotonic() + 10
        while True:
            page = json.loads(client.get("/api/v1/alerts?limit=3").content)
            if top not in [a["post"]["post_id"] for a in page["items"]] or _time.monotonic() > deadline:
                break
            _time.sleep(0.05)
        assert top not in [a["post"]["post_id"] for a in page["items"]]
        assert page["items"] == _as_json(detect_alerts.list_alerts(engine, limit=3))
        generation = cache.generation
        second = page["items"][0]["id"]
        res = client.post("/api/v1/decisions", json={"post": second, "decision": "confirm"})
        assert res.status_code == 200, res.text
        assert cache.generation > generation  # dropped by this process at once, not by NOTIFY only
        assert second not in [a["id"] for a in client.get("/api/v1/alerts?limit=3").json()["items"]]
    assert not cache.live  # the lifespan's end stopped listening


def test_page_cache_reads_a_missing_page_once_for_concurrent_requests() -> None:
    import asyncio

    from openiru.api.page_cache import PageCache

    async def scenario() -> tuple[int, list[bytes], int, bytes, bytes | None]:
        cache = PageCache()
        cache.live = True  # as once listening
        calls, gate = [], asyncio.Event()

        async def load() -> bytes:
            calls.append(cache.generation)
            await gate.wait()
            return b"page %d" % len(calls)

        waiting = [asyncio.ensure_future(cache.fetch("k", load)) for _ in range(10)]
        await asyncio.sleep(0)
        waiting[0].cancel()  # a client that went away does not cancel the read for the others
        gate.set()
        bodies = await asyncio.gather(*waiting[1:])
        first_calls = len(calls)
        cache.changed()  # a change: the held page is dropped, the next request reads again
        again = await cache.fetch("k", load)
        stale_read = asyncio.ensure_future(cache.fetch("j", load))
        await asyncio.sleep(0)
        cache.changed()  # changed while "j" was being read: that read is not kept
        await stale_read
        return first_calls, bodies, len(calls), again, cache.get("j")

    first_calls, bodies, total, again, kept = asyncio.run(scenario())
    assert first_calls == 1 and set(bodies) == {b"page 1"}
    assert again == b"page 2" and total == 3 and kept is None
