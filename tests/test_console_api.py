"""The console's read-only API (/api/v1/console): filtered triage queue with total and keyset
paging, people by key, account search, network, account links and time series."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from openiru.store import schema
from test_api_support import make_world

LEXICON = (
    b"term,language,kind,label\nAshen Lantern Order,en,outlet,Fictional Org\nVelmor,fr,term,Fictional Org\n"
)


def _world(engine: sa.Engine):  # type: ignore[no-untyped-def]
    world = make_world(engine)
    start = datetime(2026, 4, 1, 12, tzinfo=UTC)
    with engine.begin() as conn:
        for platform, n in (("x", 6), ("telegram", 3)):
            for acc in range(1, n + 1):
                conn.execute(
                    schema.accounts.insert().values(
                        platform=platform,
                        account_id=f"{platform}{acc}",
                        handle=f"Lantern_{platform}_{acc}",
                        display_name=f"Keeper {acc}",
                        status="active",
                    )
                )
        for i in range(30):
            platform = "x" if i % 3 else "telegram"
            n = 6 if platform == "x" else 3
            text = f"Bulletin {i} of the Ashen Lantern Order" if i % 2 else f"Nouvelles de Velmor {i}"
            conn.execute(
                schema.posts.insert().values(
                    platform=platform,
                    post_id=str(100 + i),
                    account_id=f"{platform}{1 + i % n}",
                    text=text,
                    language="en" if i % 2 else "fr",
                    timestamp=start + timedelta(days=i),
                    raw="{}",
                )
            )
            conn.execute(
                schema.edges.insert().values(
                    platform=platform,
                    post_id=str(100 + i),
                    kind="mention",
                    target_ref="m",
                    source_account_id=f"{platform}{1 + i % n}",
                    target_platform=platform,
                    target_account_id=f"{platform}{1 + (i + 1) % n}",
                    time=start + timedelta(days=i),
                )
            )
    analyst = world.client("analyst")
    assert (
        analyst.post(
            "/api/v1/lexicons/lex/import", files={"file": ("lexicon.csv", LEXICON, "text/csv")}
        ).status_code
        == 200
    )
    assert analyst.post("/api/v1/scan").json()["alerts"] == 30
    return world, analyst


def test_triage_filters_total_and_keyset_paging(sqlite_engine: sa.Engine) -> None:
    world, analyst = _world(sqlite_engine)
    everything = analyst.get("/api/v1/console/alerts?limit=500").json()
    assert everything["total"] == 30 and everything["next_cursor"] is None
    # the same queue as /api/v1/alerts, in the same order
    plain = analyst.get("/api/v1/alerts?limit=500").json()["items"]
    assert [a["id"] for a in everything["items"]] == [a["id"] for a in plain]
    # pages of 7 put together are the whole queue, each page carrying the total
    ids, cursor = [], None
    while True:
        page = analyst.get("/api/v1/console/alerts?limit=7" + (f"&cursor={cursor}" if cursor else "")).json()
        assert page["total"] == 30
        ids += [a["id"] for a in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert ids == [a["id"] for a in everything["items"]]
    # authors come with their handles and names
    first = everything["items"][0]
    assert first["account"]["handle"].startswith("Lantern_") and first["account"]["display_name"]
    # filters: platform, language, signal, bank, score, time
    tg = analyst.get("/api/v1/console/alerts?platform=telegram").json()
    assert tg["total"] == 10 and {a["post"]["platform"] for a in tg["items"]} == {"telegram"}
    fr = analyst.get("/api/v1/console/alerts?language=fr&limit=500").json()
    assert fr["total"] == 15 and all("Velmor" in a["text"] for a in fr["items"])
    assert analyst.get("/api/v1/console/alerts?signal=term").json()["total"] == 30
    assert analyst.get("/api/v1/console/alerts?signal=pdq").json()["total"] == 0
    assert analyst.get("/api/v1/console/alerts?bank=lex").json()["total"] == 30
    since = "2026-04-11T00:00:00Z"
    window = analyst.get(f"/api/v1/console/alerts?since={since}&until=2026-04-21T00:00:00Z").json()
    assert window["total"] == 10
    top = everything["items"][0]["priority"]
    assert analyst.get(f"/api/v1/console/alerts?min_score={top}").json()["total"] >= 1
    assert analyst.get(f"/api/v1/console/alerts?min_score={min(top + 0.01, 1)}").json()["total"] == 0
    # decided alerts leave the open queue and appear under their status
    assert (
        analyst.post("/api/v1/decisions", json={"post": first["id"], "decision": "confirm"}).status_code
        == 200
    )
    assert analyst.get("/api/v1/console/alerts").json()["total"] == 29
    assert [a["id"] for a in analyst.get("/api/v1/console/alerts?status=confirmed").json()["items"]] == [
        first["id"]
    ]
    facets = analyst.get("/api/v1/console/alert-facets").json()
    assert facets["platforms"] == ["telegram", "x"] and facets["languages"] == ["en", "fr"]
    assert analyst.get("/api/v1/console/alerts?cursor=bad").status_code == 400
    assert world.client("provider").get("/api/v1/console/alerts").status_code == 403


def test_people_and_account_search(sqlite_engine: sa.Engine) -> None:
    _world_, analyst = _world(sqlite_engine)
    res = analyst.get(
        "/api/v1/console/people?key=x:x2&key=telegram:telegram1&key=x:nobody&profile=true"
    ).json()
    x2, tg1, nobody = res["items"]
    assert x2["handle"] == "Lantern_x_2" and x2["posts"] == 5 and x2["first_post"]
    assert tg1["display_name"] == "Keeper 1" and nobody.get("unknown") is True
    found = analyst.get("/api/v1/console/accounts?q=LANTERN_X").json()
    assert {a["account_id"] for a in found["items"]} == {f"x{i}" for i in range(1, 7)}
    assert analyst.get("/api/v1/console/accounts?q=keeper 3").json()["items"][0]["display_name"] == "Keeper 3"
    # LIKE wildcards in the search text are literal
    assert analyst.get("/api/v1/console/accounts?q=%25").json()["items"] == []
    assert len(analyst.get("/api/v1/console/accounts?q=_x_").json()["items"]) == 6
    page1 = analyst.get("/api/v1/console/accounts?limit=4").json()
    page2 = analyst.get(f"/api/v1/console/accounts?limit=4&cursor={page1['next_cursor']}").json()
    page3 = analyst.get(f"/api/v1/console/accounts?limit=4&cursor={page2['next_cursor']}").json()
    keys = [(a["platform"], a["account_id"]) for p in (page1, page2, page3) for a in p["items"]]
    assert len(keys) == 9 == len(set(keys)) and page3["next_cursor"] is None


def test_network_links_and_time_series(sqlite_engine: sa.Engine) -> None:
    world, analyst = _world(sqlite_engine)
    net = analyst.get("/api/v1/console/network").json()
    assert len(net["nodes"]) == 8 and net["accounts_in_window"] == 8  # telegram3 never interacts
    ids = {n["id"] for n in net["nodes"]}
    assert all(e["source"] in ids and e["target"] in ids for e in net["edges"])
    assert sum(e["count"] for e in net["edges"]) == 30
    assert {n["handle"] for n in net["nodes"]} >= {"Lantern_x_1", "Lantern_telegram_1"}
    only_tg = analyst.get("/api/v1/console/network?platform=telegram").json()
    assert {n["platform"] for n in only_tg["nodes"]} == {"telegram"}
    early = analyst.get("/api/v1/console/network?until=2026-04-05T00:00:00Z").json()
    assert sum(e["count"] for e in early["edges"]) == 4
    hood = analyst.get("/api/v1/console/neighbourhood?platform=x&account_id=x1").json()
    assert {n["display_name"] for n in hood["nodes"]} >= {"Keeper 1"}
    links = analyst.get("/api/v1/console/account-links?platform=x&account_id=x1").json()
    assert set(links) >= {"predecessors", "successors", "other_platforms", "coordination", "referrals"}
    assert analyst.get("/api/v1/console/account-links?platform=x&account_id=nobody").status_code == 404
    ts = analyst.get("/api/v1/console/timeseries").json()
    assert sum(d["flagged_posts"] for d in ts["days"]) == 30
    assert sum(d["alerts"] for d in ts["days"]) == 30
    weekly = ts["posts_per_week"]
    assert sum(sum(v) for v in weekly["platforms"].values()) == 30 and set(weekly["platforms"]) == {
        "x",
        "telegram",
    }
    assert all(datetime.fromisoformat(w).weekday() == 0 for w in weekly["weeks"])
    april = analyst.get(
        "/api/v1/console/timeseries?since=2026-04-01T00:00:00Z&until=2026-04-08T00:00:00Z"
    ).json()
    assert sum(sum(v) for v in april["posts_per_week"]["platforms"].values()) == 7
    assert world.client("auditor").get("/api/v1/console/timeseries").status_code == 200
    assert world.client("provider").get("/api/v1/console/network").status_code == 403
