"""Hosting service providers and which one must receive a given target.

A provider hosts one or more platforms and domains, accepts referrals in some
languages (TCO Art. 15(2)) through some contact channels.  Resolution is by
URL host (longest matching domain suffix wins), then by platform name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from .targets import Target, url_host


@dataclass(slots=True)
class ProviderInfo:
    name: str
    legal_name: str | None = None
    platforms: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    contacts: dict[str, str] = field(default_factory=dict)
    languages: list[str] = field(default_factory=lambda: ["en"])
    tco_contact: str | None = None
    legal_representative: str | None = None
    main_establishment: str | None = None
    identification_required: bool | None = None
    kind: str | None = None
    notes: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_mapping(cls, d: Mapping[str, Any]) -> ProviderInfo:
        known = set(cls.__dataclass_fields__)
        values = {k: v for k, v in d.items() if k in known}
        for list_field in ("platforms", "domains", "languages"):
            values[list_field] = list(values.get(list_field) or ([] if list_field != "languages" else ["en"]))
        values["contacts"] = dict(values.get("contacts") or {})
        values["domains"] = [x.lower() for x in values["domains"]]
        return cls(**values)

    def document_language(self, preferred: Iterable[str]) -> str:
        """The first of the provider's accepted languages that we have a template for."""
        have = list(preferred)
        for lang in self.languages:
            if lang in have:
                return lang
        return "en"


def _domain_match(host: str, domain: str) -> bool:
    return host == domain or host.endswith("." + domain)


def resolve(
    providers: Iterable[ProviderInfo], url: str | None = None, platform: str | None = None
) -> ProviderInfo | None:
    """The provider that must receive content at ``url`` or on ``platform``."""
    providers = list(providers)
    if url:
        host = url_host(url)
        best: tuple[int, ProviderInfo] | None = None
        for p in providers:
            for d in p.domains:
                if _domain_match(host, d) and (best is None or len(d) > best[0]):
                    best = (len(d), p)
        if best:
            return best[1]
    if platform:
        for p in providers:
            if platform.lower() in (x.lower() for x in p.platforms):
                return p
    return None


def resolve_target(
    providers: Iterable[ProviderInfo], target: Target, url: str | None = None
) -> ProviderInfo | None:
    return resolve(providers, url or target.url, target.platform)
