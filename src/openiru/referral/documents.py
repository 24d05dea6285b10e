"""What goes into the documents sent to providers: plain models, no rendering.

The TCO Regulation (EU) 2021/784 Annex I removal order, section by section
(A issuing state and authority, addressee, reference, time; B content and
reasons under Art. 2(7) points (a)-(e); C informing the content provider; D
copy to the main-establishment state; E issuing authority; F follow-up
contacts; G redress), the voluntary referral notice of the IRU model, and the
provider's feedback in the shape of Annex II (removed or disabled, when) and
Annex III (cannot comply, with the reason and clarification needed).
Rendering to HTML and PDF is in :mod:`openiru.interop.tco`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

#: Art. 2(7): the material that makes content terrorist content.
GROUNDS: dict[str, str] = {
    "a": "incites the commission of terrorist offences (Art. 2(7)(a))",
    "b": "solicits a person or group to commit or contribute to terrorist offences (Art. 2(7)(b))",
    "c": "solicits a person or group to participate in the activities of a terrorist group (Art. 2(7)(c))",
    "d": "provides instruction on the making or use of explosives, firearms or other weapons or "
    "noxious or hazardous substances for terrorist purposes (Art. 2(7)(d))",
    "e": "constitutes a threat to commit a terrorist offence (Art. 2(7)(e))",
}

#: Annex III: why a provider cannot comply.
CANNOT_COMPLY_GROUNDS = ("force_majeure", "manifest_error", "insufficient_information")


@dataclass(slots=True)
class Authority:
    member_state: str
    name: str
    contact: str
    reference_prefix: str = "IRU"


@dataclass(slots=True)
class ContentItem:
    url: str | None
    key: str
    description: str = ""


@dataclass(slots=True)
class RemovalOrder:
    """TCO Annex I, every section."""

    reference: str
    issued_at: datetime
    authority: Authority
    addressee: str
    addressee_legal_name: str | None
    legal_representative: str | None
    contact_point: str | None
    main_establishment: str | None
    items: list[ContentItem]
    grounds: list[str]
    additional_information: str | None = None
    refrain_from_informing: bool = False
    refrain_reason: str | None = None
    refrain_until: str | None = None
    copy_to_main_establishment: bool = True
    follow_up_contact: str | None = None
    redress: str = (
        "The hosting service provider and the content provider have the right to an "
        "effective remedy before the courts of the issuing Member State (Art. 9)."
    )
    language: str = "en"

    @property
    def ground_texts(self) -> list[str]:
        return [GROUNDS[g] for g in self.grounds if g in GROUNDS]

    @property
    def cross_border(self) -> bool:
        return bool(self.main_establishment and self.main_establishment != self.authority.member_state)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["issued_at"] = self.issued_at.isoformat()
        d["ground_texts"] = self.ground_texts
        return d


@dataclass(slots=True)
class ReferralNotice:
    """A voluntary referral: the provider assesses the content against its own terms."""

    reference: str
    issued_at: datetime
    authority: Authority
    addressee: str
    items: list[ContentItem]
    reason: str | None
    deadline: datetime | None
    language: str = "en"
    annex: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["issued_at"] = self.issued_at.isoformat()
        d["deadline"] = self.deadline.isoformat() if self.deadline else None
        return d


@dataclass(slots=True)
class Feedback:
    """Annex II (``removed`` / ``access_disabled`` with a time) or Annex III (``cannot_comply``)."""

    reference: str
    addressee: str
    authority: str
    received_at: datetime | None
    outcome: str
    at: datetime | None
    ground: str | None = None
    clarification_needed: str | None = None
