"""The demo's platform-neutral records: accounts, posts, planted media.

The generator builds these first; one writer per platform then renders them in
that platform's real export format.  Post ids here are the keys the importers
produce (``"<chat id>/<message id>"`` on Telegram, the tweet id on X...), so the
ground truth speaks the same keys as the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(eq=False)
class DemoAccount:
    platform: str
    account_id: str
    handle: str
    display_name: str
    bio: str
    language: str
    role: str
    community: bool
    created_at: datetime
    status: str = "active"
    suspended_at: datetime | None = None
    followers: int = 0
    avatar: str = ""  # avatar picture's file name (the same for a re-created account)
    #: Platform specifics: Telegram chat kind and numeric id, Mastodon instance...
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> dict[str, str]:
        return {"platform": self.platform, "account_id": self.account_id}

    def active_at(self, when: datetime) -> bool:
        if when < self.created_at:
            return False
        return self.suspended_at is None or when < self.suspended_at


@dataclass(frozen=True, slots=True)
class PlantedMedia:
    """An image file attached to a post: ``item`` is the bank item it copies (or None)."""

    file: str  # path relative to the output folder
    data: bytes
    item: str | None = None
    variant: str | None = None
    width: int = 0
    height: int = 0


@dataclass(eq=False)
class DemoPost:
    platform: str
    post_id: str
    account: DemoAccount
    time: datetime
    text: str
    language: str
    hashtags: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    mentions: list[DemoAccount] = field(default_factory=list)
    reply_to: DemoPost | None = None
    repost_of: DemoPost | None = None
    quote_of: DemoPost | None = None
    forward_of: DemoPost | None = None
    media: list[PlantedMedia] = field(default_factory=list)
    #: Pictures the export only links to (X, Mastodon, Rocket.Chat uploads): (native id, width, height).
    remote_media: list[tuple[str, int, int]] = field(default_factory=list)
    #: Where the message lives: a Telegram chat or Rocket.Chat room (``None`` elsewhere).
    chat: Any = None
    message_id: int = 0
    #: Known text planted in this post: (item, variant).
    known_text: tuple[str, str] | None = None
    #: The organisation's own content (what detection should flag).
    flagged: bool = False
    title: str = ""  # ZeroNet blog post title
    system: str = ""  # a Rocket.Chat system message type ("uj": user joined): not a post

    @property
    def key(self) -> dict[str, str]:
        return {"platform": self.platform, "post_id": self.post_id}
