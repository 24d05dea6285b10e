"""HTML and Markdown bodies to plain text, with the links, mentions and hashtags they carry.

Mastodon and ActivityPub ``content`` is HTML in a well-known microformat:
mentions are ``<a class="u-url mention" href="https://host/@user">@<span>user</span></a>``,
hashtags ``<a class="mention hashtag" rel="tag" href="https://host/tags/x">#<span>x</span></a>``,
and long links are split into ``invisible``/``ellipsis`` spans whose text
joins back to the full URL.  ZeroNet and Rocket.Chat bodies are Markdown,
sometimes with inline HTML.

Written on the standard library's :class:`html.parser.HTMLParser` (a
tolerant, streaming tokenizer): the job is a few rules over tags and text,
which a full DOM library such as BeautifulSoup would do no better and would
add a dependency for.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

#: Elements after which the text continues on a new line.
_BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "br",
        "li",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "table",
        "hr",
        "section",
        "article",
        "header",
        "footer",
    }
)
_SKIP_TAGS = frozenset({"script", "style", "template"})

#: A URL in running text: http(s) scheme, then anything up to whitespace or a closing
#: bracket/quote; trailing sentence punctuation is trimmed by :func:`_trim_url`.
_URL_RE = re.compile(r"""https?://[^\s<>"'`\]\[()]+""", re.IGNORECASE)
_MD_LINK_RE = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_TAG_RE = re.compile(r"<[a-zA-Z/!][^>]*>")
_HASHTAG_RE = re.compile(r"(?:(?<=\s)|^)#(\w[\w-]*)", re.UNICODE)


@dataclass(slots=True)
class ExtractedText:
    """Plain text and what the markup linked to, each in order of appearance, without repeats."""

    text: str
    urls: list[str] = field(default_factory=list)
    mentions: list[str] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    #: Image sources (``<img src>``, Markdown ``![alt](src)``), absolute or relative as written.
    images: list[str] = field(default_factory=list)


def _add(items: list[str], value: str) -> None:
    if value and value not in items:
        items.append(value)


def _trim_url(url: str) -> str:
    return url.rstrip(".,;:!?*_~'\"")


class _ContentParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.urls: list[str] = []
        self.mentions: list[str] = []
        self.hashtags: list[str] = []
        self.images: list[str] = []
        self._skip = 0
        self._skip_element: tuple[str, int] | None = None  # (tag, depth) of an element left out
        self._anchor: tuple[str, str] | None = None  # (href, kind)
        self._anchor_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
            return
        if self._skip_element is not None:
            if tag == self._skip_element[0]:
                self._skip_element = (tag, self._skip_element[1] + 1)
            return
        if "quote-inline" in (dict(attrs).get("class") or "").split():
            # Mastodon's "RE: <link>" fallback for clients without quote posts: the quote
            # itself is in the Status's ``quote``, so the fallback is not part of the text.
            self._skip_element = (tag, 1)
            return
        if tag in _BLOCK_TAGS:
            self._newline(double=tag == "p")
        if tag == "a":
            values = {k: v or "" for k, v in attrs}
            classes = set(values.get("class", "").split())
            rels = set(values.get("rel", "").split())
            if "hashtag" in classes or "tag" in rels:
                kind = "hashtag"
            elif "mention" in classes:
                kind = "mention"
            else:
                kind = "link"
            self._anchor = (values.get("href", "").strip(), kind)
            self._anchor_text = []
        elif tag == "img":
            values = {k: v or "" for k, v in attrs}
            alt = values.get("alt", "")
            _add(self.images, values.get("src", "").strip())
            if alt:
                self.parts.append(alt)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if self._skip_element is not None:
            if tag == self._skip_element[0]:
                depth = self._skip_element[1] - 1
                self._skip_element = (tag, depth) if depth else None
            return
        if tag == "a" and self._anchor is not None:
            href, kind = self._anchor
            label = "".join(self._anchor_text).strip()
            if kind == "hashtag":
                _add(self.hashtags, label.lstrip("#"))
            elif kind == "mention":
                _add(self.mentions, href or label)
            elif href.lower().startswith(("http://", "https://")):
                _add(self.urls, href)
            self._anchor = None
        elif tag in _BLOCK_TAGS and tag != "br":
            self._newline(double=tag == "p")

    def handle_data(self, data: str) -> None:
        if self._skip or self._skip_element is not None:
            return
        data = data.replace("\r", " ").replace("\n", " ")  # source newlines are spaces in HTML
        self.parts.append(data)
        if self._anchor is not None:
            self._anchor_text.append(data)

    def _newline(self, double: bool) -> None:
        self.parts.append("\n\n" if double else "\n")


def _tidy(text: str) -> str:
    lines = [" ".join(line.split()) for line in text.replace("\xa0", " ").splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str | None) -> ExtractedText:
    """Plain text of an HTML fragment, its links, mention targets (profile URLs) and hashtags.

    Links found only as plain text (not in an anchor) are added to ``urls`` as well.
    """
    if not html:
        return ExtractedText("")
    if "<" not in html and "&" not in html:  # plain text: nothing to parse
        text = _tidy(html.replace("\r", " ").replace("\n", " "))
        return ExtractedText(text, urls_in_text(text))
    parser = _ContentParser()
    parser.feed(html)
    parser.close()
    text = _tidy("".join(parser.parts))
    urls = list(parser.urls)
    linked = set(parser.mentions)
    for found in _URL_RE.findall(text):
        url = _trim_url(found)
        if url not in linked and not any(u.startswith(url) or url.startswith(u) for u in urls):
            _add(urls, url)
    return ExtractedText(text, urls, list(parser.mentions), list(parser.hashtags), list(parser.images))


def urls_in_text(text: str | None) -> list[str]:
    """The http(s) URLs in plain text, in order, without repeats."""
    found: list[str] = []
    for match in _URL_RE.findall(text or ""):
        _add(found, _trim_url(match))
    return found


def hashtags_in_text(text: str | None) -> list[str]:
    """``#word`` hashtags in plain text (not inside URLs), without the ``#``."""
    found: list[str] = []
    for match in _HASHTAG_RE.findall(text or ""):
        _add(found, match)
    return found


def markdown_to_text(body: str | None) -> ExtractedText:
    """Plain text and URLs of a Markdown body that may contain inline HTML.

    ``[label](url)`` becomes ``label`` (the URL goes to ``urls``), ``![alt](url)``
    becomes ``alt`` (the source goes to ``images``); emphasis markers are left as they are (they carry no meaning for
    matching and removing them risks eating ``*`` or ``_`` inside words).  Links to
    fragments or relative paths (``#comment_1``) are kept out of ``urls``.
    """
    if not body:
        return ExtractedText("")
    urls: list[str] = []
    images: list[str] = []

    def replace(match: re.Match[str]) -> str:
        target = match.group(3)
        if match.group(1):
            _add(images, target)
        elif target.lower().startswith(("http://", "https://")):
            _add(urls, target)
        return match.group(2)

    text = _MD_LINK_RE.sub(replace, body)
    hashtags: list[str] = []
    mentions: list[str] = []
    if _TAG_RE.search(text):
        parsed = html_to_text(text.replace("\n", "<br>"))
        text = parsed.text
        for url in parsed.urls:
            _add(urls, url)
        mentions = parsed.mentions
        hashtags = parsed.hashtags
        for image in parsed.images:
            _add(images, image)
    else:
        text = _tidy(text)
    for url in urls_in_text(text):
        if not any(u.startswith(url) or url.startswith(u) for u in urls + images):
            _add(urls, url)
    return ExtractedText(text, urls, mentions, hashtags, images)
