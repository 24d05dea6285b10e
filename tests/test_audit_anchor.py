"""Audit head anchoring: truncation, rewriting and forged anchors are detected on SQLite and PostgreSQL."""

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
KEY = "anchor-key-for-tests-only-7f3a9c2e51b8d046"


def _append(engine: sa.Engine, n: int, actor: str = "ana") -> None:
    """``n`` entries, each in its own transaction (so each is anchored)."""
    for i in range(n):
        with engine.begin() as conn:
            audit.record(conn, actor, "referral.create", "referral", i + 1, {"n": i}, now=lambda: T0)


def _anchor_lines() -> list[dict[str, object]]:
    path = Path(os.environ["OPENIRU_AUDIT_ANCHOR"])
    return [json.loads(line) for line in path.read_text("utf-8").splitlines()]


def _truncate(engine: sa.Engine, keep: int) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(audit_log).where(audit_log.c.seq > keep))


def test_every_commit_anchors_the_head_and_a_rollback_anchors_nothing(engine: sa.Engine) -> None:
    _append(engine, 3)
    with engine.begin() as conn:  # two entries in one transaction: one checkpoint, for the last
        audit.record(conn, "ana", "x", "referral", 4, now=lambda: T0)
        audit.record(conn, "ana", "x", "referral", 5, now=lambda: T0)
    with pytest.raises(RuntimeError), engine.begin() as conn:
        audit.record(conn, "ana", "x", "referral", 6, now=lambda: T0)
        raise RuntimeError("the action fails after its audit entry")
    lines = _anchor_lines()
    heads = {e["seq"]: e["hash"] for e in audit.entries(engine)}
    assert [line["seq"] for line in lines] == [1, 2, 3, 5]
    assert all(line["hash"] == heads[line["seq"]] for line in lines)
    assert {line["db"] for line in lines} == {audit.database_identity(engine.url)}
    assert all(line["chain"] == heads[1] and line["mac"] is None for line in lines)
    result = audit.verify(engine)
    assert result.ok and result.entries == 5
    assert result.anchor and result.anchor["seq"] == 5 and result.anchor["checkpoints"] == 4


def test_rolled_back_savepoint_is_not_anchored(engine: sa.Engine) -> None:
    _append(engine, 2)
    with engine.begin() as conn:
        nested = conn.begin_nested()
        audit.record(conn, "ana", "x", "referral", 9, now=lambda: T0)
        nested.rollback()
    assert [line["seq"] for line in _anchor_lines()] == [1, 2]
    assert audit.verify(engine).ok


@pytest.mark.parametrize("cut", [1, 3])
def test_truncating_the_newest_entries_is_detected(engine: sa.Engine, cut: int) -> None:
    _append(engine, 6)
    _truncate(engine, 6 - cut)
    result = audit.verify(engine)
    assert not result.ok and result.first_bad == 7 - cut and result.entries == 6 - cut
    assert f"{cut} newest entries are missing" in (result.problem or "")


def test_emptying_the_log_is_detected(engine: sa.Engine) -> None:
    _append(engine, 2)
    _truncate(engine, 0)
    result = audit.verify(engine)
    assert not result.ok and "has no audit entries" in (result.problem or "") and result.first_bad == 1


def test_truncation_then_new_entries_is_detected(engine: sa.Engine) -> None:
    _append(engine, 5)
    _truncate(engine, 2)
    _append(engine, 4, actor="mallory")  # the chain grows past the anchored head again
    result = audit.verify(engine)
    assert (
        not result.ok and result.first_bad == 3 and "differs from the head anchored" in (result.problem or "")
    )


def test_consistent_rewrite_of_the_whole_chain_is_detected(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    anchor = os.environ["OPENIRU_AUDIT_ANCHOR"]
    _append(engine, 3)
    with engine.begin() as conn:
        conn.execute(sa.delete(audit_log))
    monkeypatch.setenv("OPENIRU_AUDIT_ANCHOR", "off")  # the forger rebuilds the chain without anchoring
    _append(engine, 3, actor="mallory")
    monkeypatch.setenv("OPENIRU_AUDIT_ANCHOR", anchor)
    result = audit.verify(engine)
    assert (
        not result.ok and result.first_bad == 1 and "differs from the head anchored" in (result.problem or "")
    )


def test_signed_anchor_and_forged_lines(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENIRU_AUDIT_KEY", KEY)
    _append(engine, 4)
    lines = _anchor_lines()
    assert all(isinstance(line["mac"], str) and len(str(line["mac"])) == 64 for line in lines)
    assert audit.verify(engine).ok and audit.verify(engine).anchor["signatures_checked"] is True  # type: ignore[index]
    # Truncate the database, then "fix" the anchor with a line for the new head, without the key.
    _truncate(engine, 2)
    head = audit.entries(engine)[-1]
    db = audit.database_identity(engine.url)
    assert db is not None
    forged = Checkpoint(db, str(lines[0]["chain"]), 2, head["hash"], T0.isoformat(), restart=True)
    append(Path(os.environ["OPENIRU_AUDIT_ANCHOR"]), forged.signed(b"not the key"))
    result = audit.verify(engine)
    assert not result.ok and "bad signature" in (result.problem or "")
    append(Path(os.environ["OPENIRU_AUDIT_ANCHOR"]), forged)  # unsigned after signed lines
    assert "bad signature" in (audit.verify(engine).problem or "")


def test_forged_line_without_key_configured_is_only_unchecked(
    engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_AUDIT_KEY", KEY)
    _append(engine, 2)
    monkeypatch.delenv("OPENIRU_AUDIT_KEY")
    result = audit.verify(engine)
    assert result.ok and result.anchor["signatures_checked"] is False  # type: ignore[index]


def test_unreadable_anchor_line_fails(engine: sa.Engine) -> None:
    _append(engine, 2)
    with Path(os.environ["OPENIRU_AUDIT_ANCHOR"]).open("a") as fh:
        fh.write("{not json\n")
    result = audit.verify(engine)
    assert not result.ok and "anchor line 3 is unreadable" in (result.problem or "")


def test_other_databases_in_the_same_anchor_file_are_ignored(engine: sa.Engine, tmp_path: Path) -> None:
    from openiru.store.db import open_database

    other = open_database(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        _append(other, 7)
    finally:
        other.dispose()
    _append(engine, 2)
    result = audit.verify(engine)
    assert result.ok and result.anchor["other_databases"] == 7 and result.anchor["seq"] == 2  # type: ignore[index]


def test_anchoring_off(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    anchor = Path(os.environ["OPENIRU_AUDIT_ANCHOR"])
    monkeypatch.setenv("OPENIRU_AUDIT_ANCHOR", "off")
    _append(engine, 2)
    assert not anchor.exists()
    _truncate(engine, 1)
    result = audit.verify(engine)  # without an anchor, truncation cannot be seen: never "ok"
    assert not result.ok and result.status == "unverifiable" and result.exit_code == 3
    assert "anchoring is off" in (result.problem or "")


def test_anchor_head_export_and_restart(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from openiru.errors import OpenIRUError, PermissionDenied
    from openiru.services.access.users import add_user

    monkeypatch.setenv("OPENIRU_AUDIT_KEY", KEY)
    add_user(engine, "adm", "admin")
    add_user(engine, "bob", "approver")
    _append(engine, 4)
    head = anchoring.anchor_head(engine)
    entries = audit.entries(engine)
    assert head["seq"] == len(entries) and head["hash"] == entries[-1]["hash"] and head["written"]
    assert Checkpoint.from_mapping(head).signature_ok(KEY.encode())
    _truncate(engine, 3)
    with pytest.raises(OpenIRUError, match="newest entries are missing"):
        anchoring.anchor_head(engine)
    with pytest.raises(PermissionDenied):
        anchoring.anchor_head(engine, restart=True, actor="bob")
    restarted = anchoring.anchor_head(engine, restart=True, actor="adm")
    assert restarted["restart"] is True and restarted["seq"] == 4  # the restart is entry 4
    result = audit.verify(engine)
    assert result.ok and result.anchor["restarts"] == 1  # type: ignore[index]
    assert audit.entries(engine, "audit")[0]["action"] == "audit.anchor_restart"


def test_cli_verify_and_anchor(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from openiru.store.db import open_database
    from test_referral_cli import run

    monkeypatch.setenv("OPENIRU_AUDIT_KEY", KEY)
    engine = open_database(sqlite_url)
    _append(engine, 5)
    assert run(["audit", "verify", "--db", sqlite_url, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert list(out)[:5] == ["ok", "entries", "first_bad", "problem", "head"]  # the contract, unchanged
    assert out["ok"] is True and out["anchor"]["seq"] == 5 and out["anchor"]["signatures_checked"] is True
    assert run(["audit", "anchor", "--db", sqlite_url, "--json"]) == 0
    head = json.loads(capsys.readouterr().out)
    assert head["seq"] == 5 and head["hash"] == out["head"] and head["written"] is True
    exported = tmp_path / "exported-head.json"
    exported.write_text(json.dumps(head, indent=2))
    _truncate(engine, 3)
    engine.dispose()
    assert run(["audit", "verify", "--db", sqlite_url]) == 1
    assert "2 newest entries are missing" in " ".join(capsys.readouterr().err.split())  # rich wraps lines
    assert run(["audit", "verify", "--db", sqlite_url, "--json"]) == 1
    broken = json.loads(capsys.readouterr().out)
    assert broken["ok"] is False and broken["first_bad"] == 4 and broken["entries"] == 3
    # The local anchor file is gone too: the head exported elsewhere still tells.
    Path(os.environ["OPENIRU_AUDIT_ANCHOR"]).unlink()
    assert run(["audit", "verify", "--db", sqlite_url]) == 1  # a key is set: no anchor is a failure
    missing = " ".join(capsys.readouterr().err.split())
    assert "FAILED" in missing and "is missing" in missing
    assert run(["audit", "verify", "--db", sqlite_url, "--anchor-file", str(exported)]) == 1
    assert "entry 5" in capsys.readouterr().err
