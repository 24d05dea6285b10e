"""The audit log cannot be fooled (issue 19, finding 6): tampering with and without the anchor
file and the key, and every security-relevant action recorded with its actor."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.referral.audit_anchor import Checkpoint, append
from openiru.services.access import anchoring, audit
from openiru.store.tables_referral import audit_log

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
KEY = "k7Q-audit_key.for-tests-3e91c04fa2d8b765"


def _append(engine: sa.Engine, n: int, actor: str = "ana") -> None:
    for i in range(n):
        with engine.begin() as conn:
            audit.record(conn, actor, "referral.create", "referral", i + 1, {"n": i}, now=lambda: T0)


def _anchor() -> Path:
    return Path(os.environ["OPENIRU_AUDIT_ANCHOR"])


def _tamper(engine: sa.Engine, how: str) -> None:
    with engine.begin() as conn:
        if how == "truncate":
            conn.execute(sa.delete(audit_log).where(audit_log.c.seq > 3))
        elif how == "delete-all":
            conn.execute(sa.delete(audit_log))
        elif how == "rewrite":  # every entry rewritten, every hash recomputed: the chain holds
            conn.execute(sa.delete(audit_log))
    if how == "rewrite":
        saved = os.environ["OPENIRU_AUDIT_ANCHOR"]
        os.environ["OPENIRU_AUDIT_ANCHOR"] = "off"
        try:
            _append(engine, 5, actor="mallory")
        finally:
            os.environ["OPENIRU_AUDIT_ANCHOR"] = saved


@pytest.mark.parametrize("how", ["truncate", "delete-all", "rewrite"])
@pytest.mark.parametrize("key", [False, True])
def test_tampering_detected_with_the_anchor_and_never_ok_without_it(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, how: str, key: bool
) -> None:
    if key:
        monkeypatch.setenv("OPENIRU_AUDIT_KEY", KEY)
    _append(engine, 5)
    assert audit.verify(engine).ok
    _tamper(engine, how)
    found = audit.verify(engine)
    assert not found.ok and found.status == "tampered" and found.exit_code == 1, found
    _anchor().unlink()  # the forger deletes the anchor file too
    blind = audit.verify(engine)
    assert not blind.ok and blind.status == "unverifiable" and "is missing" in (blind.problem or "")
    assert blind.exit_code == (1 if key else 3)
    assert blind.as_dict()["ok"] is False and blind.as_dict()["exit_code"] == blind.exit_code


def _forge_unsigned_head(engine: sa.Engine, restart: bool) -> None:
    db = audit.database_identity(engine.url)
    entries = audit.entries(engine)
    assert db is not None
    append(
        _anchor(),
        Checkpoint(db, entries[0]["hash"], entries[-1]["seq"], entries[-1]["hash"], T0.isoformat(), restart),
    )


@pytest.mark.parametrize("restart", [False, True])
def test_with_a_key_an_unsigned_checkpoint_for_a_forged_head_is_rejected(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, restart: bool
) -> None:
    monkeypatch.setenv("OPENIRU_AUDIT_KEY", KEY)
    _append(engine, 5)
    _tamper(engine, "rewrite")
    _anchor().unlink()
    _forge_unsigned_head(engine, restart)  # a fresh anchor file, written without the key
    result = audit.verify(engine)
    assert not result.ok and result.exit_code == 1 and "has no signature" in (result.problem or "")


def test_unsigned_lines_from_before_the_key_need_an_admins_restart(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openiru.services.access.users import add_user

    add_user(engine, "adm", "admin")
    _append(engine, 3)
    monkeypatch.setenv("OPENIRU_AUDIT_KEY", KEY)  # the key is configured after a while
    result = audit.verify(engine)
    assert not result.ok and result.status == "unverifiable" and result.exit_code == 1
    head = anchoring.anchor_head(engine, restart=True, actor="adm")
    assert head["restart"] is True and head["mac"]
    assert audit.verify(engine).ok


def test_cli_exit_codes(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from openiru.store.db import open_database
    from test_referral_cli import run

    engine = open_database(sqlite_url)
    _append(engine, 4)
    engine.dispose()
    assert run(["audit", "verify", "--db", sqlite_url, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["status"] == "ok"
    _anchor().unlink()
    assert run(["audit", "verify", "--db", sqlite_url, "--json"]) == 3
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["status"] == "unverifiable" and out["exit_code"] == 3
    assert run(["audit", "verify", "--db", sqlite_url]) == 3
    assert "WARNING" in capsys.readouterr().err
    monkeypatch.setenv("OPENIRU_AUDIT_KEY", KEY)
    assert run(["audit", "verify", "--db", sqlite_url]) == 1
    assert "FAILED" in capsys.readouterr().err
    monkeypatch.setenv("OPENIRU_AUDIT_KEY", "x" * 40)  # a key of one repeated character is refused
    assert run(["audit", "verify", "--db", sqlite_url]) != 0
    assert "OPENIRU_AUDIT_KEY is too regular" in capsys.readouterr().err


# -- every security-relevant action is an audit entry with its actor --------------------------------


def _actions(engine: sa.Engine) -> list[tuple[str, str, str]]:
    return [(e["actor"], e["action"], e["object_id"]) for e in audit.entries(engine)]


def test_user_administration_and_logins_are_audited(sqlite_engine: sa.Engine) -> None:
    from test_api_support import PASSWORD, make_world

    world = make_world(sqlite_engine)
    before = len(audit.entries(sqlite_engine))
    assert ("system", "user.create", "admin") in _actions(sqlite_engine)
    admin = world.client("admin")
    assert (
        admin.post(
            "/api/v1/users", json={"name": "newbie", "role": "analyst", "password": PASSWORD}
        ).status_code
        == 201
    )
    assert admin.patch("/api/v1/users/newbie", json={"role": "approver"}).status_code == 200
    token = admin.post("/api/v1/users/newbie/tokens", json={"label": "ci"}).json()["token"]
    assert token.startswith("oiru_")
    token_id = admin.get("/api/v1/users/newbie/tokens").json()["items"][0]["id"]
    assert admin.delete(f"/api/v1/users/newbie/tokens/{token_id}").status_code == 200
    anon = world.client()
    assert anon.post("/api/v1/auth/login", json={"name": "newbie", "password": PASSWORD}).status_code == 200
    for _ in range(5):
        anon.post("/api/v1/auth/login", json={"name": "newbie", "password": "wrong password here"})
    assert anon.post("/api/v1/auth/login", json={"name": "newbie", "password": PASSWORD}).status_code == 429
    entries = audit.entries(sqlite_engine)[before:]
    got = [(e["actor"], e["action"], e["object_id"]) for e in entries]
    assert got[:6] == [
        ("admin", "user.create", "newbie"),
        ("admin", "user.password", "newbie"),
        ("admin", "user.role", "newbie"),
        ("admin", "token.create", "newbie"),
        ("admin", "token.revoke", "newbie"),
        ("newbie", "auth.login", "newbie"),
    ]
    assert got[6:] == [("anonymous", "auth.login_failed", "newbie")] * 5 + [
        ("system", "auth.lockout", "newbie")
    ]
    assert entries[2]["details"] == {"from": "analyst", "to": "approver"}
    assert entries[3]["details"]["token_id"] == token_id and token not in json.dumps(entries)
    assert PASSWORD not in json.dumps(entries)
    assert audit.verify(sqlite_engine).ok


def test_cli_user_commands_record_their_actor(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from openiru.store.db import open_database
    from test_referral_cli import run

    monkeypatch.delenv("OPENIRU_USER", raising=False)
    db = ["--db", sqlite_url]
    assert run(["user", "add", "root", "--role", "admin", *db]) == 0  # the first admin: by the system
    assert run(["user", "add", "ana", "--role", "analyst", "--as", "root", *db]) == 0
    assert run(["user", "add", "eve", "--role", "admin", "--as", "ana", *db]) == 3  # not an admin
    assert run(["user", "add", "bob", "--role", "approver", "--as", "nobody", *db]) == 3
    assert run(["user", "role", "ana", "approver", "--as", "root", *db]) == 0
    assert run(["user", "token", "ana", "--label", "ci", "--as", "root", *db]) == 0
    assert run(["user", "add", "leo", "--role", "analyst", *db]) == 0  # no --as: the OS account
    assert (
        run(["user", "add", "pat", "--role", "provider", "--provider", "Nowhere Ltd", "--as", "root", *db])
        == 1
    )
    assert "Nowhere Ltd" in capsys.readouterr().err
    engine = open_database(sqlite_url)
    try:
        got = [a for a in _actions(engine) if a[1].startswith(("user.", "token."))]
    finally:
        engine.dispose()
    assert got[:4] == [
        ("system", "user.create", "root"),
        ("root", "user.create", "ana"),
        ("root", "user.role", "ana"),
        ("root", "token.create", "ana"),
    ]
    assert got[4][1:] == ("user.create", "leo") and got[4][0].startswith("local:")
    assert len(got) == 5


def test_a_fresh_log_is_unverifiable_and_has_nothing_to_anchor(engine: sa.Engine) -> None:
    result = audit.verify(engine)
    assert not result.ok and result.status == "unverifiable" and result.entries == 0
    head = anchoring.anchor_head(engine)
    assert head["seq"] == 0 and head["written"] is False
    _append(engine, 1)  # the first audited action anchors the log
    assert audit.verify(engine).ok
