"""The referral CLI contracts: JSON shapes, actors and roles, exit codes."""

# ruff: noqa: F811  (pytest fixtures imported from other test modules are redefined as parameters)
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from openiru import cli
from test_referral_delivery import Inbox, smtp  # noqa: F401, F811  (the local SMTP fixture)


def run(args: list[str]) -> int:
    """Run ``openiru ARGS`` in-process like the console script; returns the exit status."""
    old = sys.argv
    sys.argv = ["openiru", *args]
    try:
        cli.main()
        return 0
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        sys.argv = old


@pytest.fixture
def db(sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("OPENIRU_DB", sqlite_url)
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("OPENIRU_NOW", "2026-03-01T12:00:00Z")
    monkeypatch.delenv("OPENIRU_USER", raising=False)
    for name, role in (("ana", "analyst"), ("bob", "approver"), ("aud", "auditor")):
        assert run(["user", "add", name, "--role", role]) == 0
    assert run(["user", "add", "lia", "--role", "liaison", "--agency", "AgencyA"]) == 0
    return sqlite_url


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_refer_json_contract_and_workflow(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert (
        run(
            [
                "refer",
                "x:1",
                "x:@42",
                "https://t.me/chan/5",
                "--reason",
                "placeholder",
                "--json",
                "--as",
                "ana",
            ]
        )
        == 0
    )
    out = _json(capsys)
    assert isinstance(out, dict) and list(out) == ["referrals"]
    refs = out["referrals"]
    for r in refs:
        assert {"id", "state", "provider", "deadline", "targets"} <= set(r)
        assert r["state"] == "draft" and r["deadline"] == "2026-03-01T14:00:00+00:00"
    assert {r["provider"]: r["targets"] for r in refs} == {
        "X Corp": ["x:1", "x:@42"],
        "Telegram": ["https://t.me/chan/5"],
    }
    rid = str(next(r["id"] for r in refs if r["provider"] == "X Corp"))
    assert run(["referral", "approve", rid, "--as", "ana"]) == 3  # four-eyes
    assert "four-eyes" in capsys.readouterr().err
    assert run(["referral", "approve", rid, "--as", "bob"]) == 0
    assert run(["referral", "send", rid, "--channel", "portal", "--as", "bob"]) == 0
    assert run(["referral", "feedback", rid, "removed", "--at", "2026-03-01T12:30:00Z", "--as", "bob"]) == 0
    capsys.readouterr()
    assert run(["referrals", "--state", "removed", "--json"]) == 0
    [listed] = _json(capsys)  # type: ignore[misc]
    assert {"id", "kind", "state", "provider", "created_at", "deadline", "targets", "history"} <= set(listed)
    assert listed["kind"] == "referral" and listed["state"] == "removed"
    assert [h["to"] for h in listed["history"]] == ["draft", "approved", "sent", "removed"]
    assert listed["time_to_removal_s"] == 1800
    assert run(["referral", "withdraw", rid, "--as", "bob"]) == 1  # illegal transition
    assert "cannot withdraw" in capsys.readouterr().err
    assert run(["referral", "show", rid, "--json"]) == 0
    shown = _json(capsys)
    assert shown["approved_by"] == "bob" and shown["channel"] == "portal"  # type: ignore[index]
    assert run(["referral", "evidence", rid, "--json"]) == 0
    kinds = [e["kind"] for e in _json(capsys)]  # type: ignore[union-attr]
    assert kinds.count("raw") == 2  # both targets preserved before sending
    assert run(["audit", "verify", "--json"]) == 0
    chain = _json(capsys)
    assert chain["ok"] is True and chain["entries"] >= 6  # type: ignore[index]
    assert run(["audit", "log", "--type", "referral", "--id", rid, "--json", "--as", "aud"]) == 0
    actions = [e["action"] for e in _json(capsys)]  # type: ignore[union-attr]
    assert actions[:3] == ["referral.create", "referral.approve", "evidence.capture"]


REFUSED = [
    (["refer", "x:1"], "no acting user"),
    (["refer", "x:1", "--as", "ghost"], "unknown user 'ghost'"),
    (["refer", "x:1", "--as", "aud"], "role 'auditor'"),
    (["deconflict", "add", "account", "x:@1", "--ref", "R", "--as", "ana"], "role 'analyst'"),
    (["operation", "create", "Day", "--as", "lia"], "role 'liaison'"),
    (["referral", "purge", "--as", "ana"], "role 'analyst'"),
    (["audit", "log", "--as", "ana"], "role 'analyst'"),
    (["audit", "log", "--as", "bob"], "role 'approver'"),  # as on the console's audit page
]


def test_unknown_actor_or_wrong_role_is_refused(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    for args, message in REFUSED:
        assert run(args) == 3, args
        assert message in capsys.readouterr().err, args
    assert run(["referrals", "--json"]) == 0
    assert _json(capsys) == []  # nothing was created by the refused commands


def test_overdue_listing_with_fixed_clock(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(["refer", "x:1", "--kind", "removal-order", "--ground", "d", "--as", "ana"]) == 0
    capsys.readouterr()
    assert run(["referrals", "--overdue", "--json"]) == 0
    assert _json(capsys) == []
    monkeypatch.setenv("OPENIRU_NOW", "2026-03-01T13:01:00Z")
    assert run(["referrals", "--overdue", "--json"]) == 0
    [r] = _json(capsys)  # type: ignore[misc]
    assert r["kind"] == "removal-order" and r["overdue"] is True


def test_provider_commands(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["provider", "resolve", "https://www.youtube.com/watch?v=x"]) == 0
    assert capsys.readouterr().out.strip() == "YouTube"
    assert run(["provider", "resolve", "https://nowhere.example/x"]) == 1
    assert (
        run(
            [
                "provider",
                "add",
                "Small Host",
                "--domain",
                "smallhost.example",
                "--email",
                "abuse@smallhost.example",
                "--language",
                "de",
                "--as",
                "ana",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert run(["provider", "resolve", "https://cdn.smallhost.example/x", "--json"]) == 0
    out = _json(capsys)
    assert (
        out["provider"] == "Small Host" and out["details"]["contacts"]["email"] == "abuse@smallhost.example"
    )
    assert run(["provider", "add", "Other", "--domain", "o.example", "--as", "aud"]) == 3


def test_deconflict_cli_visibility(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["user", "add", "leo", "--role", "liaison", "--agency", "AgencyB"]) == 0
    assert run(["deconflict", "add", "channel", "https://t.me/chan", "--ref", "INV-77", "--as", "lia"]) == 0
    capsys.readouterr()
    assert run(["refer", "https://t.me/chan/9", "--json", "--as", "ana"]) == 0
    [r] = _json(capsys)["referrals"]  # type: ignore[index]
    assert r["state"] == "on_hold" and "INV-77" not in json.dumps(r)
    assert run(["deconflict", "list", "--json", "--as", "leo"]) == 0
    assert _json(capsys) == {"agency": "AgencyB", "entries": [], "other_holds": 1}
    assert run(["deconflict", "list", "--json", "--as", "lia"]) == 0
    assert _json(capsys)["entries"][0]["investigation_ref"] == "INV-77"  # type: ignore[index]


def test_send_by_email_through_the_cli_and_action_day(
    db: str, capsys: pytest.CaptureFixture[str], smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    assert run(["provider", "add", "X Corp", "--email", "abuse@x.invalid", "--as", "ana"]) == 0
    assert run(["operation", "create", "RAD-CLI", "--agency", "AgencyA", "--hours", "48", "--as", "ana"]) == 0
    capsys.readouterr()
    assert run(["refer", "x:5", "--json", "--as", "ana"]) == 0
    rid = str(_json(capsys)["referrals"][0]["id"])  # type: ignore[index]
    assert run(["operation", "add", "RAD-CLI", "--referral", rid, "--as", "lia"]) == 0
    assert run(["referral", "approve", rid, "--as", "bob"]) == 0
    assert (
        run(
            [
                "referral",
                "send",
                rid,
                "--channel",
                "email",
                "--smtp-host",
                "127.0.0.1",
                "--smtp-port",
                str(port),
                "--as",
                "bob",
            ]
        )
        == 0
    )
    [msg] = inbox.messages
    assert msg["To"] == "abuse@x.invalid"
    assert run(["referral", "feedback", rid, "removed", "--at", "2026-03-01T12:20:00Z", "--as", "bob"]) == 0
    capsys.readouterr()
    assert run(["operation", "report", "RAD-CLI", "--json"]) == 0
    report = _json(capsys)
    assert report["items_referred"] == 1 and report["removal_rate"] == 1.0  # type: ignore[index]
    assert report["median_time_to_removal_s"] == 20 * 60  # type: ignore[index]


def test_deconflict_add_infers_the_kind(db: str, capsys: pytest.CaptureFixture[str]) -> None:
    for value, kind in (
        ("x:@77", "account"),
        ("x:99", "post"),
        ("https://t.me/c/1", "url"),
        ("ab" * 32, "hash"),
    ):
        capsys.readouterr()
        assert run(["deconflict", "add", value, "--investigation", "INV", "--json", "--as", "lia"]) == 0
        assert _json(capsys)["kind"] == kind  # type: ignore[index]
    capsys.readouterr()
    assert run(["refer", "x:99", "--json", "--as", "ana"]) == 0
    assert _json(capsys)["referrals"][0]["state"] == "on_hold"  # type: ignore[index]


def test_bulk_from_file_and_deconflict_check(
    db: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    listing = tmp_path / "targets.txt"
    listing.write_text("# action day list\nx:11\n\nhttps://t.me/chan/3\nx:12\n")
    capsys.readouterr()
    assert run(["refer", "--from-file", str(listing), "--json", "--as", "ana"]) == 0
    made = _json(capsys)["referrals"]  # type: ignore[index]
    assert sorted(t for r in made for t in r["targets"]) == ["https://t.me/chan/3", "x:11", "x:12"]
    assert run(["deconflict", "add", "post", "x:11", "--ref", "INV-5", "--as", "lia"]) == 0
    capsys.readouterr()
    assert run(["deconflict", "check", "x:11", "--json", "--as", "ana"]) == 0
    seen = _json(capsys)
    assert seen["hold"] is True and "INV-5" not in json.dumps(seen)  # type: ignore[index]
    assert seen["already_referred"][0]["by"] == "ana"  # type: ignore[index]
    assert run(["deconflict", "check", "x:11", "--json", "--as", "lia"]) == 0
    assert _json(capsys)["holds"][0]["investigation_ref"] == "INV-5"  # type: ignore[index]


def test_webhook_send_generates_a_provider_secret(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib
    import hmac

    from test_referral_delivery import FakeProvider

    monkeypatch.delenv("OPENIRU_WEBHOOK_SECRET", raising=False)
    fake = FakeProvider()
    monkeypatch.setenv("OPENIRU_WEBHOOK_ALLOW", fake.base.removeprefix("http://"))
    try:
        assert (
            run(
                [
                    "provider",
                    "add",
                    "Hook Host",
                    "--domain",
                    "hookhost.example",
                    "--webhook",
                    fake.base + "/hook",
                    "--as",
                    "ana",
                ]
            )
            == 0
        )
        capsys.readouterr()
        assert run(["refer", "https://hookhost.example/p/1", "--json", "--as", "ana"]) == 0
        rid = str(_json(capsys)["referrals"][0]["id"])  # type: ignore[index]
        assert run(["referral", "approve", rid, "--as", "bob"]) == 0
        # No OPENIRU_SECRET_KEY: a generated secret is not stored in plain text, nothing is sent.
        assert run(["referral", "send", rid, "--channel", "webhook", "--as", "bob"]) == 1
        assert "OPENIRU_SECRET_KEY" in capsys.readouterr().err and fake.received == []
        monkeypatch.setenv("OPENIRU_SECRET_KEY", "k3y-M4terial_for.tests-9f2c71d0e8a4b653")
        assert run(["referral", "send", rid, "--channel", "webhook", "--as", "bob"]) == 0
        capsys.readouterr()
        assert run(["provider", "secret", "show", "Hook Host", "--as", "bob"]) == 0
        secret = capsys.readouterr().out.strip()
        [call] = [c for c in fake.received if c["path"] == "/hook"]
        expected = "sha256=" + hmac.new(secret.encode(), call["body"], hashlib.sha256).hexdigest()
        assert call["headers"]["X-OpenIRU-Signature"] == expected
        # The secret is in no JSON output.
        for args in (
            ["provider", "resolve", "https://hookhost.example/x", "--json"],
            ["provider", "list", "--json"],
            ["provider", "secret", "list", "--json"],
            ["audit", "log", "--json", "--as", "aud"],
        ):
            assert run(args) == 0
            assert secret not in capsys.readouterr().out
    finally:
        fake.close()


def test_audit_log_readers_match_the_console_and_the_api() -> None:
    from openiru.commands.referral_admin import AUDIT_READERS
    from openiru.web.pages import PAGES

    assert set(AUDIT_READERS) == set(PAGES["audit"][2])
