"""Delivery to local fakes (SMTP with aiosmtpd, signed webhook with retries), evidence
preservation with WARC, and removal verification against a fake provider: on 127.0.0.1 through
the outbound client's own network, or as the ``httpx.MockTransport`` client passed in."""

from __future__ import annotations

import email
import gzip
import hashlib
import hmac
import json
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from warcio.archiveiterator import ArchiveIterator

from openiru.services.access.users import add_user
from openiru.services.referral import delivery, evidence, providers
from openiru.services.referral import records as referral_records
from openiru.services.referral import verify as referrals_verify
from openiru.services.referral import workflow as referrals
from openiru.services.referral.channels import SIGNATURE_HEADER
from test_referral_service import Clock, seed

PAGE_TEXT = "Neutral placeholder statement number one."


class FakeProvider:
    """A hosting provider on 127.0.0.1: pages that can be taken down, and a webhook inbox."""

    def __init__(self) -> None:
        self.pages: dict[str, tuple[int, str]] = {}
        self.hook_statuses: list[int] = []
        self.received: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                status, body = fake.pages.get(self.path, (404, "not found"))
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fake.received.append({"path": self.path, "body": body, "headers": dict(self.headers)})
                status = fake.hook_statuses.pop(0) if fake.hook_statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        # The same provider as a client passed in: no socket, any host name.
        self.client = httpx.Client(transport=httpx.MockTransport(self.handle))

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.received.append(
                {
                    "path": request.url.path,
                    "body": request.read(),
                    "headers": request.headers,
                    "host": request.url.host,
                }
            )
            return httpx.Response(self.hook_statuses.pop(0) if self.hook_statuses else 200)
        status, body = self.pages.get(request.url.path, (404, "not found"))
        return httpx.Response(status, content=body.encode(), headers={"Content-Type": "text/html"})

    def close(self) -> None:
        self.client.close()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeProvider]:
    f = FakeProvider()
    # the outbound client refuses 127.0.0.1 unless the allow-lists name it (fetches, webhooks)
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", f"127.0.0.1:{f.server.server_address[1]}")
    monkeypatch.setenv("OPENIRU_WEBHOOK_ALLOW", f"127.0.0.1:{f.server.server_address[1]}")
    yield f
    f.close()


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def ready(
    sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake: FakeProvider
) -> sa.Engine:
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    seed(sqlite_engine)
    add_user(sqlite_engine, "adm", "admin")
    fake.pages["/post/1"] = (200, f"<html><body><p>{PAGE_TEXT}</p></body></html>")
    providers.save_provider(
        sqlite_engine,
        "adm",
        providers.merge(
            None,
            "Fake Host",
            domains=["127.0.0.1"],
            platforms=["fakenet"],
            languages=["fr", "en"],
            contacts={"email": "abuse@fakehost.invalid", "webhook": fake.base + "/hook"},
            main_establishment="IE",
        ),
    )
    return sqlite_engine


def _approved(engine: sa.Engine, fake: FakeProvider, kind: str = "referral") -> int:
    clock = Clock()
    [r] = referrals.create_referrals(engine, "ana", [fake.base + "/post/1"], kind=kind, now=clock)
    assert r["provider"] == "Fake Host"
    referrals.approve(engine, "bob", r["id"], now=clock)
    return int(r["id"])


def test_email_delivery_to_local_smtp_with_pdf_in_the_provider_language(
    ready: sa.Engine, fake: FakeProvider, smtp: tuple[Inbox, int]
) -> None:
    inbox, port = smtp
    rid = _approved(ready, fake, kind="removal-order")
    out = delivery.send(
        ready, "bob", rid, "email", now=Clock(), channel_options={"host": "127.0.0.1", "port": port}
    )
    assert out["state"] == "sent" and out["channel"] == "email"
    [msg] = inbox.messages
    assert msg["To"] == "abuse@fakehost.invalid"
    assert msg["X-OpenIRU-Reference"] == out["reference"]
    parts = {p.get_content_type(): p for p in msg.walk()}
    text = parts["text/plain"].get_payload(decode=True).decode()
    assert (
        "Injonction de retrait" in text and fake.base + "/post/1" in text
    )  # French: provider's first language
    pdf = parts["application/pdf"].get_payload(decode=True)
    assert pdf.startswith(b"%PDF")


def test_email_failure_is_recorded_and_the_referral_stays_approved(
    ready: sa.Engine, fake: FakeProvider
) -> None:
    rid = _approved(ready, fake)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    with pytest.raises(delivery.DeliveryFailed):
        delivery.send(ready, "bob", rid, "email", now=Clock(), channel_options={"port": closed_port})
    assert delivery.deliveries_of(ready, rid)[0]["ok"] is False
    assert referral_records.get_referral(ready, rid)["state"] == "approved"


def test_signed_webhook_retries_with_backoff(
    ready: sa.Engine, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_WEBHOOK_SECRET", "s3cret")
    fake.hook_statuses = [500, 503, 200]
    waits: list[float] = []
    rid = _approved(ready, fake)
    out = delivery.send(
        ready,
        "bob",
        rid,
        "webhook",
        now=Clock(),
        sleep=waits.append,
        channel_options={"url": "https://hooks.fakehost.invalid/openiru"},
        client=fake.client,
    )
    assert out["state"] == "sent" and out["delivery"]["attempts"] == 3
    assert waits == [1.0, 2.0]
    last = fake.received[-1]
    assert last["host"] == "hooks.fakehost.invalid"  # through the client passed in: no DNS, no socket
    expected = "sha256=" + hmac.new(b"s3cret", last["body"], hashlib.sha256).hexdigest()
    assert last["headers"][SIGNATURE_HEADER] == expected
    payload = json.loads(last["body"])
    assert payload["reference"] == out["reference"] and payload["items"][0]["url"] == fake.base + "/post/1"


def test_webhook_gives_up_after_retries(
    ready: sa.Engine, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_WEBHOOK_SECRET", "s3cret")
    fake.hook_statuses = [500] * 10
    waits: list[float] = []
    rid = _approved(ready, fake)
    with pytest.raises(delivery.DeliveryFailed, match="HTTP 500"):
        delivery.send(ready, "bob", rid, "webhook", now=Clock(), sleep=waits.append, client=fake.client)
    assert waits == [1.0, 2.0, 4.0, 8.0] and len(fake.received) == 5


def test_webhook_over_the_outbound_network_to_the_allowed_local_provider(
    ready: sa.Engine, fake: FakeProvider, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without a client passed in the delivery goes over the network (the fixture allows the
    fake's 127.0.0.1 port); without that allow-list entry it is refused, nothing sent."""
    monkeypatch.setenv("OPENIRU_WEBHOOK_SECRET", "s3cret")
    rid = _approved(ready, fake)
    out = delivery.send(ready, "bob", rid, "webhook", now=Clock(), sleep=lambda s: None)
    assert out["state"] == "sent" and fake.received[-1]["path"] == "/hook"
    monkeypatch.setenv("OPENIRU_WEBHOOK_ALLOW", "")
    rid2 = _approved(ready, fake)
    with pytest.raises(delivery.DeliveryFailed, match="FetchRefused"):
        delivery.send(ready, "bob", rid2, "webhook", now=Clock(), sleep=lambda s: None)
    assert len(fake.received) == 1


def test_evidence_is_preserved_as_warc_with_sha256(ready: sa.Engine, fake: FakeProvider) -> None:
    rid = _approved(ready, fake)
    delivery.send(ready, "bob", rid, "portal", now=Clock())
    items = evidence.list_evidence(ready, rid)
    kinds = {e["kind"] for e in items}
    assert {"raw", "warc"} <= kinds
    warc = next(e for e in items if e["kind"] == "warc")
    data = Path(warc["path"]).read_bytes()
    assert hashlib.sha256(data).hexdigest() == warc["sha256"]
    with gzip.open(warc["path"], "rb") as fh:
        responses = [
            (
                r.rec_headers.get_header("WARC-Target-URI"),
                r.http_headers.get_statuscode(),
                r.content_stream().read(),
            )
            for r in ArchiveIterator(fh)
            if r.rec_type == "response"
        ]
    [(uri, status, body)] = responses
    assert (uri, status) == (fake.base + "/post/1", "200") and PAGE_TEXT.encode() in body


def test_retention_purge_is_audited(ready: sa.Engine, fake: FakeProvider) -> None:
    from openiru.services.access import audit

    rid = _approved(ready, fake)
    clock = Clock()
    delivery.send(ready, "bob", rid, "portal", now=clock)
    files = [e["path"] for e in evidence.list_evidence(ready, rid) if e["path"]]
    assert evidence.purge(ready, "adm", now=clock)["items"] == 0
    with pytest.raises(Exception, match="role"):
        evidence.purge(ready, "ana", now=clock)
    clock.advance(days=200)
    summary = evidence.purge(ready, "adm", now=clock)
    assert summary["files_deleted"] == len(files) and not any(Path(f).exists() for f in files)
    assert audit.entries(ready, "evidence")[-1]["action"] == "evidence.purge"
    assert audit.verify(ready).ok


def test_verification_against_fake_provider_and_reopen(ready: sa.Engine, fake: FakeProvider) -> None:
    clock = Clock()
    rid = _approved(ready, fake)
    delivery.send(ready, "bob", rid, "portal", now=clock)
    referrals.feedback(ready, "bob", rid, "removed", now=clock)
    fake.pages["/post/1"] = (410, "gone")
    checked = referrals_verify.verify(ready, "bob", rid, now=clock, client=fake.client)
    assert checked["state"] == "removed" and checked["verification"]["checks"][0]["reachable"] is False
    # the content comes back: the referral is re-opened with a fresh deadline
    fake.pages["/post/1"] = (200, f"<p>{PAGE_TEXT}</p>")
    clock.advance(hours=1)
    again = referrals_verify.verify(ready, "bob", rid, now=clock, client=fake.client)
    assert again["verification"]["outcome"] == "reopened" and again["state"] == "sent"
    assert again["deadline"] == (clock.at + timedelta(hours=2)).isoformat()
    assert [h["action"] for h in again["history"]][-1] == "reopen"


def test_verification_at_deadline(ready: sa.Engine, fake: FakeProvider) -> None:
    clock = Clock()
    rid = _approved(ready, fake)
    delivery.send(ready, "bob", rid, "portal", now=clock)
    clock.advance(hours=3)
    [result] = referrals_verify.verify_due(ready, "bob", now=clock, client=fake.client)
    assert result["state"] == "no_response"
    fake.pages["/post/1"] = (404, "<p>This content is no longer available.</p>")
    result = referrals_verify.verify(ready, "bob", rid, now=clock)
    assert result["state"] == "removed" and result["verification"]["outcome"] == "verified_removed"


def test_content_check_on_a_page_that_still_answers(fake: FakeProvider) -> None:
    from openiru.referral.targets import parse_target
    from openiru.services.referral.evidence import default_fetch
    from openiru.services.referral.records import TargetInfo

    info = TargetInfo(parse_target("fakenet:1"), url=fake.base + "/post/1", text=PAGE_TEXT)
    fake.pages["/post/1"] = (200, f"<p>{PAGE_TEXT.upper()}</p>")
    assert referrals_verify.check_target(info, default_fetch)["reachable"] is True
    fake.pages["/post/1"] = (200, "<p>This content is no longer available.</p>")
    gone = referrals_verify.check_target(info, default_fetch)
    assert gone["reachable"] is False and gone["status"] == 200
    fake.pages["/post/1"] = (503, "busy")
    assert referrals_verify.check_target(info, default_fetch)["reachable"] is None


def test_export_channel_writes_the_documents(ready: sa.Engine, fake: FakeProvider, tmp_path: Path) -> None:
    rid = _approved(ready, fake)
    out = delivery.send(ready, "bob", rid, "export", now=Clock(), channel_options={"outbox": tmp_path / "ob"})
    folder = Path(out["delivery"]["folder"])
    assert json.loads((folder / "referral.json").read_text())["reference"] == out["reference"]
    assert "Signalement" in (folder / "document.html").read_text()


def test_removal_order_section_c_and_annex_ii_feedback(
    ready: sa.Engine, fake: FakeProvider, tmp_path: Path
) -> None:
    from openiru.interop.tco import labels

    clock = Clock()
    [r] = referrals.create_referrals(
        ready,
        "ana",
        [fake.base + "/post/1"],
        kind="removal-order",
        grounds=["c"],
        refrain_from_informing=True,
        refrain_reason="ongoing operation",
        refrain_until="2026-09-01",
        now=clock,
    )
    referrals.approve(ready, "bob", r["id"], now=clock)
    out = delivery.send(
        ready, "bob", r["id"], "export", now=clock, channel_options={"outbox": tmp_path / "ob"}
    )
    folder = Path(out["delivery"]["folder"])
    text = (folder / "document.txt").read_text()
    fr = labels("fr")
    assert fr["refrain_yes"] in text and "ongoing operation" in text and fr["ground_c"] in text
    assert (folder / f"{out['reference']}.pdf").read_bytes().startswith(b"%PDF")
    clock.advance(minutes=45)
    done = referrals.feedback(
        ready, "bob", r["id"], "removed", at="2026-03-01T12:40:00Z", provider_reference="FH-123", now=clock
    )
    fb = done["feedback"]
    assert (fb["reference"], fb["provider_reference"], fb["at"]) == (
        out["reference"],
        "FH-123",
        "2026-03-01T12:40:00+00:00",
    )
    assert fb["received_at"] == "2026-03-01T12:00:00+00:00" and done["time_to_removal_s"] == 40 * 60


def test_receiver_side_signature_check() -> None:
    from openiru.services.referral.channels import sign, verify_signature

    body = b'{"reference": "IRU-1"}'
    assert verify_signature("k", body, sign("k", body))
    assert not verify_signature("k", body + b" ", sign("k", body))
    assert not verify_signature("k", body, None)


def _offline(url: str) -> Any:
    import httpx

    raise httpx.ConnectError("offline")


def test_media_files_are_preserved_with_their_digest(ready: sa.Engine, tmp_path: Path) -> None:
    from openiru.model import AccountKey, Media, Post, PostKey
    from openiru.services.collect import media as media_store
    from openiru.services.collect.ingest import ingest_source
    from test_referral_service import T0, ListSource

    picture = tmp_path / "picture.jpg"
    picture.write_bytes(b"\xff\xd8 placeholder image bytes \xff\xd9")
    digest = hashlib.sha256(picture.read_bytes()).hexdigest()
    ingest_source(
        ready,
        ListSource(
            [
                Post(
                    PostKey("x", "77"),
                    AccountKey("x", "9"),
                    T0,
                    text="placeholder",
                    media=[Media(sha256=digest, path=str(picture), mime="image/jpeg")],
                )
            ]
        ),
        after_batch=[media_store.ingest_hook(ready)],
    )  # evidence copies from the media store
    clock = Clock()
    [r] = referrals.create_referrals(ready, "ana", ["x:77"], now=clock)
    referrals.approve(ready, "bob", r["id"], now=clock)
    delivery.send(ready, "bob", r["id"], "portal", now=clock, fetch=_offline)
    items = evidence.list_evidence(ready, r["id"])
    [media] = [e for e in items if e["kind"] == "media"]
    assert media["sha256"] == digest and Path(media["path"]).read_bytes() == picture.read_bytes()
    raw = json.loads(Path(next(e for e in items if e["kind"] == "raw")["path"]).read_text())
    assert raw["target"]["key"] == "x:77" and raw["author"] == "x:@9"
    [warc] = [e for e in items if e["kind"] == "warc"]
    assert warc["path"] is None and "offline" in warc["meta"]["error"]
