"""Account lists as units receive them: handles, profile URLs and ids, in TXT, CSV or XLSX.

Each entry becomes an :class:`Entry` (platform, ``handle`` or ``id``, value) or a Problem:

* profile URLs: ``x.com/NAME`` / ``twitter.com/NAME`` (and ``mobile.``, ``www.``; a status URL
  names its author; ``x.com/i/user/123`` and ``intent/user?user_id=123`` are ids),
  ``t.me/NAME`` / ``t.me/s/NAME`` / ``telegram.me/NAME`` (invite links are refused: they
  name no account), ``facebook.com/NAME``, ``youtube.com/@NAME`` / ``/channel/ID``, and any
  other host as a fediverse instance: ``https://host/@NAME`` or ``https://host/users/NAME``
  (handle ``NAME@host``);
* ``@NAME@host`` (fediverse), ``@NAME`` or ``NAME`` (a handle), digits (an id): their
  platform is ``--platform`` (or a ``platform`` column); without one the entry is unparseable.

A CSV or sheet with a header takes the first column named like an account (``handle``,
``username``, ``screen_name``, ``account``, ``url``, ``profile``, ``link``, ``id``...) and a
``platform`` column where there is one; without a header the first column.  Blank lines and
lines starting with ``#`` are skipped.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..errors import FormatError
from .base import Problem
from .tabular import is_xlsx, iter_sheet_rows

ACCOUNT_COLUMNS = (
    "handle",
    "username",
    "screen_name",
    "user",
    "account",
    "user_name",
    "channel",
    "url",
    "profile",
    "profile_url",
    "link",
    "account_id",
    "user_id",
    "id",
    "name",
)
_X_HOSTS = {"x.com", "twitter.com", "mobile.twitter.com", "mobile.x.com"}
_X_RESERVED = {
    "i",
    "intent",
    "home",
    "search",
    "hashtag",
    "share",
    "explore",
    "settings",
    "messages",
    "notifications",
    "login",
    "signup",
    "tos",
    "privacy",
}
_TELEGRAM_HOSTS = {"t.me", "telegram.me", "telegram.dog"}
_FACEBOOK_HOSTS = {"facebook.com", "m.facebook.com", "fb.com"}
_YOUTUBE_HOSTS = {"youtube.com", "m.youtube.com"}
#: Platforms whose handles have no instance part: ``@user@host`` is never theirs.
_CENTRAL = {"x", "telegram", "facebook", "youtube"}
_HANDLE = re.compile(r"@?([A-Za-z0-9_.\-]{1,100})")
_FEDI = re.compile(r"@?([A-Za-z0-9_.\-]+)@([A-Za-z0-9.\-]+\.[A-Za-z]{2,})")


@dataclass(frozen=True, slots=True)
class Entry:
    platform: str
    kind: str  # "handle" or "id"
    value: str
    location: str


def parse_entry(text: str, platform: str | None, location: str, file: str) -> Entry | Problem:
    """One list entry; ``platform`` applies to entries that do not name theirs."""
    raw = text.strip().strip("\"'<>").strip()
    if not raw:
        return Problem(file, location, "empty entry")
    fedi = _FEDI.fullmatch(raw)
    if fedi is not None:
        return Entry(_fediverse(platform), "handle", f"{fedi.group(1)}@{fedi.group(2).lower()}", location)
    if "/" in raw or raw.lower().startswith(("http:", "https:", "www.")):
        return _from_url(raw, platform, location, file)
    if raw.isdigit():
        if not platform:
            return Problem(file, location, f"{raw!r} is an id of no known platform: give --platform")
        return Entry(platform, "id", raw, location)
    handle = _HANDLE.fullmatch(raw)
    if handle is None:
        return Problem(file, location, f"{raw!r} is neither a handle, a profile URL nor an id")
    if not platform:
        return Problem(file, location, f"{raw!r} is a handle of no known platform: give --platform")
    return Entry(platform, "handle", handle.group(1), location)


def _fediverse(platform: str | None) -> str:
    """The platform of a fediverse account: the one given unless it is a central platform."""
    return platform if platform and platform not in _CENTRAL else "mastodon"


def _from_url(raw: str, platform: str | None, location: str, file: str) -> Entry | Problem:
    url = urlsplit(raw if "://" in raw else "https://" + raw)
    host = (url.hostname or "").lower().removeprefix("www.")
    parts = [p for p in url.path.split("/") if p]
    if not host or "." not in host:
        return Problem(file, location, f"{raw!r} is not a profile URL")
    if host in _X_HOSTS:
        if len(parts) >= 3 and parts[:2] == ["i", "user"] and parts[2].isdigit():
            return Entry("x", "id", parts[2], location)
        user_id = parse_qs(url.query).get("user_id")
        if user_id and user_id[0].isdigit():
            return Entry("x", "id", user_id[0], location)
        screen = parse_qs(url.query).get("screen_name")
        if screen:
            return Entry("x", "handle", screen[0].lstrip("@"), location)
        if parts and parts[0].lower() not in _X_RESERVED and _HANDLE.fullmatch(parts[0]):
            return Entry("x", "handle", parts[0].lstrip("@"), location)
        return Problem(file, location, f"{raw!r} names no X account")
    if host in _TELEGRAM_HOSTS:
        if parts and parts[0] == "s":
            parts = parts[1:]
        if not parts or parts[0].startswith("+") or parts[0] in ("joinchat", "addstickers", "c"):
            return Problem(
                file, location, f"{raw!r} is a Telegram invite or private link, not a public account"
            )
        return Entry("telegram", "handle", parts[0].lstrip("@"), location)
    if host in _FACEBOOK_HOSTS:
        profile = parse_qs(url.query).get("id")
        if profile and profile[0].isdigit():
            return Entry("facebook", "id", profile[0], location)
        if parts:
            return Entry("facebook", "handle", parts[0], location)
        return Problem(file, location, f"{raw!r} names no Facebook account")
    if host in _YOUTUBE_HOSTS or host == "youtu.be":
        if len(parts) >= 2 and parts[0] == "channel":
            return Entry("youtube", "id", parts[1], location)
        if parts and parts[0].startswith("@"):
            return Entry("youtube", "handle", parts[0][1:], location)
        if len(parts) >= 2 and parts[0] in ("c", "user"):
            return Entry("youtube", "handle", parts[1], location)
        return Problem(file, location, f"{raw!r} names no YouTube channel")
    # another host: a fediverse instance (Mastodon /@name, ActivityPub /users/name)
    if parts and parts[0].startswith("@") and len(parts[0]) > 1:
        name = parts[0][1:]
        if "@" in name:  # https://host/@user@other.host: a remote account seen from host
            user, home = name.split("@", 1)
            return Entry(_fediverse(platform), "handle", f"{user}@{home.lower()}", location)
        return Entry(_fediverse(platform), "handle", f"{name}@{host}", location)
    if len(parts) >= 2 and parts[0] in ("users", "u", "profile", "accounts"):
        return Entry(_fediverse(platform), "handle", f"{parts[1]}@{host}", location)
    return Problem(file, location, f"{raw!r}: no account in this URL")


def _cells(path: Path, sheet: str | None) -> Iterator[tuple[str, list[Any]]]:
    if is_xlsx(path):
        for found in iter_sheet_rows(path, sheet, header=False):
            if isinstance(found, tuple):
                yield found[0], list(found[1].values())
        return
    data = path.read_bytes()
    if b"\0" in data[:65536]:
        raise FormatError(f"{path.name}: a binary file, not a text, CSV or .xlsx account list")
    text = data.decode("utf-8-sig", errors="replace")
    sample = [line for line in text.splitlines()[:50] if line.strip() and not line.lstrip().startswith("#")]
    delimiter = next((d for d in (",", "\t", ";") if sample and all(d in line for line in sample)), None)
    if delimiter is None:
        for number, line in enumerate(text.splitlines(), 1):
            yield f"line {number}", [line]
        return
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    for row in reader:
        yield f"line {reader.line_num}", list(row)


def read_account_list(
    path: Path, platform: str | None = None, sheet: str | None = None
) -> Iterator[Entry | Problem]:
    """Every entry of an account list file, in order."""
    path = Path(path)
    column, platform_column, header_seen = 0, None, False
    for location, cells in _cells(path, sheet):
        values = ["" if c is None else str(c).strip() for c in cells]
        if not any(values) or values[0].startswith("#"):
            continue
        if not header_seen:
            header_seen = True
            names = [v.lower().replace(" ", "_") for v in values]
            found = next((names.index(n) for n in ACCOUNT_COLUMNS if n in names), None)
            if found is not None:
                column = found
                platform_column = names.index("platform") if "platform" in names else None
                continue
        value = values[column] if column < len(values) else ""
        given = (
            values[platform_column] if platform_column is not None and platform_column < len(values) else ""
        )
        yield parse_entry(value, given.lower() or platform, location, str(path))
