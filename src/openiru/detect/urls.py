"""URLs: normalisation, shortener expansion, and domain lists.

:func:`normalise_url` gives the form URLs are compared and banked in: lower-case
scheme and host, no ``www.``, no default port, no fragment, tracking parameters
removed (``utm_*``, ``fbclid``, ``gclid``...), remaining parameters sorted, no
trailing slash.  :class:`UrlClassifier` sorts a link's domain into known
propaganda outlet, file-sharing or paste site, donation or payment page, a
platform OpenIRU knows, or an unknown site (the kind that stands out: a new
outlet or an emerging platform).  Shortened links are expanded from what the
imported data itself says (pairs of short and expanded URLs from platform
exports), never by fetching them: OpenIRU runs air-gapped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from ..model import KNOWN_PLATFORMS

TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "igsh",
        "si",
        "ref_src",
        "ref_url",
        "s",
        "t",
        "_ga",
        "_gl",
        "yclid",
        "twclid",
        "ttclid",
        "spm",
        "feature",
    }
)
TRACKING_PREFIXES = ("utm_", "pk_", "hsa_", "oly_")

SHORTENERS = frozenset(
    {
        "bit.ly",
        "t.co",
        "tinyurl.com",
        "goo.gl",
        "ow.ly",
        "is.gd",
        "buff.ly",
        "rebrand.ly",
        "cutt.ly",
        "shorturl.at",
        "tiny.cc",
        "rb.gy",
        "t.ly",
        "s.id",
        "v.gd",
        "lnkd.in",
        "dlvr.it",
        "youtu.be",
    }
)
FILE_HOSTS = frozenset(
    {
        "mega.nz",
        "mega.io",
        "mediafire.com",
        "archive.org",
        "files.fm",
        "gofile.io",
        "pixeldrain.com",
        "anonfiles.com",
        "bayfiles.com",
        "dropbox.com",
        "drive.google.com",
        "docs.google.com",
        "top4top.io",
        "ufile.io",
        "upload.ee",
        "krakenfiles.com",
        "sendspace.com",
        "wetransfer.com",
        "we.tl",
        "zippyshare.com",
        "catbox.moe",
        "filebin.net",
        "uploadfiles.io",
        "1drv.ms",
        "onedrive.live.com",
        "box.com",
        "nextcloud.com",
        "ipfs.io",
        "file.io",
        "send.vis.ee",
    }
)
PASTE_SITES = frozenset(
    {
        "pastebin.com",
        "justpaste.it",
        "paste.ee",
        "ghostbin.com",
        "controlc.com",
        "rentry.co",
        "rentry.org",
        "privatebin.net",
        "telegra.ph",
        "hastebin.com",
        "dpaste.org",
        "0bin.net",
        "paste.org",
        "notes.io",
        "write.as",
        "txt.fyi",
    }
)
DONATION_SITES = frozenset(
    {
        "paypal.me",
        "paypal.com",
        "patreon.com",
        "buymeacoffee.com",
        "ko-fi.com",
        "gofundme.com",
        "liberapay.com",
        "opencollective.com",
        "cash.app",
        "venmo.com",
        "donorbox.org",
        "givesendgo.com",
        "boosty.to",
        "subscribestar.com",
        "streamlabs.com",
        "revolut.me",
        "wise.com",
        "fundly.com",
        "commerce.coinbase.com",
        "btcpayserver.org",
        "nowpayments.io",
        "crypt.bot",
    }
)


def normalise_url(url: str) -> str:
    """The comparison form of a URL (see the module docstring); input that is not
    an absolute http(s) URL is returned stripped and lower-cased."""
    text = url.strip()
    if "://" not in text and re.match(r"^[\w.-]+\.[a-z]{2,}(/|$)", text, re.IGNORECASE):
        text = "http://" + text
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return text.lower()
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return text.lower()
    host = parts.hostname.lower().rstrip(".")
    if host.startswith("www."):
        host = host[4:]
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    query = [
        (k, v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
        if k.lower() not in TRACKING_PARAMS and not k.lower().startswith(TRACKING_PREFIXES)
    ]
    path = re.sub(r"/{2,}", "/", parts.path).rstrip("/")
    # http and https name the same resource for matching purposes
    return urlunsplit(("https", netloc, path, urlencode(sorted(query)), ""))


def domain_of(url: str) -> str:
    """The host of a URL without ``www.``, lower-case ("" if there is none)."""
    try:
        host = urlsplit(url if "://" in url else "http://" + url).hostname or ""
    except ValueError:
        return ""
    host = host.lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def _in(domain: str, names: Iterable[str]) -> str | None:
    """The listed name that ``domain`` is or is a subdomain of."""
    parts = domain.split(".")
    names = set(names)
    for i in range(len(parts) - 1):
        candidate = ".".join(parts[i:])
        if candidate in names:
            return candidate
    return None


@dataclass(frozen=True, slots=True)
class UrlInfo:
    url: str  # normalised, after shortener expansion
    domain: str
    category: str  # outlet | file-host | paste | donation | platform | shortener | unknown
    label: str | None = None


class UrlClassifier:
    """Sorts links into categories from domain lists."""

    def __init__(
        self,
        outlet_domains: Mapping[str, str] | None = None,
        expansions: Mapping[str, str] | None = None,
        extra_platform_domains: Iterable[str] = (),
    ) -> None:
        self.outlets = {d.lower(): label for d, label in (outlet_domains or {}).items()}
        self.expansions = {normalise_url(k): v for k, v in (expansions or {}).items()}
        self.platforms: dict[str, str] = {}
        for platform in KNOWN_PLATFORMS.values():
            for d in platform.domains:
                self.platforms[d] = platform.name
        for d in extra_platform_domains:
            self.platforms.setdefault(d.lower(), d.lower())

    def expand(self, url: str) -> str:
        """The expanded form of a shortened link when the data said it, else the link."""
        normalised = normalise_url(url)
        seen = {normalised}
        while normalised in self.expansions:
            normalised = normalise_url(self.expansions[normalised])
            if normalised in seen:
                break
            seen.add(normalised)
        return normalised

    def is_shortener(self, url: str) -> bool:
        return _in(domain_of(url), SHORTENERS) is not None

    def learn(self, text_urls: list[str], resolved_urls: list[str]) -> list[str]:
        """Pair the shortened links written in a post with the expanded links its export
        lists (in order, when the counts agree); remember the pairs for later posts.
        Returns the text's links that the export did not already give expanded."""
        short = [u for u in text_urls if self.is_shortener(u)]
        expanded = [u for u in resolved_urls if not self.is_shortener(u)]
        if short and len(short) == len(expanded):
            for s, e in zip(short, expanded, strict=True):
                self.expansions.setdefault(normalise_url(s), e)
            return [u for u in text_urls if not self.is_shortener(u)]
        return text_urls

    def classify(self, url: str) -> UrlInfo:
        normalised = self.expand(url)
        domain = domain_of(normalised)
        if (hit := _in(domain, self.outlets)) is not None:
            return UrlInfo(normalised, domain, "outlet", self.outlets[hit])
        for category, names in (
            ("file-host", FILE_HOSTS),
            ("paste", PASTE_SITES),
            ("donation", DONATION_SITES),
        ):
            if (hit := _in(domain, names)) is not None:
                return UrlInfo(normalised, domain, category, hit)
        if (hit := _in(domain, self.platforms)) is not None:
            return UrlInfo(normalised, domain, "platform", self.platforms[hit])
        if _in(domain, SHORTENERS) is not None:
            return UrlInfo(normalised, domain, "shortener")
        return UrlInfo(normalised, domain, "unknown")


_URL_IN_TEXT = re.compile(r"https?://[^\s<>\"'\u200b]+", re.IGNORECASE)


def urls_in_text(text: str) -> list[str]:
    """http(s) links written in a text (trailing punctuation dropped)."""
    return [m.group(0).rstrip(").,;:!?]}'\"") for m in _URL_IN_TEXT.finditer(text)]
