"""What a referral points at: a post, a whole account or a URL.

Targets are written ``PLATFORM:POST_ID`` (Telegram post ids are
``"<chat id>/<message id>"``), ``PLATFORM:@ACCOUNT_ID`` or a full
``http(s)://`` URL.  Each target has a canonical ``key`` used for duplicate
detection and deconfliction matching.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..errors import ConfigError


@dataclass(frozen=True, slots=True)
class Target:
    kind: str  # "post" | "account" | "url"
    key: str
    platform: str | None = None
    ident: str | None = None  # post id or account id
    url: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"kind": self.kind, "key": self.key, "platform": self.platform, "url": self.url}


def normalise_url(url: str) -> str:
    """Scheme and host lower-cased, default port and fragment dropped, trailing slash trimmed."""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower()
    if host.startswith("www."):
        host = host[4:]
    netloc = host
    if parts.port and not (
        (parts.scheme == "http" and parts.port == 80) or (parts.scheme == "https" and parts.port == 443)
    ):
        netloc = f"{host}:{parts.port}"
    path = parts.path.rstrip("/") if parts.path not in ("", "/") else ""
    return urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))


def url_host(url: str) -> str:
    host = (urlsplit(url.strip()).hostname or "").lower()
    return host[4:] if host.startswith("www.") else host


def parse_target(text: str) -> Target:
    text = text.strip()
    if re.match(r"^https?://", text, re.IGNORECASE):
        if not url_host(text):
            raise ConfigError(f"target {text!r}: a URL needs a host")
        key = normalise_url(text)
        return Target("url", key, None, None, text)
    platform, sep, rest = text.partition(":")
    if not sep or not platform or not rest:
        raise ConfigError(f"target {text!r} is neither a URL, PLATFORM:POST_ID nor PLATFORM:@ACCOUNT_ID")
    platform = platform.lower()
    if rest.startswith("@"):
        account_id = rest[1:]
        if not account_id:
            raise ConfigError(f"target {text!r}: empty account id")
        return Target("account", f"{platform}:@{account_id}", platform, account_id)
    return Target("post", f"{platform}:{rest}", platform, rest)


def account_key(platform: str, account_id: str) -> str:
    return f"{platform}:@{account_id}"


def normalise_text(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(text.split())


def content_hash(text: str | None) -> str | None:
    """SHA-256 of the normalised text: the same content posted on several platforms matches."""
    if not text or not normalise_text(text):
        return None
    return hashlib.sha256(normalise_text(text).encode("utf-8")).hexdigest()


def post_url(
    platform: str, post_id: str, account_handle: str | None = None, meta: dict[str, Any] | None = None
) -> str | None:
    """The public address of a post, where the source gave one or the platform has a fixed form."""
    if meta:
        for key in ("url", "uri", "link"):
            value = meta.get(key)
            if isinstance(value, str) and value.startswith("http"):
                return value
    if platform == "x":
        return f"https://x.com/i/status/{post_id}"
    if platform == "telegram" and "/" in post_id and account_handle:
        return f"https://t.me/{account_handle}/{post_id.split('/', 1)[1]}"
    return None
