"""Webhook delivery through the SSRF-safe outbound client (issue 19, deliverable 2).

A provider's webhook at a loopback, private, link-local (metadata) or own address is
refused when it is configured (service, CLI, API) and again at delivery, unless
``OPENIRU_WEBHOOK_ALLOW`` names it; ``OPENIRU_FETCH_ALLOW`` (evidence capture) does not.
"""

# ruff: noqa: F811  (pytest fixtures imported from other test modules are redefined as parameters)
from __future__ import annotations

import pytest
import sqlalchemy as sa

from openiru.errors import ConfigError
from openiru.services.access.users import add_user
from openiru.services.outbound import FetchPolicy, parse_allow
from openiru.services.referral import delivery, providers
from openiru.services.referral.channels import WebhookChannel
from test_api_support import make_world
from test_referral_cli import db, run  # noqa: F401  (fixture)
from test_referral_delivery import FakeProvider, _approved, fake, ready  # noqa: F401  (fixtures)
from test_referral_service import Clock

INTERNAL = (
    "http://127.0.0.1:9/hook",
    "http://localhost:9/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.1.2.3/hook",
    "http://192.168.0.7/hook",
    "http://[::1]:9/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://[fe80::1]/hook",
    "http://0.0.0.0/hook",
    "file:///etc/passwd",
)


def test_delivery_to_a_loopback_webhook_is_refused_without_the_allow_list(
    ready: sa.Engine, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_WEBHOOK_SECRET", "s3cret")
    monkeypatch.delenv("OPENIRU_WEBHOOK_ALLOW")  # OPENIRU_FETCH_ALLOW still names the server
    rid = _approved(ready, fake)
    with pytest.raises(delivery.DeliveryFailed, match="FetchRefused: 127.0.0.1 resolves to an internal"):
        delivery.send(ready, "bob", rid, "webhook", now=Clock(), sleep=lambda s: None)
    assert [c for c in fake.received] == []  # nothing posted
    [attempt] = delivery.deliveries_of(ready, rid)
    assert attempt["ok"] is False and attempt["attempts"] == 1  # a refusal is not retried


def test_an_override_url_at_the_metadata_address_is_refused(
    ready: sa.Engine,
    fake: FakeProvider,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENIRU_WEBHOOK_SECRET", "s3cret")
    rid = _approved(ready, fake)
    with pytest.raises(delivery.DeliveryFailed, match="169.254.169.254"):
        delivery.send(
            ready,
            "bob",
            rid,
            "webhook",
            now=Clock(),
            sleep=lambda s: None,
            channel_options={"url": "http://169.254.169.254/latest/meta-data/"},
        )


def test_a_redirect_from_an_allowed_webhook_is_not_followed(
    ready: sa.Engine,
    fake: FakeProvider,  # noqa: F811
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("OPENIRU_WEBHOOK_SECRET", "s3cret")
    fake.hook_statuses = [307]
    rid = _approved(ready, fake)
    with pytest.raises(delivery.DeliveryFailed, match="HTTP 307"):
        delivery.send(ready, "bob", rid, "webhook", now=Clock(), sleep=lambda s: None)
    assert len(fake.received) == 1


def test_the_policy_option_allows_one_server(fake: FakeProvider, monkeypatch: pytest.MonkeyPatch) -> None:
    from openiru.referral.delivery import DeliveryPackage
    from openiru.referral.providers import ProviderInfo

    monkeypatch.delenv("OPENIRU_WEBHOOK_ALLOW")
    package = DeliveryPackage(
        referral_id=1,
        reference="R-1",
        kind="referral",
        subject="s",
        text="t",
        html="<p>t</p>",
        payload={"a": 1},
    )
    info = ProviderInfo.from_mapping({"name": "P", "contacts": {"webhook": fake.base + "/hook"}})
    refused = WebhookChannel(secret="s", sleep=lambda s: None).deliver(package, info)
    assert not refused.ok and "FetchRefused" in refused.detail["errors"][0]
    policy = FetchPolicy.for_webhooks(allow=parse_allow(fake.base.removeprefix("http://")))
    sent = WebhookChannel(secret="s", policy=policy).deliver(package, info)
    assert sent.ok and [c["path"] for c in fake.received] == ["/hook"]


@pytest.mark.parametrize("url", INTERNAL)
def test_an_internal_webhook_is_refused_when_configured(
    sqlite_engine: sa.Engine, url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENIRU_WEBHOOK_ALLOW", raising=False)
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "0.0.0.0/0,::/0,localhost")  # not the webhooks' list
    add_user(sqlite_engine, "adm", "admin")
    for key in ("webhook", "api_endpoint"):
        info = providers.merge(None, "Inner", domains=["inner.example"], contacts={key: url})
        with pytest.raises(ConfigError, match=f"{key} .* refused: .*OPENIRU_WEBHOOK_ALLOW"):
            providers.save_provider(sqlite_engine, "adm", info)
    assert all(p.name != "Inner" for p in providers.list_providers(sqlite_engine))


def test_the_allow_list_admits_an_internal_webhook_and_public_ones_pass(
    sqlite_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(sqlite_engine, "adm", "admin")
    monkeypatch.setenv("OPENIRU_WEBHOOK_ALLOW", "10.20.0.0/16,relay.internal.example:8443")
    for name, url in (("Relay", "http://10.20.3.4/hook"), ("Public", "https://93.184.215.14/hook")):
        providers.save_provider(sqlite_engine, "adm", providers.merge(None, name, contacts={"webhook": url}))
    with pytest.raises(ConfigError, match="10.21.0.1"):
        providers.save_provider(
            sqlite_engine,
            "adm",
            providers.merge(None, "Other", contacts={"webhook": "http://10.21.0.1/hook"}),
        )


def test_cli_provider_add_refuses_an_internal_webhook_in_one_line(
    db: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENIRU_WEBHOOK_ALLOW", raising=False)
    capsys.readouterr()
    assert run(["provider", "add", "Inner", "--webhook", "http://169.254.169.254/x", "--as", "ana"]) == 1
    err = capsys.readouterr().err.strip()
    assert "OPENIRU_WEBHOOK_ALLOW" in err and "Traceback" not in err and len(err.splitlines()) <= 2
    monkeypatch.setenv("OPENIRU_WEBHOOK_ALLOW", "169.254.169.254")
    assert run(["provider", "add", "Inner", "--webhook", "http://169.254.169.254/x", "--as", "ana"]) == 0


def test_api_refuses_an_internal_webhook_with_400(
    sqlite_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENIRU_WEBHOOK_ALLOW", raising=False)
    client = make_world(sqlite_engine).client("admin")
    res = client.put(
        "/api/v1/providers/Inner", json={"name": "Inner", "contacts": {"webhook": "http://127.0.0.1:6379/"}}
    )
    assert res.status_code == 400 and "OPENIRU_WEBHOOK_ALLOW" in res.json()["error"]["message"]
    assert client.get("/api/v1/providers/Inner").status_code == 404
