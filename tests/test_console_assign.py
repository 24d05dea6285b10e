"""Triage assignment: claim alerts or hand them to a colleague (console API and CLI), filter the
queue by assignee, lift an assignment; the alert itself (status, card) does not change, and
every change is in the audit log.  Also the statistics' migration and emerging-domain weeks
cut to the page's range, and a referral's evidence file served only while its hash holds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from typer.testing import CliRunner

from openiru.cli import app
from openiru.services.access import audit
from openiru.services.access.users import add_user
from openiru.services.console.series import weeks_in_range
from test_console_api import _world


def test_assign_claim_filter_and_lift(sqlite_engine: sa.Engine) -> None:
    world, analyst = _world(sqlite_engine)
    add_user(sqlite_engine, "analyst2", "analyst")
    queue = analyst.get("/api/v1/console/alerts?limit=500").json()
    assert queue["total"] == 30
    assert all(a["assigned_to"] is None and a["assigned_at"] is None for a in queue["items"])
    ids = [a["id"] for a in queue["items"]]
    before = analyst.get("/api/v1/alerts?limit=500").json()["items"]
    # claim three, hand two to a colleague
    res = analyst.post("/api/v1/console/assign", json={"posts": ids[:3], "to": "me"})
    assert res.status_code == 200, res.text
    assert res.json()["assigned_to"] == "analyst" and res.json()["posts"] == ids[:3]
    assert (
        analyst.post("/api/v1/console/assign", json={"posts": ids[3:5], "to": "analyst2"}).status_code == 200
    )
    mine = analyst.get("/api/v1/console/alerts?assigned=me&limit=500").json()
    assert mine["total"] == 3 and [a["id"] for a in mine["items"]] == ids[:3]
    assert {a["assigned_to"] for a in mine["items"]} == {"analyst"}
    assert all(a["assigned_by"] == "analyst" and a["assigned_at"] for a in mine["items"])
    assert analyst.get("/api/v1/console/alerts?assigned=analyst2").json()["total"] == 2
    assert analyst.get("/api/v1/console/alerts?assigned=any").json()["total"] == 5
    assert analyst.get("/api/v1/console/alerts?assigned=none").json()["total"] == 25
    # re-assigning moves them; null lifts the assignment
    assert (
        analyst.post("/api/v1/console/assign", json={"posts": ids[:1], "to": "analyst2"}).status_code == 200
    )
    assert analyst.get("/api/v1/console/alerts?assigned=analyst2").json()["total"] == 3
    assert analyst.post("/api/v1/console/assign", json={"posts": ids[:1], "to": None}).status_code == 200
    assert analyst.get("/api/v1/console/alerts?assigned=any").json()["total"] == 4
    # the alerts themselves and the plain queue are unchanged
    assert analyst.get("/api/v1/alerts?limit=500").json()["items"] == before
    # refused: an approver cannot be assigned triage; an unknown alert; an approver cannot assign
    bad = analyst.post("/api/v1/console/assign", json={"posts": ids[:1], "to": "approver"})
    assert bad.status_code == 400 and "approver" in bad.json()["error"]["message"]
    assert analyst.post("/api/v1/console/assign", json={"posts": ["x:nope"], "to": "me"}).status_code == 404
    assert (
        world.client("approver")
        .post("/api/v1/console/assign", json={"posts": ids[:1], "to": None})
        .status_code
        == 403
    )
    actions = [(e["action"], e["actor"]) for e in audit.entries(sqlite_engine, "alert")]
    assert actions.count(("assign", "analyst")) == 6 and actions.count(("unassign", "analyst")) == 1
    # the facets name who can be assigned
    assert {"admin", "analyst", "analyst2"} <= set(
        analyst.get("/api/v1/console/alert-facets").json()["analysts"]
    )


def test_cli_assign_and_alerts_assigned(sqlite_engine: sa.Engine, sqlite_url: str) -> None:
    _world(sqlite_engine)
    add_user(sqlite_engine, "analyst2", "analyst")
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, [*args, "--db", sqlite_url])

    queue = run("alerts", "--json", "--limit", "3")
    assert queue.exit_code == 0, queue.output
    ids = [a["id"] for a in __import__("json").loads(queue.output)]
    claimed = run("assign", ids[0], ids[1], "--as", "analyst")
    assert claimed.exit_code == 0, claimed.output
    assert "2 alerts assigned to analyst by analyst" in claimed.output
    assert run("assign", ids[2], "--to", "analyst2", "--as", "analyst").exit_code == 0
    mine = __import__("json").loads(run("alerts", "--assigned", "me", "--as", "analyst", "--json").output)
    assert [a["id"] for a in mine] == ids[:2] and {a["assigned_to"] for a in mine} == {"analyst"}
    table = runner.invoke(app, ["alerts", "--assigned", "analyst2", "--wide", "--db", sqlite_url])
    assert table.exit_code == 0 and "analyst2" in table.output and ids[2] in table.output
    lifted = run("assign", ids[2], "--unassign", "--as", "analyst")
    assert lifted.exit_code == 0 and "assigned to no one" in lifted.output
    assert __import__("json").loads(run("alerts", "--assigned", "analyst2", "--json").output) == []
    # usage errors: one line, exit 2
    for args in (
        ("assign", ids[0], "--to", "analyst2", "--unassign"),
        ("assign", "--bogus"),
        ("assign",),
        ("alerts", "--assigned", "me"),
    ):
        res = run(*args)
        assert res.exit_code == 2, (args, res.output)
        assert "Traceback" not in res.output


def test_migration_and_domain_weeks_follow_the_range() -> None:
    migration = [{"week": f"2026-W{n}", "posts": n, "platforms": {}} for n in (32, 33, 34, 35)]
    domains = [
        {
            "domain": "a.example",
            "weekly": [{"week": "2026-W32", "links": 3}, {"week": "2026-W35", "links": 0}],
        },
        {
            "domain": "b.example",
            "weekly": [{"week": "2026-W34", "links": 2}, {"week": "2026-W35", "links": 1}],
        },
    ]
    # 2026-W34 is Mon 17 Aug .. Sun 23 Aug 2026
    since, until = datetime(2026, 8, 20, tzinfo=UTC), datetime(2026, 8, 25, tzinfo=UTC)
    mig, doms = weeks_in_range(migration, domains, since, until)
    assert [w["week"] for w in mig] == ["2026-W34", "2026-W35"]
    assert [d["domain"] for d in doms] == ["b.example"] and [w["week"] for w in doms[0]["weekly"]] == [
        "2026-W34",
        "2026-W35",
    ]
    assert weeks_in_range(migration, domains, None, None) == (migration, domains)
    assert weeks_in_range(
        migration, domains, datetime(2001, 1, 1, tzinfo=UTC), datetime(2001, 2, 1, tzinfo=UTC)
    ) == ([], [])


def test_evidence_file_served_only_while_its_hash_holds(sqlite_engine: sa.Engine, tmp_path: Any) -> None:
    import hashlib

    from openiru.store.tables_referral import evidence
    from test_api_support import make_world

    world = make_world(sqlite_engine)
    warc = tmp_path / "001-x_1.warc.gz"
    warc.write_bytes(b"WARC/1.1 fictional capture")
    with sqlite_engine.begin() as conn:
        ids = [
            conn.execute(
                sa.insert(evidence).values(
                    referral_id=7,
                    target_key="x:1",
                    kind=kind,
                    path=path,
                    sha256=sha,
                    size=26,
                    purged_at=purged,
                    created_at=datetime(2026, 9, 1, tzinfo=UTC),
                    meta={},
                )
            ).inserted_primary_key[0]
            for kind, path, sha, purged in (
                ("warc", str(warc), hashlib.sha256(warc.read_bytes()).hexdigest(), None),
                ("raw", str(tmp_path / "gone.json"), "0" * 64, datetime(2026, 10, 1, tzinfo=UTC)),
            )
        ]
    client = world.client("approver")
    res = client.get(f"/api/v1/console/evidence/7/{ids[0]}")
    assert res.status_code == 200 and res.content == warc.read_bytes()
    assert 'filename="001-x_1.warc.gz"' in res.headers["content-disposition"]
    assert client.get(f"/api/v1/console/evidence/8/{ids[0]}").status_code == 404  # another referral's
    assert "purged" in client.get(f"/api/v1/console/evidence/7/{ids[1]}").json()["error"]["message"]
    warc.write_bytes(b"WARC/1.1 changed afterwards!")
    changed = client.get(f"/api/v1/console/evidence/7/{ids[0]}")
    assert changed.status_code == 404 and "SHA-256" in changed.json()["error"]["message"]
