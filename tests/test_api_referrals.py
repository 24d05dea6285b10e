"""Referrals through the API: four-eyes, sending, the provider portal, tenant isolation, deconfliction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.referral.providers import ProviderInfo
from openiru.services.referral.providers import save_provider
from openiru.store import schema
from test_api_support import World, make_world


def seed_content(world: World) -> None:
    engine = world.engine
    for name in ("Provider One", "Provider Two"):
        save_provider(engine, "admin", ProviderInfo(name=name, platforms=["testnet"], languages=["fr", "en"]))
    with engine.begin() as conn:
        conn.execute(
            schema.accounts.insert().values(
                platform="testnet", account_id="100", handle="outlet", status="active"
            )
        )
        for i in range(1, 4):
            conn.execute(
                schema.posts.insert().values(
                    platform="testnet",
                    post_id=str(i),
                    account_id="100",
                    text=f"placeholder text {i}",
                    timestamp=datetime(2026, 2, i, tzinfo=UTC),
                    raw="{}",
                )
            )


def _world(engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    w = make_world(engine)
    seed_content(w)
    return w


@pytest.fixture
def world(sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    return _world(sqlite_engine, tmp_path, monkeypatch)


@pytest.fixture
def world_both(engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """Tenant isolation runs on SQLite and PostgreSQL."""
    return _world(engine, tmp_path, monkeypatch)


def _refer(world: World, target: str, provider: str) -> int:
    res = world.client("analyst").post(
        "/api/v1/referrals", json={"targets": [target], "reason": "placeholder reason", "provider": provider}
    )
    assert res.status_code == 201, res.text
    [ref] = res.json()["referrals"]
    assert ref["state"] in ("draft", "on_hold") and ref["provider"] == provider
    return int(ref["id"])


def _sent(world: World, target: str, provider: str) -> int:
    rid = _refer(world, target, provider)
    assert world.client("approver").post(f"/api/v1/referrals/{rid}/approve").json()["state"] == "approved"
    res = world.client("approver").post(f"/api/v1/referrals/{rid}/send", json={"channel": "portal"})
    assert res.status_code == 200, res.text
    assert res.json()["state"] == "sent"
    return rid


def test_four_eyes_send_and_provider_answer(world: World) -> None:
    rid = _refer(world, "testnet:1", "Provider One")
    own = world.client("analyst").post(f"/api/v1/referrals/{rid}/approve")
    assert own.status_code in (403, 409) and own.json()["error"]["code"] in ("forbidden", "conflict")
    # not sent yet: invisible to the provider
    assert world.client("provider").get(f"/api/v1/portal/referrals/{rid}").status_code == 404
    assert world.client("approver").post(f"/api/v1/referrals/{rid}/approve").status_code == 200
    assert world.client("approver").post(f"/api/v1/referrals/{rid}/send", json={}).json()["state"] == "sent"

    portal = world.client("provider")
    page = portal.get("/api/v1/portal/referrals").json()
    assert [r["id"] for r in page["items"]] == [rid]
    view = page["items"][0]
    assert "history" not in view and "created_by" not in view and "approved_by" not in view
    assert view["deadline"] and view["items"][0]["key"] == "testnet:1"
    assert portal.get("/api/v1/portal/me").json()["language"] == "fr"
    ev = portal.get(f"/api/v1/portal/referrals/{rid}/evidence").json()["items"]
    raw = [e for e in ev if e["kind"] == "raw"]
    assert raw and len(raw[0]["sha256"]) == 64
    res = portal.get(f"/api/v1/portal/referrals/{rid}/evidence/{raw[0]['id']}")
    assert res.status_code == 200 and res.headers["content-type"] == "application/octet-stream"
    assert b"placeholder text 1" in res.content
    assert portal.post(f"/api/v1/portal/referrals/{rid}/acknowledge").json()["state"] == "acknowledged"
    res = portal.post(f"/api/v1/portal/referrals/{rid}/answer", json={"outcome": "removed"})
    assert res.status_code == 200 and res.json()["state"] == "removed"
    full = world.client("admin").get(f"/api/v1/referrals/{rid}").json()
    assert [h["to"] for h in full["history"]][-2:] == ["acknowledged", "removed"]
    assert full["time_to_removal_s"] is not None


def test_provider_cannot_reach_another_providers_referral(world_both: World) -> None:
    world = world_both
    mine = _sent(world, "testnet:1", "Provider One")
    theirs = _sent(world, "testnet:2", "Provider Two")
    other = world.client("provider2")
    assert [r["id"] for r in other.get("/api/v1/portal/referrals").json()["items"]] == [theirs]
    for path in (
        f"/api/v1/portal/referrals/{mine}",
        f"/api/v1/portal/referrals/{mine}/evidence",
        f"/api/v1/portal/referrals/{mine}/evidence/1",
    ):
        res = other.get(path)
        assert res.status_code == 404, path
    for path, body in (
        (f"/api/v1/portal/referrals/{mine}/acknowledge", None),
        (f"/api/v1/portal/referrals/{mine}/answer", {"outcome": "removed"}),
    ):
        assert other.post(path, json=body).status_code == 404
    # unknown and other-tenant ids look the same
    assert other.get("/api/v1/portal/referrals/999999").json() == {
        "error": {"code": "not_found", "message": "no referral 999999"}
    }
    assert other.get(f"/api/v1/portal/referrals/{mine}").json()["error"]["message"] == f"no referral {mine}"
    assert world.client("admin").get(f"/api/v1/referrals/{mine}").json()["state"] == "sent"
    # providers never reach the unit's referral routes
    assert other.get(f"/api/v1/referrals/{mine}").status_code == 403


def test_liaison_sees_only_the_existence_of_other_agencies_holds(world: World) -> None:
    north, south = world.client("liaison"), world.client("liaison2")
    res = north.post(
        "/api/v1/deconfliction",
        json={"kind": "account", "value": "testnet:@100", "investigation_ref": "OP-NORTH-7"},
    )
    assert res.status_code == 201, res.text
    entry_id = res.json()["id"]
    mine = north.get("/api/v1/deconfliction").json()
    assert mine["items"][0]["investigation_ref"] == "OP-NORTH-7" and mine["other_holds"] == 0
    theirs = south.get("/api/v1/deconfliction").json()
    assert theirs["items"] == [] and theirs["other_holds"] == 1
    assert "OP-NORTH-7" not in str(theirs)
    assert south.delete(f"/api/v1/deconfliction/{entry_id}").status_code == 404
    # a referral touching the entry goes on hold; only the owner agency can release it
    rid = _refer(world, "testnet:@100", "Provider One")
    assert world.client("admin").get(f"/api/v1/referrals/{rid}").json()["state"] == "on_hold"
    assert "OP-NORTH-7" not in str(south.get("/api/v1/deconfliction/notifications").json())
    assert south.post(f"/api/v1/referrals/{rid}/release", json={}).status_code == 403
    res = north.post(f"/api/v1/referrals/{rid}/release", json={"reason": "cleared"})
    assert res.status_code == 200 and set(res.json()) == {"id", "state"}
    assert res.json()["state"] == "draft"


def test_referral_list_pages_with_a_cursor(world: World) -> None:
    ids = [_refer(world, f"testnet:{i}", "Provider One") for i in (1, 2, 3)]
    client = world.client("approver")
    first = client.get("/api/v1/referrals?limit=2").json()
    assert [r["id"] for r in first["items"]] == ids[:2] and first["next_cursor"]
    second = client.get(f"/api/v1/referrals?limit=2&cursor={first['next_cursor']}").json()
    assert [r["id"] for r in second["items"]] == ids[2:] and second["next_cursor"] is None
