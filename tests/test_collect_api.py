"""The watchlist over the API (/api/v1/watch): unit roles read it, admins and analysts change it;
internal servers refused as on the command line; bad targets a one-line 400; discovery of a
Rocket.Chat server's channels; a target added over the API is collected by ``collect --once``."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from collect_support import FakeServer
from openiru.services.collect.scheduler import Scheduler
from test_api_support import World, make_world


@pytest.fixture
def world(sqlite_engine: sa.Engine) -> World:
    return make_world(sqlite_engine)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    with FakeServer() as server:
        monkeypatch.setenv("OPENIRU_FETCH_ALLOW", server.host)
        monkeypatch.setenv("OPENIRU_ROCKETCHAT_USER", "collector")
        monkeypatch.setenv("OPENIRU_ROCKETCHAT_PASSWORD", "s3cret-pass-word")
        yield server


def test_roles_add_list_pause_remove(world: World, fake: FakeServer) -> None:
    analyst, approver = world.client("analyst"), world.client("approver")
    body = {"connector": "mastodon", "target": "public", "server": fake.url, "every": "1h", "label": "circle"}
    assert approver.post("/api/v1/watch", json=body).status_code == 403
    assert world.client().get("/api/v1/watch").status_code == 401
    assert world.client("provider").get("/api/v1/watch").status_code == 403
    made = analyst.post("/api/v1/watch", json=body)
    assert made.status_code == 201, made.text
    target = made.json()
    assert (target["connector"], target["every_s"], target["label"], target["added_by"]) == (
        "mastodon",
        3600,
        "circle",
        "analyst",
    )
    assert [t["id"] for t in approver.get("/api/v1/watch").json()["items"]] == [target["id"]]
    paused = analyst.post(f"/api/v1/watch/{target['id']}/pause", json={"paused": True}).json()
    assert paused["paused"] is True
    assert (
        analyst.post(f"/api/v1/watch/{target['id']}/pause", json={"paused": False}).json()["paused"] is False
    )
    assert analyst.delete(f"/api/v1/watch/{target['id']}").status_code == 204
    assert analyst.delete(f"/api/v1/watch/{target['id']}").status_code == 404
    assert approver.get("/api/v1/watch").json()["items"] == []
    with world.engine.connect() as conn:  # each change audited with its actor
        entries = conn.execute(
            sa.text("select actor, action from audit_log where object_type = 'watch_target' order by seq")
        ).all()
    assert [tuple(e) for e in entries] == [
        ("analyst", "watch.add"),
        ("analyst", "watch.pause"),
        ("analyst", "watch.resume"),
        ("analyst", "watch.remove"),
    ]


def test_refusals_are_one_line_400s(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENIRU_FETCH_ALLOW", raising=False)
    admin = world.client("admin")
    internal = admin.post(
        "/api/v1/watch", json={"connector": "mastodon", "target": "public", "server": "http://127.0.0.1:9"}
    )
    assert internal.status_code == 400 and "OPENIRU_FETCH_ALLOW" in internal.text
    bad = admin.post(
        "/api/v1/watch", json={"connector": "mastodon", "target": "tag:", "server": "https://fedi.example"}
    )
    assert bad.status_code == 400 and "expected public, local" in bad.text
    unknown = admin.post("/api/v1/watch", json={"connector": "myspace", "target": "x"})
    assert unknown.status_code == 400
    assert admin.get("/api/v1/watch").json()["items"] == []


def test_added_over_the_api_then_collected_and_discovered(
    world: World, fake: FakeServer, sqlite_engine: sa.Engine
) -> None:
    fake.add_statuses(range(1, 30))
    analyst = world.client("analyst")
    assert (
        analyst.post(
            "/api/v1/watch", json={"connector": "mastodon", "target": "public", "server": fake.url}
        ).status_code
        == 201
    )
    assert [r.new_posts for r in Scheduler(sqlite_engine).run_due()] == [29]
    listed = analyst.get("/api/v1/watch").json()["items"]
    assert listed[0]["last_status"] == "ok" and listed[0]["next_due_at"]
    found = analyst.post("/api/v1/watch/discover", json={"server": fake.url, "add": True, "every": "2h"})
    assert found.status_code == 200, found.text
    assert len(found.json()["items"]) == 130
    assert len(analyst.get("/api/v1/watch", params={"limit": 500}).json()["items"]) == 131


def test_suggestions_over_the_api_and_one_click_each(world: World, sqlite_engine: sa.Engine) -> None:
    from test_collect_suggest import seed

    seed(sqlite_engine)
    analyst = world.client("analyst")
    assert (
        analyst.post("/api/v1/watch", json={"connector": "x", "target": "user:harbor_light"}).status_code
        == 201
    )
    items = analyst.get("/api/v1/watch/suggestions", params={"kind": "successor"}).json()["items"]
    assert [(i["kind"], i["target"]) for i in items] == [("successor", "user:harbor_light_2")]
    assert world.client("provider").get("/api/v1/watch/suggestions").status_code == 403
    assert analyst.get("/api/v1/watch/suggestions", params={"kind": "nobody"}).status_code in (400, 422)
    pick = {k: items[0][k] for k in ("connector", "target", "server")}
    assert analyst.post("/api/v1/watch", json=pick).status_code == 201  # accepted with one call
    assert analyst.get("/api/v1/watch/suggestions", params={"kind": "successor"}).json()["items"] == []
