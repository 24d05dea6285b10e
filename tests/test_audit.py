"""The hash-chained audit log: intact chains verify, any edit, deletion or insertion is named."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from openiru.services.access import audit
from openiru.store.tables_referral import audit_log

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _fill(engine: sa.Engine, n: int = 5) -> None:
    with engine.begin() as conn:
        for i in range(n):
            audit.record(
                conn, "ana", "referral.create", "referral", i + 1, {"n": i, "text": "é"}, now=lambda: T0
            )


def test_intact_chain_verifies(engine: sa.Engine) -> None:
    empty = audit.verify(engine)  # nothing anchored yet: an empty log cannot be told from a wiped one
    assert not empty.ok and empty.status == "unverifiable" and empty.entries == 0 and empty.exit_code == 3
    _fill(engine)
    result = audit.verify(engine)
    assert result.ok and result.entries == 5 and result.head and len(result.head) == 64
    assert [e["seq"] for e in audit.entries(engine)] == [1, 2, 3, 4, 5]
    assert audit.entries(engine, "referral", "3")[0]["details"] == {"n": 2, "text": "é"}


def test_edit_is_detected(engine: sa.Engine) -> None:
    _fill(engine)
    with engine.begin() as conn:
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 3).values(actor="mallory"))
    result = audit.verify(engine)
    assert not result.ok and result.first_bad == 3 and "changed" in (result.problem or "")


def test_edit_with_recomputed_hash_breaks_the_next_link(engine: sa.Engine) -> None:
    _fill(engine)
    with engine.begin() as conn:
        row = conn.execute(sa.select(audit_log).where(audit_log.c.seq == 2)).one()
        details = json.dumps({"n": 99}, sort_keys=True, separators=(",", ":"))
        forged = audit.entry_hash(
            row.prev_hash, 2, row.at, row.actor, row.action, row.object_type, row.object_id, details
        )
        conn.execute(sa.update(audit_log).where(audit_log.c.seq == 2).values(details=details, hash=forged))
    result = audit.verify(engine)
    assert not result.ok and result.first_bad == 3


def test_deletion_is_detected(engine: sa.Engine) -> None:
    _fill(engine)
    with engine.begin() as conn:
        conn.execute(sa.delete(audit_log).where(audit_log.c.seq == 2))
    result = audit.verify(engine)
    assert not result.ok and result.first_bad == 3 and "entry 2 is missing" in (result.problem or "")


def test_insertion_is_detected(engine: sa.Engine) -> None:
    _fill(engine)
    with engine.begin() as conn:
        # make room, then slip an entry in between 2 and 3
        for seq in (5, 4, 3):
            conn.execute(sa.update(audit_log).where(audit_log.c.seq == seq).values(seq=seq + 1))
        prev = conn.execute(sa.select(audit_log.c.hash).where(audit_log.c.seq == 2)).scalar_one()
        at = T0.isoformat()
        h = audit.entry_hash(prev, 3, at, "mallory", "x", "referral", "9", "{}")
        conn.execute(
            sa.insert(audit_log).values(
                seq=3,
                at=at,
                actor="mallory",
                action="x",
                object_type="referral",
                object_id="9",
                details="{}",
                prev_hash=prev,
                hash=h,
            )
        )
    result = audit.verify(engine)
    assert not result.ok and result.first_bad == 4


@pytest.mark.parametrize("how", ["edit", "delete"])
def test_cli_audit_verify_exit_codes(sqlite_url: str, how: str, capsys: pytest.CaptureFixture[str]) -> None:
    from openiru.store.db import open_database
    from test_referral_cli import run

    engine = open_database(sqlite_url)
    _fill(engine)
    assert run(["audit", "verify", "--db", sqlite_url]) == 0
    assert "intact: 5 entries" in capsys.readouterr().out
    with engine.begin() as conn:
        if how == "edit":
            conn.execute(sa.update(audit_log).where(audit_log.c.seq == 4).values(details='{"n":0}'))
        else:
            conn.execute(sa.delete(audit_log).where(audit_log.c.seq == 4))
    engine.dispose()
    assert run(["audit", "verify", "--db", sqlite_url]) == 1
    err = capsys.readouterr().err
    assert ("entry 4" if how == "edit" else "entry 5") in err
