"""Delivery channels as plugins: the interface and what they carry.

A channel takes a :class:`DeliveryPackage` (the rendered documents and a JSON
payload) to one provider and says how it went.  Built-in channels (email,
webhook, portal, export) live in :mod:`openiru.services.referral.channels`
and register under the ``openiru.channels`` entry-point group exactly as a
third-party channel would.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any

from .providers import ProviderInfo


@dataclass(slots=True)
class DeliveryPackage:
    referral_id: int
    reference: str
    kind: str
    subject: str
    text: str
    html: str
    payload: dict[str, Any]
    attachments: dict[str, bytes] = field(default_factory=dict)  # filename -> content


@dataclass(slots=True)
class DeliveryResult:
    ok: bool
    channel: str
    attempts: int = 1
    detail: dict[str, Any] = field(default_factory=dict)


class DeliveryError(Exception):
    """A channel could not deliver (after its retries)."""


class DeliveryChannel(ABC):
    """One way of getting a referral to a provider."""

    name: str = "abstract"

    def __init__(self, **options: Any) -> None:
        self.options = options

    @abstractmethod
    def deliver(self, package: DeliveryPackage, provider: ProviderInfo) -> DeliveryResult:
        """Deliver the package; return the outcome (``ok`` False rather than raising)."""
