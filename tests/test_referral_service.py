"""Referral services on SQLite and PostgreSQL: workflow, deadlines on an injected clock,
four-eyes, roles, deconfliction holds and visibility, duplicates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.errors import ConfigError, PermissionDenied, TransitionError
from openiru.model import Account, AccountKey, Media, Post, PostKey
from openiru.services.access.users import add_user
from openiru.services.collect.ingest import ingest_source
from openiru.services.referral import deconfliction, delivery
from openiru.services.referral import records as referral_records
from openiru.services.referral import workflow as referrals
from source_support import ListSource

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


class Clock:
    """An injected clock the test moves by hand."""

    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kw: float) -> None:
        self.at += timedelta(**kw)


def seed(engine: sa.Engine) -> None:
    for name, role, agency in (
        ("ana", "analyst", None),
        ("bob", "approver", None),
        ("cat", "analyst", None),
        ("lia", "liaison", "AgencyA"),
        ("leo", "liaison", "AgencyB"),
        ("aud", "auditor", None),
    ):
        add_user(engine, name, role, agency=agency)
    acc = AccountKey("x", "100")
    same = "Neutral placeholder statement number one."
    ingest_source(
        engine,
        ListSource(
            [
                Account(acc, handle="outlet_one"),
                Post(
                    PostKey("x", "1"),
                    acc,
                    T0 - timedelta(days=1),
                    text=same,
                    language="en",
                    media=[Media(sha256="ab" * 32, md5="cd" * 16, mime="image/jpeg")],
                ),
                Post(
                    PostKey("x", "2"), acc, T0 - timedelta(days=1), text="another placeholder", language="fr"
                ),
            ]
        ),
        after_batch=(),
    )  # no detection scan: these tests are about referrals
    ingest_source(
        engine,
        ListSource(
            [
                Post(
                    PostKey("telegram", "-100/7"),
                    AccountKey("telegram", "chan9"),
                    T0,
                    text="  " + same.upper(),
                ),
            ]
        ),
        after_batch=(),
    )


@pytest.fixture
def ready(engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> sa.Engine:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))  # evidence stays in the test's folder
    seed(engine)
    return engine


def test_full_workflow_with_history_and_times(ready: sa.Engine) -> None:
    clock = Clock()
    [r] = referrals.create_referrals(ready, "ana", ["x:1", "x:2"], reason="placeholder", now=clock)
    assert (r["state"], r["provider"], r["targets"]) == ("draft", "X Corp", ["x:1", "x:2"])
    assert r["deadline"] == (T0 + timedelta(hours=2)).isoformat()
    with pytest.raises(PermissionDenied, match="four-eyes"):
        referrals.approve(ready, "ana", r["id"], now=clock)
    with pytest.raises(PermissionDenied, match="role"):
        referrals.approve(ready, "lia", r["id"], now=clock)
    with pytest.raises(PermissionDenied, match="unknown user"):
        referrals.approve(ready, "ghost", r["id"], now=clock)
    clock.advance(minutes=5)
    assert referrals.approve(ready, "cat", r["id"], now=clock)["approved_by"] == "cat"
    clock.advance(minutes=5)
    sent = delivery.send(ready, "bob", r["id"], "portal", now=clock, fetch=_no_fetch)
    assert sent["state"] == "sent" and sent["deadline"] == (clock.at + timedelta(hours=2)).isoformat()
    clock.advance(minutes=20)
    referrals.acknowledge(ready, "bob", r["id"], now=clock)
    clock.advance(minutes=30)
    done = referrals.feedback(ready, "bob", r["id"], "removed", reason="terms", now=clock)
    assert done["state"] == "removed"
    assert done["time_to_acknowledgement_s"] == 20 * 60
    assert done["time_to_removal_s"] == 50 * 60
    assert [h["to"] for h in done["history"]] == ["draft", "approved", "sent", "acknowledged", "removed"]
    assert [h["actor"] for h in done["history"]] == ["ana", "cat", "bob", "bob", "bob"]
    with pytest.raises(TransitionError):
        referrals.withdraw(ready, "bob", r["id"], now=clock)


def _no_fetch(url: str):  # type: ignore[no-untyped-def]
    import httpx

    raise httpx.ConnectError("offline test")


def test_overdue_and_no_response_on_the_injected_clock(ready: sa.Engine) -> None:
    clock = Clock()
    [r] = referrals.create_referrals(
        ready, "ana", ["x:1"], kind="removal-order", grounds=["a", "e"], now=clock
    )
    referrals.approve(ready, "bob", r["id"], now=clock)
    delivery.send(ready, "bob", r["id"], "portal", now=clock, fetch=_no_fetch)
    clock.advance(minutes=50)
    assert referral_records.list_referrals(ready, overdue=True, now=clock) == []
    assert [x["id"] for x in referral_records.list_referrals(ready, soon_due=True, now=clock)] == [r["id"]]
    clock.advance(minutes=11)
    assert [x["id"] for x in referral_records.list_referrals(ready, overdue=True, now=clock)] == [r["id"]]
    assert referrals.expire_overdue(ready, now=clock) == [r["id"]]
    assert referral_records.get_referral(ready, r["id"], now=clock)["state"] == "no_response"


def test_cannot_comply_stops_the_clock_until_clarified(ready: sa.Engine) -> None:
    clock = Clock()
    [r] = referrals.create_referrals(ready, "ana", ["x:2"], kind="removal-order", now=clock)
    referrals.approve(ready, "bob", r["id"], now=clock)
    delivery.send(ready, "bob", r["id"], "portal", now=clock, fetch=_no_fetch)
    clock.advance(minutes=40)
    paused = referrals.feedback(
        ready,
        "bob",
        r["id"],
        "cannot_comply",
        reason="which item?",
        cannot_comply_ground="insufficient_information",
        now=clock,
    )
    assert paused["state"] == "acknowledged" and paused["paused"]
    clock.advance(hours=6)  # waiting for the clarification: never overdue
    assert referral_records.list_referrals(ready, overdue=True, now=clock) == []
    resumed = referrals.resume(ready, "ana", r["id"], note="clarified", now=clock)
    assert resumed["deadline"] == (clock.at + timedelta(minutes=20)).isoformat()
    clock.advance(minutes=21)
    assert [x["id"] for x in referral_records.list_referrals(ready, overdue=True, now=clock)] == [r["id"]]
    with pytest.raises(TransitionError):
        referrals.resume(ready, "ana", r["id"], now=clock)


def test_deconfliction_hold_visibility_and_release(ready: sa.Engine) -> None:
    clock = Clock()
    entry = deconfliction.add_entry(ready, "lia", "account", "x:@100", "OP-SECRET-17", now=clock)
    with pytest.raises(PermissionDenied):
        deconfliction.add_entry(ready, "ana", "url", "https://example.org", "X", now=clock)
    [r] = referrals.create_referrals(ready, "ana", ["x:1"], now=clock)
    assert r["state"] == "on_hold" and r["deconfliction_hold"]
    assert "OP-SECRET-17" not in str(r)
    owner = deconfliction.list_entries(ready, "lia", now=clock)
    other = deconfliction.list_entries(ready, "leo", now=clock)
    analyst = deconfliction.list_entries(ready, "ana", now=clock)
    assert owner["entries"][0]["investigation_ref"] == "OP-SECRET-17" and owner["other_holds"] == 0
    assert other == {"agency": "AgencyB", "entries": [], "other_holds": 1}
    assert analyst["entries"] == [] and "OP-SECRET-17" not in str(analyst)
    notes = deconfliction.notifications_for(ready, "lia")
    assert notes[0]["referral_id"] == r["id"] and deconfliction.notifications_for(ready, "leo") == []
    with pytest.raises(TransitionError):
        referrals.approve(ready, "bob", r["id"], now=clock)
    with pytest.raises(PermissionDenied):
        referrals.release(ready, "leo", r["id"], now=clock)
    assert referrals.release(ready, "lia", r["id"], now=clock)["state"] == "draft"
    assert entry["id"] == owner["entries"][0]["id"]


def test_hold_added_after_creation_stops_the_send(ready: sa.Engine) -> None:
    clock = Clock()
    [r] = referrals.create_referrals(ready, "ana", ["x:1"], now=clock)
    referrals.approve(ready, "bob", r["id"], now=clock)
    deconfliction.add_entry(ready, "leo", "hash", "sha256:" + "ab" * 32, "CASE-2", now=clock)
    out = delivery.send(ready, "bob", r["id"], "portal", now=clock, fetch=_no_fetch)
    assert out["state"] == "on_hold"
    assert referrals.release(ready, "leo", r["id"], now=clock)["state"] == "approved"


def test_duplicates_same_target_and_same_content_elsewhere(ready: sa.Engine) -> None:
    clock = Clock()
    [first] = referrals.create_referrals(ready, "ana", ["x:1"], now=clock)
    assert first["duplicates"] == {}
    [again] = referrals.create_referrals(ready, "cat", ["x:1"], now=clock)
    dup = again["duplicates"]["x:1"]
    assert dup["already_referred"][0]["referral"] == first["id"]
    assert dup["already_referred"][0]["by"] == "ana"
    [tg] = referrals.create_referrals(ready, "cat", ["telegram:-100/7"], now=clock)
    assert tg["provider"] == "Telegram"
    found = tg["duplicates"]["telegram:-100/7"]
    assert {d["referral"] for d in found["already_referred"]} == {first["id"], again["id"]}


def test_bulk_referral_groups_by_provider(ready: sa.Engine) -> None:
    made = referrals.create_referrals(
        ready, "ana", ["x:1", "https://t.me/somechan/5", "x:@100", "https://unknown.example/p"], now=Clock()
    )
    by_provider = {r["provider"]: r["targets"] for r in made}
    assert by_provider == {
        "X Corp": ["x:1", "x:@100"],
        "Telegram": ["https://t.me/somechan/5"],
        None: ["https://unknown.example/p"],
    }
    unresolved = next(r for r in made if r["provider"] is None)
    assert "warning" in unresolved


def test_set_provider_of_an_unresolved_referral(ready: sa.Engine) -> None:
    clock = Clock()
    [r] = referrals.create_referrals(ready, "ana", ["https://unknown.example/p"], now=clock)
    assert r["provider"] is None
    with pytest.raises(ConfigError):
        referrals.set_provider(ready, "ana", r["id"], "No Such Host", now=clock)
    assert (
        referrals.set_provider(ready, "ana", r["id"], "JustPasteIt", now=clock)["provider"] == "JustPasteIt"
    )
    referrals.approve(ready, "bob", r["id"], now=clock)
    delivery.send(ready, "bob", r["id"], "portal", now=clock, fetch=_no_fetch)
    with pytest.raises(TransitionError):
        referrals.set_provider(ready, "ana", r["id"], "Dropbox", now=clock)


def test_list_reads_one_page_after_a_keyset(ready: sa.Engine) -> None:
    """A page of the board is one range of the table (issue 16: at 100,000 referrals the API read
    them all for every page): ids after ``after``, at most ``limit``, only its children read."""
    ids = [
        referrals.create_referrals(ready, "ana", [f"x:{i}"], reason="placeholder")[0]["id"] for i in (1, 2, 3)
    ]
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, many):  # type: ignore[no-untyped-def]
        seen.append(statement)

    sa.event.listen(ready, "before_cursor_execute", record)
    try:
        page = referral_records.list_referrals(ready, after=ids[0], limit=1)
    finally:
        sa.event.remove(ready, "before_cursor_execute", record)
    assert [r["id"] for r in page] == [ids[1]] and page[0]["targets"] == ["x:2"]
    assert "LIMIT" in seen[0] and all("LIMIT" in s or "IN" in s for s in seen)
    assert [r["id"] for r in referral_records.list_referrals(ready, after=ids[1])] == [ids[2]]
    assert [r["id"] for r in referral_records.list_referrals(ready, limit=2)] == ids[:2]
