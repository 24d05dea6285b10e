"""Webhook secrets sealed at rest (AES-256-GCM) on SQLite and PostgreSQL; delivery still signs correctly."""

# ruff: noqa: F811  (pytest fixtures imported from other test modules are redefined as parameters)
from __future__ import annotations

import hashlib
import hmac
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.referral.delivery_secrets import Keyring, SecretError
from openiru.services.access.users import add_user
from openiru.services.referral import delivery, providers
from openiru.services.referral import secrets as delivery_secrets
from openiru.store.tables_referral import provider_secrets
from openiru.store.tables_referral import providers as providers_table
from test_referral_delivery import PAGE_TEXT, FakeProvider, _approved, fake  # noqa: F401  (fixture)
from test_referral_service import Clock, seed

KEY_A = "a-test-key-of-forty-characters-aaaaaaaaa"
KEY_B = "b-test-key-of-forty-characters-bbbbbbbbb"
SECRET = "placeholder-webhook-secret-0123456789"


@pytest.fixture
def hooked(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeProvider
) -> sa.Engine:  # noqa: F811
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    monkeypatch.delenv("OPENIRU_WEBHOOK_SECRET", raising=False)
    seed(engine)
    add_user(engine, "adm", "admin")
    fake.pages["/post/1"] = (200, f"<html><body><p>{PAGE_TEXT}</p></body></html>")
    providers.save_provider(
        engine,
        "adm",
        providers.merge(
            None,
            "Fake Host",
            domains=["127.0.0.1"],
            platforms=["fakenet"],
            languages=["en"],
            contacts={"webhook": fake.base + "/hook"},
        ),
    )
    return engine


def _stored(engine: sa.Engine) -> sa.Row:
    with engine.connect() as conn:
        return conn.execute(sa.select(provider_secrets)).one()


def _contacts(engine: sa.Engine) -> dict[str, str]:
    with engine.connect() as conn:
        return dict(
            conn.execute(
                sa.select(providers_table.c.contacts).where(providers_table.c.name == "Fake Host")
            ).scalar_one()
        )


def test_secret_is_sealed_not_plaintext(hooked: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENIRU_SECRET_KEY", KEY_A)
    info = delivery_secrets.store(hooked, "Fake Host", SECRET, "adm")
    assert info["scheme"] == "aes-256-gcm" and info["encrypted"] and SECRET not in str(info)
    row = _stored(hooked)
    assert row.scheme == "aes-256-gcm" and SECRET not in row.value and row.key_id == info["key_id"]
    assert delivery_secrets.webhook_secret(hooked, "Fake Host") == SECRET
    monkeypatch.setenv("OPENIRU_SECRET_KEY", KEY_B)  # another key cannot open it
    with pytest.raises(SecretError, match="neither"):
        delivery_secrets.webhook_secret(hooked, "Fake Host")


def test_no_key_refuses_unless_plaintext_is_allowed(hooked: sa.Engine) -> None:
    with pytest.raises(SecretError, match="OPENIRU_SECRET_KEY"):
        delivery_secrets.store(hooked, "Fake Host", SECRET, "adm")
    with hooked.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(provider_secrets)).scalar_one() == 0
    info = delivery_secrets.store(
        hooked, "Fake Host", SECRET, "adm", Keyring.from_env({}, allow_plaintext=True)
    )
    assert info["scheme"] == "plaintext" and delivery_secrets.webhook_secret(hooked, "Fake Host") == SECRET


def test_ciphertext_moved_to_another_provider_does_not_open(
    hooked: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_SECRET_KEY", KEY_A)
    providers.save_provider(hooked, "adm", providers.merge(None, "Other Host", domains=["other.example"]))
    delivery_secrets.store(hooked, "Fake Host", SECRET, "adm")
    row = _stored(hooked)
    with hooked.begin() as conn:
        conn.execute(
            sa.insert(provider_secrets).values(
                provider="Other Host",
                purpose="webhook",
                scheme=row.scheme,
                key_id=row.key_id,
                value=row.value,
                updated_at=row.updated_at,
            )
        )
    with pytest.raises(SecretError, match="authentication tag"):
        delivery_secrets.webhook_secret(hooked, "Other Host")


def test_legacy_plaintext_keeps_working_and_reencrypt_seals_it(
    hooked: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with hooked.begin() as conn:  # what an earlier version stored
        conn.execute(
            sa.update(providers_table)
            .where(providers_table.c.name == "Fake Host")
            .values(contacts={**_contacts(hooked), "webhook_secret": SECRET})
        )
    assert delivery_secrets.webhook_secret(hooked, "Fake Host") == SECRET
    [item] = delivery_secrets.status(hooked)
    assert item["legacy_contact"] and not item["encrypted"] and SECRET not in str(item)
    with pytest.raises(SecretError, match="OPENIRU_SECRET_KEY"):
        delivery_secrets.reencrypt(hooked, "adm")
    monkeypatch.setenv("OPENIRU_SECRET_KEY", KEY_A)
    with pytest.raises(Exception, match="role"):
        delivery_secrets.reencrypt(hooked, "bob")
    counts = delivery_secrets.reencrypt(hooked, "adm")
    assert counts["from_contacts"] == 1 and counts["unchanged"] == 0
    assert "webhook_secret" not in _contacts(hooked) and "webhook" in _contacts(hooked)
    assert SECRET not in _stored(hooked).value
    assert delivery_secrets.webhook_secret(hooked, "Fake Host") == SECRET
    assert delivery_secrets.reencrypt(hooked, "adm")["unchanged"] == 1


def test_key_rotation_reseals_with_the_new_key(hooked: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENIRU_SECRET_KEY", KEY_A)
    delivery_secrets.store(hooked, "Fake Host", SECRET, "adm")
    old_row = _stored(hooked)
    monkeypatch.setenv("OPENIRU_SECRET_KEY", KEY_B)
    monkeypatch.setenv("OPENIRU_SECRET_KEY_OLD", KEY_A)
    assert delivery_secrets.reencrypt(hooked, "adm")["resealed"] == 1
    new_row = _stored(hooked)
    assert new_row.key_id != old_row.key_id and new_row.value != old_row.value
    monkeypatch.delenv("OPENIRU_SECRET_KEY_OLD")
    assert delivery_secrets.webhook_secret(hooked, "Fake Host") == SECRET


def test_short_key_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(SecretError, match="too short"):
        Keyring.from_env({"OPENIRU_SECRET_KEY": "short"})


def test_webhook_delivery_signs_with_the_generated_sealed_secret(
    hooked: sa.Engine,
    fake: FakeProvider,
    monkeypatch: pytest.MonkeyPatch,  # noqa: F811
    caplog: pytest.LogCaptureFixture,
) -> None:
    rid = _approved(hooked, fake)
    with pytest.raises(SecretError):  # no key: refused before evidence or delivery
        delivery.send(hooked, "bob", rid, "webhook", now=Clock(), sleep=lambda s: None)
    assert fake.received == [] and delivery.deliveries_of(hooked, rid) == []
    monkeypatch.setenv("OPENIRU_SECRET_KEY", KEY_A)
    with caplog.at_level(logging.DEBUG):
        out = delivery.send(hooked, "bob", rid, "webhook", now=Clock(), sleep=lambda s: None)
    assert out["state"] == "sent"
    secret = delivery_secrets.reveal(hooked, "bob", "Fake Host")
    assert secret not in _stored(hooked).value and secret not in str(out)
    assert secret not in caplog.text and "webhook_secret" not in _contacts(hooked)
    [call] = [c for c in fake.received if c["path"] == "/hook"]
    expected = "sha256=" + hmac.new(secret.encode(), call["body"], hashlib.sha256).hexdigest()
    assert call["headers"]["X-OpenIRU-Signature"] == expected


def test_reveal_needs_a_manager_and_is_audited(hooked: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    from openiru.errors import PermissionDenied
    from openiru.services.access import audit

    monkeypatch.setenv("OPENIRU_SECRET_KEY", KEY_A)
    delivery_secrets.store(hooked, "Fake Host", SECRET, "adm")
    with pytest.raises(PermissionDenied):
        delivery_secrets.reveal(hooked, "ana", "Fake Host")
    assert delivery_secrets.reveal(hooked, "bob", "Fake Host") == SECRET
    actions = [e["action"] for e in audit.entries(hooked, "provider", "Fake Host")]
    assert actions[-2:] == ["provider.webhook_secret", "provider.webhook_secret_reveal"]
    assert all(SECRET not in str(e) for e in audit.entries(hooked))


def test_cli_set_list_reencrypt(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io
    import json

    from test_referral_cli import run

    monkeypatch.setenv("OPENIRU_DB", sqlite_url)
    for name, role in (("ana", "analyst"), ("bob", "approver"), ("adm", "admin")):
        assert run(["user", "add", name, "--role", role]) == 0
    assert run(["provider", "add", "Hook Host", "--domain", "hookhost.example", "--as", "ana"]) == 0
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert run(["provider", "secret", "set", "Hook Host", "--stdin", "--as", "bob"]) == 1  # no key
    assert "OPENIRU_SECRET_KEY" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(SECRET + "\n"))
    assert (
        run(
            [
                "provider",
                "secret",
                "set",
                "Hook Host",
                "--stdin",
                "--allow-plaintext-secrets",
                "--json",
                "--as",
                "bob",
            ]
        )
        == 0
    )
    assert json.loads(capsys.readouterr().out)["scheme"] == "plaintext"
    assert run(["provider", "secret", "set", "Hook Host", "--as", "ana"]) == 3  # analysts may not
    monkeypatch.setenv("OPENIRU_SECRET_KEY", KEY_A)
    capsys.readouterr()
    assert run(["provider", "secret", "reencrypt", "--json", "--as", "adm"]) == 0
    assert json.loads(capsys.readouterr().out)["from_plaintext"] == 1
    assert run(["provider", "secret", "list", "--json"]) == 0
    text = capsys.readouterr().out
    [item] = json.loads(text)
    assert item["encrypted"] and item["current_key"] and SECRET not in text
    assert run(["provider", "secret", "show", "Hook Host", "--as", "bob"]) == 0
    assert capsys.readouterr().out.strip() == SECRET
