"""The world's records before they are written out: accounts, posts, media, and the id schemes.

Each platform has its own id scheme, as the real exports have them: X snowflakes (time-ordered
64-bit numbers), Telegram ``user<id>`` / ``channel<id>`` peers with per-chat message numbers,
Rocket.Chat Meteor ids (17 characters of an alphabet without look-alike letters) and Mastodon
snowflakes (milliseconds shifted left 16 bits).  Posts reference each other by object, and ids are
given out once the world is complete (:func:`assign_post_ids`), because Telegram message numbers
follow the order of the chat.
"""

from __future__ import annotations

import hashlib
import io
import random
from dataclasses import dataclass, field
from typing import Any

from PIL import Image, ImageDraw

IMAGE_SIZE = 48
X_EPOCH_MS = 1288834974657
METEOR_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"
PLATFORMS = ("x", "telegram", "rocketchat", "mastodon")


@dataclass(eq=False)
class Account:
    """One account on one platform; ``actor`` names the person or organisation behind it."""

    platform: str
    account_id: str
    handle: str | None
    display_name: str
    role: str
    actor: str
    bio: str = ""
    avatar: str | None = None
    created_at: float | None = None
    followers: int = 0
    status: str = "active"  # active | suspended | deleted
    removed_at: float | None = None
    channel: bool = False  # a Telegram channel (posts as the chat itself)
    remote_host: str | None = None  # Mastodon: an account of another instance (acct user@host)
    active_from: float = 0.0
    active_to: float = 0.0

    @property
    def key(self) -> dict[str, str]:
        return {"platform": self.platform, "account_id": self.account_id}


@dataclass
class Media:
    """An image a post carries; ``data`` is the file (Telegram exports carry their photos)."""

    name: str
    data: bytes

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def md5(self) -> str:
        return hashlib.md5(self.data).hexdigest()  # noqa: S324 - a hash-list format, not security


def make_image(rng: random.Random, name: str) -> Media:
    """A small JPEG of random coloured rectangles (a release's picture), drawn with Pillow."""
    img = Image.new("RGB", (IMAGE_SIZE, IMAGE_SIZE), tuple(rng.randrange(256) for _ in range(3)))
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x0, y0 = rng.randrange(IMAGE_SIZE - 8), rng.randrange(IMAGE_SIZE - 8)
        x1, y1 = x0 + rng.randrange(4, IMAGE_SIZE - x0), y0 + rng.randrange(4, IMAGE_SIZE - y0)
        draw.rectangle((x0, y0, x1, y1), fill=tuple(rng.randrange(256) for _ in range(3)))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=90)
    return Media(f"{name}.jpg", buf.getvalue())


@dataclass(eq=False)
class Post:
    account: Account
    time: float
    text: str = ""
    hashtags: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    mentions: list[Account] = field(default_factory=list)
    reply_to: Post | None = None
    repost_of: Post | None = None
    quote_of: Post | None = None
    forward_of: Post | None = None  # Telegram: a forwarded message (the original's author is named)
    media: list[Media] = field(default_factory=list)
    room: str = ""  # Telegram chat / Rocket.Chat room name
    post_id: str = ""
    lang: str = "en"
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def platform(self) -> str:
        return self.account.platform


class Ids:
    """Unique ids for one world, in each platform's scheme."""

    def __init__(self, rng: random.Random, tg_width: int = 9) -> None:
        self.rng = rng
        self.tg_width = tg_width
        self._used: set[str] = set()
        self._seq = 0

    def _fresh(self, make: Any) -> str:
        while True:
            value = make()
            if value not in self._used:
                self._used.add(value)
                return value

    def x_user(self, created: float) -> str:
        if self.rng.random() < 0.5:  # old accounts: short sequential-looking numbers
            return self._fresh(lambda: str(self.rng.randint(10**7, 10**10)))
        return self._fresh(lambda: str(self.x_snowflake(created)))

    def x_snowflake(self, t: float) -> int:
        self._seq = (self._seq + 1) % 4096
        ms = int(t * 1000) - X_EPOCH_MS
        return (ms << 22) | (self.rng.randrange(1024) << 12) | self._seq

    def telegram_peer(self, channel: bool = False) -> str:
        if channel:
            return self._fresh(lambda: f"channel{self.rng.randint(10**9, 2 * 10**9)}")
        low = 10 ** (self.tg_width - 1)
        return self._fresh(lambda: f"user{self.rng.randint(low, 10 * low - 1)}")

    def meteor(self) -> str:
        return self._fresh(lambda: "".join(self.rng.choice(METEOR_ALPHABET) for _ in range(17)))

    def mastodon(self, t: float) -> str:
        self._seq = (self._seq + 1) % 65536
        return self._fresh(lambda: str((int(t * 1000) << 16) | self.rng.randrange(65536)))

    def account_id(self, platform: str, created: float, channel: bool = False) -> str:
        if platform == "x":
            return self.x_user(created)
        if platform == "telegram":
            return self.telegram_peer(channel)
        if platform == "mastodon":
            return self.mastodon(created)
        return self.meteor()


def assign_post_ids(posts: list[Post], ids: Ids) -> None:
    """Give every post its platform id: X and Mastodon snowflakes from the time, Rocket.Chat Meteor
    ids, Telegram ``<chat id>/<n>`` numbers in time order within each chat (set by the writer's
    chat ids in ``meta['chat_id']``)."""
    counters: dict[str, int] = {}
    for post in sorted(posts, key=lambda p: p.time):
        platform = post.platform
        if platform == "x":
            post.post_id = str(ids.x_snowflake(post.time))
        elif platform == "mastodon":
            post.post_id = ids.mastodon(post.time)
        elif platform == "telegram":
            chat = str(post.meta["chat_id"])
            counters[chat] = counters.get(chat, 0) + 1
            post.meta["message_id"] = counters[chat]
            post.post_id = f"{chat}/{counters[chat]}"
        else:
            post.post_id = ids.meteor()


@dataclass
class World:
    """Everything one seed produced: accounts, posts, the unit's assets and the ground truth."""

    seed: int
    params: Any
    accounts: list[Account] = field(default_factory=list)
    posts: list[Post] = field(default_factory=list)
    known_media: list[Media] = field(default_factory=list)
    known_texts: list[tuple[str, str, str]] = field(default_factory=list)  # (id, text, language)
    lexicon: list[tuple[str, str, str]] = field(default_factory=list)  # (term, language, kind)
    seeds: list[Account] = field(default_factory=list)
    groups: list[dict[str, Any]] = field(default_factory=list)  # planted coordination
    recreated: list[tuple[Account, Account, str]] = field(default_factory=list)  # (new, old, edit kind)
    lookalikes: list[tuple[Account, Account, str]] = field(default_factory=list)
    telegram_chats: dict[str, dict[str, Any]] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)

    def add(self, account: Account) -> Account:
        self.accounts.append(account)
        return account

    def post(self, post: Post) -> Post:
        self.posts.append(post)
        return post
