"""The built-in delivery channels: SMTP email, signed webhook, provider portal, file export.

Configuration comes from keyword options or environment variables:
``OPENIRU_SMTP_HOST`` / ``OPENIRU_SMTP_PORT`` / ``OPENIRU_SMTP_FROM``;
``OPENIRU_WEBHOOK_SECRET`` (or a provider contact ``webhook_secret_env``
naming another variable; otherwise :func:`openiru.services.referral.delivery.send` passes
the provider's sealed secret, see :mod:`openiru.services.referral.secrets`, as
the ``secret`` option; a plain-text contact ``webhook_secret`` of earlier
versions is still read); ``OPENIRU_OUTBOX`` for file export.  Webhooks post
through the SSRF-safe outbound client (:mod:`.outbound`): an internal address
is refused unless ``OPENIRU_WEBHOOK_ALLOW`` names it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import smtplib
import time
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from ...referral.delivery import DeliveryChannel, DeliveryPackage, DeliveryResult
from ...referral.providers import ProviderInfo
from ..outbound import FetchPolicy, FetchRefused, Outbound

SIGNATURE_HEADER = "X-OpenIRU-Signature"


class EmailChannel(DeliveryChannel):
    """Email over SMTP (standard library smtplib), with the documents attached."""

    name = "email"

    def deliver(self, package: DeliveryPackage, provider: ProviderInfo) -> DeliveryResult:
        to = self.options.get("to") or provider.contacts.get("email")
        if not to:
            return DeliveryResult(False, self.name, 0, {"error": f"provider {provider.name!r} has no email"})
        host = self.options.get("host") or os.environ.get("OPENIRU_SMTP_HOST", "127.0.0.1")
        port = int(self.options.get("port") or os.environ.get("OPENIRU_SMTP_PORT", "25"))
        sender = self.options.get("sender") or os.environ.get("OPENIRU_SMTP_FROM", "iru@openiru.invalid")
        msg = EmailMessage()
        msg["Subject"] = package.subject
        msg["From"] = sender
        msg["To"] = to
        msg["X-OpenIRU-Reference"] = package.reference
        msg.set_content(package.text)
        msg.add_alternative(package.html, subtype="html")
        for filename, content in package.attachments.items():
            maintype, subtype = (
                ("application", "pdf") if filename.endswith(".pdf") else ("application", "json")
            )
            msg.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
        try:
            with smtplib.SMTP(host, port, timeout=float(self.options.get("timeout", 10))) as smtp:
                refused = smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            return DeliveryResult(
                False, self.name, 1, {"error": f"{exc.__class__.__name__}: {exc}", "server": f"{host}:{port}"}
            )
        return DeliveryResult(
            not refused, self.name, 1, {"to": to, "server": f"{host}:{port}", "refused": list(refused)}
        )


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def verify_signature(secret: str, body: bytes, header: str | None) -> bool:
    """For the receiving side: does ``X-OpenIRU-Signature`` match the body (constant-time)?"""
    return bool(header) and hmac.compare_digest(sign(secret, body), str(header))


class WebhookChannel(DeliveryChannel):
    """JSON POST signed with HMAC-SHA256, retried with exponential backoff.

    ``sleep`` is injectable so tests never wait; 4xx answers other than 408
    and 429 are not retried (the request itself is wrong), nor are redirects (not
    followed) and addresses the outbound policy refuses.  The ``policy`` option (a
    :class:`.outbound.FetchPolicy`, for the demo and tests) replaces
    ``FetchPolicy.for_webhooks()`` (``OPENIRU_WEBHOOK_ALLOW``).  The ``client`` option (an
    ``httpx.Client``; tests and the demo give one on ``httpx.MockTransport``) is the network the
    delivery posts through instead of the outbound client's own (:class:`.outbound.Outbound`).
    """

    name = "webhook"

    def __init__(
        self,
        *,
        sleep: Callable[[float], None] = time.sleep,
        retries: int = 4,
        backoff: float = 1.0,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.sleep = sleep
        self.retries = retries
        self.backoff = backoff

    def _secret(self, provider: ProviderInfo) -> str:
        if self.options.get("secret"):
            return str(self.options["secret"])
        env_name = provider.contacts.get("webhook_secret_env") or "OPENIRU_WEBHOOK_SECRET"
        return os.environ.get(env_name) or provider.contacts.get("webhook_secret", "")

    def deliver(self, package: DeliveryPackage, provider: ProviderInfo) -> DeliveryResult:
        url = (
            self.options.get("url")
            or provider.contacts.get("webhook")
            or provider.contacts.get("api_endpoint")
        )
        if not url:
            return DeliveryResult(
                False, self.name, 0, {"error": f"provider {provider.name!r} has no webhook"}
            )
        secret = self._secret(provider)
        if not secret:
            return DeliveryResult(
                False, self.name, 0, {"error": "no webhook secret configured (OPENIRU_WEBHOOK_SECRET)"}
            )
        body = json.dumps(package.payload, sort_keys=True, ensure_ascii=False).encode("utf-8")
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(secret, body),
            "X-OpenIRU-Reference": package.reference,
        }
        errors: list[str] = []
        attempts = 0
        policy = self.options.get("policy")
        if not isinstance(policy, FetchPolicy):
            policy = FetchPolicy.for_webhooks(timeout=float(self.options.get("timeout", 10)))
        given = self.options.get("client")
        with Outbound(policy, client=given if isinstance(given, httpx.Client) else None) as client:
            for attempt in range(self.retries + 1):
                attempts = attempt + 1
                try:
                    response = client.post(str(url), content=body, headers=headers)
                except FetchRefused as exc:
                    errors.append(f"FetchRefused: {exc} (OPENIRU_WEBHOOK_ALLOW may name it)")
                    break
                except httpx.HTTPError as exc:
                    errors.append(f"{exc.__class__.__name__}: {exc}")
                else:
                    if response.is_success:
                        return DeliveryResult(
                            True,
                            self.name,
                            attempts,
                            {"url": url, "status": response.status_code, "errors": errors},
                        )
                    errors.append(f"HTTP {response.status_code}")
                    if response.is_redirect or (
                        response.is_client_error and response.status_code not in (408, 429)
                    ):
                        break
                if attempt < self.retries:
                    self.sleep(self.backoff * (2**attempt))
        return DeliveryResult(False, self.name, attempts, {"url": url, "errors": errors})


class PortalChannel(DeliveryChannel):
    """The provider reads the referral in OpenIRU's provider portal: nothing leaves the system."""

    name = "portal"

    def deliver(self, package: DeliveryPackage, provider: ProviderInfo) -> DeliveryResult:
        return DeliveryResult(True, self.name, 1, {"portal": "published to the provider portal"})


class ExportChannel(DeliveryChannel):
    """Files in an outbox folder, for delivery by other means (secure transfer, removable media)."""

    name = "export"

    def deliver(self, package: DeliveryPackage, provider: ProviderInfo) -> DeliveryResult:
        outbox = Path(self.options.get("outbox") or os.environ.get("OPENIRU_OUTBOX", "openiru-outbox"))
        folder = outbox / package.reference
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "referral.json").write_text(
            json.dumps(package.payload, indent=2, ensure_ascii=False), "utf-8"
        )
        (folder / "document.html").write_text(package.html, "utf-8")
        (folder / "document.txt").write_text(package.text, "utf-8")
        for filename, content in package.attachments.items():
            (folder / filename).write_bytes(content)
        return DeliveryResult(True, self.name, 1, {"folder": str(folder)})
