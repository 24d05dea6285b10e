"""Spans of URLs, hashtags and @mentions in a post's text, for the writers' entity lists.

X (``entities``), Telegram (``text_entities``), Mastodon (HTML links) and
Rocket.Chat (``urls``, ``mentions``) all describe the same three things; the
writers find them once here.  Offsets are in code points, as X counts them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_PATTERN = re.compile(r"(?P<url>https?://[^\s]+)|(?<![\w#@])#(?P<tag>\w+)|(?<![\w@.])@(?P<user>[\w.]+\w)")


@dataclass(frozen=True, slots=True)
class Span:
    kind: str  # url | hashtag | mention
    start: int
    end: int
    text: str  # the span as written ("#tag", "@user", the URL)
    value: str  # the URL, the tag without "#", the handle without "@"


def spans(text: str) -> list[Span]:
    found = []
    for m in _PATTERN.finditer(text):
        if m.group("url"):
            url = m.group("url").rstrip(".,;:!?)…")
            found.append(Span("url", m.start(), m.start() + len(url), url, url))
        elif m.group("tag"):
            found.append(Span("hashtag", m.start(), m.end(), m.group(0), m.group("tag")))
        else:
            found.append(Span("mention", m.start(), m.end(), m.group(0), m.group("user")))
    return found


def display_url(url: str) -> str:
    """X's display form: no scheme, shortened with an ellipsis past 23 characters."""
    bare = url.split("://", 1)[-1]
    return bare if len(bare) <= 26 else bare[:23] + "…"
