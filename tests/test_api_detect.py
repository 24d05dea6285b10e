"""Detection and analytics through the API: lexicon upload, scan, triage queue, decisions, evidence,
key accounts and an account's neighbourhood."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from openiru.store import schema
from test_api_support import make_world


def _content(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        for acc in ("1", "2", "3"):
            conn.execute(
                schema.accounts.insert().values(
                    platform="x", account_id=acc, handle=f"h{acc}", status="active"
                )
            )
        for i in range(1, 7):
            text = f"Bulletin {i} of the Ashen Lantern Order" if i % 2 else f"Weather report {i}"
            conn.execute(
                schema.posts.insert().values(
                    platform="x",
                    post_id=str(i),
                    account_id=str(1 + i % 3),
                    text=text,
                    timestamp=datetime(2026, 4, i, tzinfo=UTC),
                    raw="{}",
                )
            )
            conn.execute(
                schema.edges.insert().values(
                    platform="x",
                    post_id=str(i),
                    kind="mention",
                    target_ref="1",
                    source_account_id=str(1 + i % 3),
                    target_platform="x",
                    target_account_id="1",
                    time=datetime(2026, 4, i, tzinfo=UTC),
                )
            )


def test_upload_scan_triage_decide(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    _content(sqlite_engine)
    analyst = world.client("analyst")
    csv = b"term,language,kind,label\nAshen Lantern Order,en,outlet,Fictional Org\n"
    res = analyst.post(
        "/api/v1/lexicons/test-lexicon/import", files={"file": ("lexicon.csv", csv, "text/csv")}
    )
    assert res.status_code == 200, res.text
    assert analyst.post("/api/v1/scan").json()["alerts"] == 3
    first = analyst.get("/api/v1/alerts?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = analyst.get(f"/api/v1/alerts?limit=2&cursor={first['next_cursor']}").json()
    ids = [a["id"] for a in first["items"] + rest["items"]]
    assert sorted(ids) == ["x:1", "x:3", "x:5"] and rest["next_cursor"] is None
    ev = analyst.get("/api/v1/evidence/x/1").json()
    assert ev["status"] == "open" and ev["hits"][0]["term"].lower() == "ashen lantern order"
    assert analyst.get("/api/v1/evidence/x/2").json()["hits"] == []
    res = analyst.post("/api/v1/decisions", json={"post": "x:1", "decision": "confirm"})
    assert res.status_code == 200 and res.json()["status"] == "confirmed"
    res = analyst.post(
        "/api/v1/decisions", json={"post": "x:3", "decision": "reject", "reason": "journalism"}
    )
    assert res.json()["exemption"] == "journalism"
    assert [a["id"] for a in analyst.get("/api/v1/alerts").json()["items"]] == ["x:5"]
    # approvers read the queue but do not decide
    approver = world.client("approver")
    assert approver.get("/api/v1/alerts").status_code == 200
    assert approver.post("/api/v1/decisions", json={"post": "x:5", "decision": "confirm"}).status_code == 403
    assert "journalism" in analyst.get("/api/v1/alerts/reasons").json()["items"]


def test_key_accounts_score_and_neighbourhood(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    _content(sqlite_engine)
    client = world.client("analyst")
    ranked = client.get("/api/v1/graph/key-accounts?limit=2").json()
    assert len(ranked["items"]) == 2 and ranked["next_cursor"]
    assert {"platform", "account_id", "score", "evidence"} <= set(ranked["items"][0])
    top = ranked["items"][0]
    score = client.get(f"/api/v1/graph/score?platform=x&account_id={top['account_id']}").json()
    assert score["rank"] == 1 and score["score"] == top["score"]
    hood = client.get("/api/v1/graph/neighbourhood?platform=x&account_id=1").json()
    centre = [n for n in hood["nodes"] if n["center"]]
    assert centre[0]["account_id"] == "1" and len(hood["nodes"]) == 3
    assert {e["target"] for e in hood["edges"]} == {"x:1"}
    assert client.get("/api/v1/graph/neighbourhood?platform=x&account_id=404").status_code == 404
