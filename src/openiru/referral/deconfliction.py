"""Deconfliction: hands-off entries from member-state agencies, and what they cover.

An agency registers an account, a post, a URL, a media hash or a whole channel tied
to one of its investigations.  A referral whose target touches an entry is
put on hold; only the owning agency sees which investigation it is, everyone
else learns that a hold exists and nothing more.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ..errors import ConfigError
from .targets import normalise_url

KINDS = ("account", "url", "hash", "channel", "post")


@dataclass(frozen=True, slots=True)
class Entry:
    id: int
    agency: str
    kind: str
    value: str
    investigation_ref: str
    created_at: datetime | None = None
    expires_at: datetime | None = None
    active: bool = True

    def is_live(self, now: datetime) -> bool:
        return self.active and (self.expires_at is None or self.expires_at > now)


@dataclass(slots=True)
class Identifiers:
    """Everything a referral target is known by."""

    accounts: set[str] = field(default_factory=set)  # "platform:@id"
    urls: set[str] = field(default_factory=set)  # normalised
    hashes: set[str] = field(default_factory=set)  # lower-case hex (sha256, md5, pdq, text hash)
    posts: set[str] = field(default_factory=set)  # "platform:post_id"


def normalise_value(kind: str, value: str) -> str:
    """The canonical form an entry is stored and matched in."""
    if kind not in KINDS:
        raise ConfigError(f"unknown deconfliction kind {kind!r}; kinds: {', '.join(KINDS)}")
    value = value.strip()
    if not value:
        raise ConfigError("a deconfliction entry needs a value")
    if kind == "hash":
        return value.lower().removeprefix("sha256:").removeprefix("md5:").removeprefix("pdq:")
    if kind == "url" or value.lower().startswith(("http://", "https://")):
        return normalise_url(value)
    if kind == "post":
        platform, sep, ident = value.partition(":")
        if not sep or not ident or ident.startswith("@"):
            raise ConfigError(f"post {value!r}: write it as PLATFORM:POST_ID")
        return f"{platform.lower()}:{ident}"
    # account or channel as PLATFORM:@ID (the @ is optional on input)
    platform, sep, ident = value.partition(":")
    if not sep or not ident:
        raise ConfigError(f"{kind} {value!r}: write it as PLATFORM:@ACCOUNT_ID or give a URL")
    return f"{platform.lower()}:@{ident.lstrip('@')}"


def matches(entry: Entry, ids: Identifiers) -> bool:
    value = entry.value
    if entry.kind == "hash":
        return value in ids.hashes
    if entry.kind == "url":
        return value in ids.urls
    if entry.kind == "account":
        return value in ids.accounts
    if entry.kind == "post":
        return value in ids.posts
    # channel: the account itself, or anything under the channel's URL
    if value.startswith(("http://", "https://")):
        prefix = value.rstrip("/") + "/"
        return any(u == value or u.startswith(prefix) for u in ids.urls)
    return value in ids.accounts


def holds_for(entries: Iterable[Entry], ids: Identifiers, now: datetime) -> list[Entry]:
    return [e for e in entries if e.is_live(now) and matches(e, ids)]


def view(entry: Entry, viewer_agency: str | None) -> dict[str, Any]:
    """What a viewer may see of an entry: details for the owner, the bare fact for others."""
    if viewer_agency is not None and viewer_agency == entry.agency:
        return {
            "id": entry.id,
            "agency": entry.agency,
            "kind": entry.kind,
            "value": entry.value,
            "investigation_ref": entry.investigation_ref,
            "created_at": entry.created_at.isoformat() if entry.created_at else None,
            "expires_at": entry.expires_at.isoformat() if entry.expires_at else None,
            "active": entry.active,
        }
    return {
        "id": entry.id,
        "hold": True,
        "note": "a deconfliction hold exists; details are visible to the owning agency only",
    }
