"""Entities written in a post's text: mentions, reposts, hashtags, URLs, cashtags, Telegram links.

Scraped datasets keep only the text: ``RT @user: …`` is the only trace of a retweet and
``@user`` of a mention.  :func:`extract` finds them with the rules X's own twitter-text
library uses (a mention or hashtag must not follow a letter, digit or ``@``; hashtags are
letters, digits, combining marks and ``_`` in any script and not all digits; handles are
ASCII letters, digits and ``_``; a trailing ``@instance.host`` makes a fediverse handle).
twitter-text has no maintained Python port, so the rules are written here.

Reposts: ``RT @user:`` (at the start, the classic retweet), ``MT @user`` (a modified tweet)
and ``via @user`` name the reposted author.  As in the platform formats, the reposted
author is not also a mention.  Bare ``t.me/name`` links (Telegram-style text) count as URLs.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

#: Hosts of link shorteners: their links are kept as they are unless the data has the expansion.
SHORTENERS = frozenset(
    {
        "t.co",
        "bit.ly",
        "goo.gl",
        "tinyurl.com",
        "ow.ly",
        "buff.ly",
        "dlvr.it",
        "ift.tt",
        "is.gd",
        "fb.me",
        "youtu.be",
        "trib.al",
        "j.mp",
        "lnkd.in",
        "tiny.cc",
        "cutt.ly",
        "rebrand.ly",
        "shorturl.at",
    }
)

_HANDLE = r"[A-Za-z0-9_]{1,64}"
_HOST = (
    r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}"
)
_MENTION = re.compile(rf"(?<![\w@.#$/])[@＠]({_HANDLE})(?:@({_HOST}))?(?![\w@])")
_REPOST = re.compile(
    rf"(?:^\s*RT|(?<![\w])MT|(?<![\w])[Vv]ia)\s*:?\s*[@＠]({_HANDLE})(?:@({_HOST}))?", re.ASCII
)
_CASHTAG = re.compile(r"(?<![\w$])\$([A-Za-z]{1,6}(?:[._][A-Za-z]{1,2})?)(?![\w$])")
_URL = re.compile(r"\b(?:https?://|www\.)[^\s<>\"'`]+", re.IGNORECASE)
_TELEGRAM = re.compile(r"(?<![\w/.])(?:t\.me|telegram\.me)/[A-Za-z0-9_+/\-]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}'\"»”’…،؛"


@cache
def _hashtag_pattern() -> re.Pattern[str]:
    """``#`` then letters, digits, ``_`` and combining marks (Arabic harakat, Devanagari vowel
    signs...): Python's ``\\w`` has no marks, so their ranges are added (built on first use)."""
    ranges: list[str] = []
    start = None
    for code in range(0x300, 0x10000):
        mark = unicodedata.category(chr(code)) in ("Mn", "Mc")
        if mark and start is None:
            start = code
        elif not mark and start is not None:
            ranges.append(f"\\u{start:04x}-\\u{code - 1:04x}")
            start = None
    marks = "".join(ranges)
    return re.compile(rf"(?<![\w&#{marks}])[#＃]([\w{marks}\u200c\u200d]+)")


@dataclass(slots=True)
class TextEntities:
    mentions: list[str] = field(default_factory=list)  # handles ("user" or "user@host")
    repost_of: str | None = None  # the reposted author's handle
    repost_marker: str | None = None  # "RT", "MT" or "via"
    hashtags: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    cashtags: list[str] = field(default_factory=list)


def _handle(name: str, host: str | None) -> str:
    return f"{name}@{host.lower()}" if host else name


def _unique(items: list[str], key: bool = True) -> list[str]:
    seen: set[str] = set()
    out = []
    for item in items:
        k = item.lower() if key else item
        if k not in seen:
            seen.add(k)
            out.append(item)
    return out


def clean_url(url: str) -> str:
    """A URL found in text without the punctuation that ends the sentence around it."""
    while url and url[-1] in _TRAILING:
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    if url.lower().startswith("www."):
        url = "http://" + url
    return url


def url_host(url: str) -> str:
    rest = url.split("://", 1)[-1]
    return rest.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0].lower().removeprefix("www.")


def extract(text: str) -> TextEntities:
    """The entities of ``text`` (each list in order of first appearance, without repeats)."""
    found = TextEntities()
    if not text:
        return found
    at = "@" in text or "＠" in text  # each pattern runs only where its marker occurs
    repost = _REPOST.search(text) if at else None
    if repost is not None:
        found.repost_of = _handle(repost.group(1), repost.group(2))
        marker = repost.group(0).lstrip()[:3].strip(" :@").upper()
        found.repost_marker = "via" if marker.startswith("VIA") else marker[:2]
    lowered = text.lower()
    linked = "http" in lowered or "www." in lowered
    matches = list(_URL.finditer(text)) if linked else []
    urls = [clean_url(m.group(0)) for m in matches]
    spans = [m.span() for m in matches]
    if "t.me/" in lowered or "telegram.me/" in lowered:
        for m in _TELEGRAM.finditer(text):
            if not any(a <= m.start() < b for a, b in spans):
                urls.append("https://" + clean_url(m.group(0)))
    found.urls = _unique([u for u in urls if u and "://" in u and url_host(u)], key=False)

    def outside_urls(start: int) -> bool:
        return not any(a <= start < b for a, b in spans)

    mentions = (
        [_handle(m.group(1), m.group(2)) for m in _MENTION.finditer(text) if outside_urls(m.start())]
        if at
        else []
    )
    if found.repost_marker == "RT":  # as in X's own data: the retweeted author is no mention
        skip = found.repost_of.lower() if found.repost_of else ""
        for index, handle in enumerate(mentions):
            if handle.lower() == skip:
                del mentions[index]
                break
    found.mentions = _unique(mentions)
    if "#" in text or "＃" in text:
        found.hashtags = _unique(
            [
                m.group(1)
                for m in _hashtag_pattern().finditer(text)
                if outside_urls(m.start()) and not m.group(1).isdigit()
            ]
        )
    if "$" in text:
        found.cashtags = _unique(
            [m.group(1).upper() for m in _CASHTAG.finditer(text) if outside_urls(m.start())]
        )
    return found


def merge_urls(text_urls: list[str], expanded: list[str]) -> list[str]:
    """The post's URLs: the data's expansions where it has them (a urls column), then the
    text's links that are not shortened ones standing for them; shortened links the data
    does not expand are kept as they are."""
    if not expanded:
        return text_urls
    out = list(expanded)
    shortened = [u for u in text_urls if url_host(u) in SHORTENERS]
    unexpanded = shortened[len(expanded) :] if len(shortened) > len(expanded) else []
    for url in text_urls:
        if (url_host(url) not in SHORTENERS or url in unexpanded) and url not in out:
            out.append(url)
    return out
