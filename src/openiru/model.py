"""Domain model: platforms, accounts, posts, media and interaction edges.

Plain dataclasses with no database or web types, so the detection, graph and
referral cores can use them without importing an adapter.  Native ids are kept
as strings exactly as the source gives them (an X ``author_id``, a Telegram
``from_id`` such as ``"user123"``, a Rocket.Chat ``_id``...).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


class PlatformKind(enum.StrEnum):
    MAINSTREAM = "mainstream"
    SMALL = "small"
    DECENTRALISED = "decentralised"
    MESSAGING = "messaging"
    OWN_INFRASTRUCTURE = "own-infrastructure"


class AccountStatus(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DELETED = "deleted"
    UNKNOWN = "unknown"


class EdgeKind(enum.StrEnum):
    MENTION = "mention"
    REPLY = "reply"
    REPOST = "repost"
    QUOTE = "quote"
    FORWARD = "forward"


@dataclass(frozen=True, slots=True)
class Platform:
    name: str
    kind: PlatformKind
    domains: tuple[str, ...] = ()


#: The platforms OpenIRU knows by short, stable name.  Any other name given with
#: ``--platform`` is accepted as a platform of kind "small".
KNOWN_PLATFORMS: dict[str, Platform] = {
    p.name: p
    for p in (
        Platform("x", PlatformKind.MAINSTREAM, ("x.com", "twitter.com", "t.co")),
        Platform("telegram", PlatformKind.MESSAGING, ("t.me", "telegram.me", "telegram.org")),
        Platform("mastodon", PlatformKind.DECENTRALISED, ()),
        Platform("activitypub", PlatformKind.DECENTRALISED, ()),
        Platform("rocketchat", PlatformKind.OWN_INFRASTRUCTURE, ()),
        Platform("zeronet", PlatformKind.DECENTRALISED, ("zeronet.io",)),
        Platform("facebook", PlatformKind.MAINSTREAM, ("facebook.com", "fb.com", "fb.me")),
        Platform("youtube", PlatformKind.MAINSTREAM, ("youtube.com", "youtu.be")),
    )
}


def platform_for(name: str) -> Platform:
    """The registered platform of that name, or a new small platform."""
    return KNOWN_PLATFORMS.get(name) or Platform(name, PlatformKind.SMALL)


@dataclass(frozen=True, slots=True, order=True)
class AccountKey:
    platform: str
    account_id: str

    def __str__(self) -> str:
        return f"{self.platform}:@{self.account_id}"


@dataclass(frozen=True, slots=True, order=True)
class PostKey:
    platform: str
    post_id: str

    def __str__(self) -> str:
        return f"{self.platform}:{self.post_id}"


@dataclass(slots=True)
class Media:
    """A media item.  ``key`` is content-addressed when the file was hashed."""

    sha256: str | None = None
    md5: str | None = None
    mime: str | None = None
    size: int | None = None
    path: str | None = None
    url: str | None = None
    pdq: str | None = None
    pdq_quality: int | None = None
    missing: bool = False
    native_key: str | None = None

    @property
    def key(self) -> str:
        if self.sha256:
            return f"sha256:{self.sha256}"
        if self.url:
            return f"url:{self.url}"
        if self.native_key:
            return f"ref:{self.native_key}"
        if self.path:
            return f"path:{self.path}"
        raise ValueError("media item has neither hash, url, native key nor path")


@dataclass(slots=True)
class Account:
    key: AccountKey
    handle: str | None = None
    display_name: str | None = None
    bio: str | None = None
    avatar: Media | None = None
    created_at: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    followers: int | None = None
    status: AccountStatus = AccountStatus.UNKNOWN
    status_changed_at: datetime | None = None
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Mention:
    """A mention of an account by id where the source gives one, else by handle."""

    handle: str | None = None
    account_id: str | None = None


@dataclass(slots=True)
class Post:
    key: PostKey
    account: AccountKey
    timestamp: datetime
    text: str = ""
    language: str | None = None
    urls: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    mentions: list[Mention] = field(default_factory=list)
    reply_to: PostKey | None = None
    reply_to_account: AccountKey | None = None
    repost_of: PostKey | None = None
    quote_of: PostKey | None = None
    forward_from: AccountKey | None = None
    forward_from_name: str | None = None
    media: list[Media] = field(default_factory=list)
    raw: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Edge:
    """An interaction from one account to another, derived from a post."""

    source: AccountKey
    target: AccountKey
    kind: EdgeKind
    post: PostKey
    time: datetime


def utc(dt: datetime) -> datetime:
    """The same instant as an aware UTC datetime (naive input is taken as UTC)."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def utc_from_timestamp(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=UTC)


def parse_time(value: Any) -> datetime:
    """Parse the time forms platform exports use.

    ISO 8601 strings (with ``Z`` or an offset, or naive = UTC), Unix seconds or
    milliseconds as numbers or digit strings, and ``{"$date": ms}`` objects.
    """
    if isinstance(value, datetime):
        return utc(value)
    if isinstance(value, dict) and "$date" in value:
        return parse_time(value["$date"])
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000.0 if value > 1e11 else float(value)
        return utc_from_timestamp(seconds)
    if isinstance(value, str):
        text = value.strip()
        if text.lstrip("-").isdigit():
            return parse_time(int(text))
        if text.endswith("Z") or text.endswith("z"):
            text = text[:-1] + "+00:00"
        return utc(datetime.fromisoformat(text))
    raise ValueError(f"unrecognised time value {value!r}")


@dataclass(frozen=True, slots=True)
class HashRecord:
    """One entry of a hash bank, lexicon or known-text list, as lists are read and written
    (:mod:`openiru.interop.hashlists`, :mod:`openiru.sources.term_lists`)."""

    kind: str
    value: str
    item: str | None = None
    label: str | None = None
    organisation: str | None = None
    outlet: str | None = None
    source: str | None = None
    language: str | None = None
    deleted: bool = False
