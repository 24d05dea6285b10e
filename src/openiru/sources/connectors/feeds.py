"""RSS/Atom feeds and web pages, live: feedparser and trafilatura, each fetch kept as WARC.

``feed`` targets are feed URLs: each entry becomes a post keyed by its ``id`` (else its
link), the feed an account keyed by its URL.  The checkpoint keeps the ``ETag`` and
``Last-Modified`` of the last fetch (sent back as ``If-None-Match`` /
``If-Modified-Since``: an unchanged feed answers 304 and costs nothing) and the ids of
the entries already read (the last 2,000), so a re-read feed yields only new entries.
``web`` targets are page URLs: the article text (trafilatura) becomes a post keyed by
the URL and a digest of the text, so that a changed page is a new post and an
unchanged one nothing.

Every fetch goes through the client given as ``session``: the collect service gives
:class:`openiru.services.outbound.Outbound` (no internal addresses unless
``OPENIRU_FETCH_ALLOW`` names them; time and size limits).  Each fetch is
written, request and response, to a WARC file (warcio) under ``warc_dir``
(``OPENIRU_WARC_DIR``, default ``./collect-warc``); each post names its WARC file and
record id in its metadata, as evidence of what was published.
"""

from __future__ import annotations

import calendar
import hashlib
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ...model import Account, AccountKey, Post, PostKey
from ..html import html_to_text
from .base import Checkpoint, Connector, Page, Target
from .polite import ConnectorError, polite_send

SEEN_KEPT = 2000


def _check_url(target: Target) -> None:
    parts = urlsplit(target.target)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{target.connector} target {target.target!r}: expected an http(s) URL")


class _Fetching(Connector):
    """Shared by feeds and pages: a polite fetch through Outbound, captured to WARC."""

    default_platform = "web"
    target_forms = "an http(s) URL"
    #: The collect service gives these an SSRF-safe client (services.outbound.Outbound) as ``session``.
    needs_outbound = True

    @classmethod
    def check_target(cls, target: Target) -> None:
        _check_url(target)

    def fetch(self, headers: dict[str, str]) -> tuple[Any, dict[str, str]]:
        """The response (conditional headers sent) and its WARC reference."""
        url = self.target.target
        client = self.session
        if (
            client is None
        ):  # the collect service passes services.outbound.Outbound (sources import no service)
            raise ConnectorError(f"{url}: no HTTP client given (an SSRF-safe Outbound client is required)")
        response = polite_send(lambda: client.get(url, headers=headers), url, self.backoff)
        if response.status_code not in (200, 304):
            raise ConnectorError(f"{url}: HTTP {response.status_code}")
        return response, self.capture(url, headers, response)

    def capture(self, url: str, headers: dict[str, str], response: Any) -> dict[str, str]:
        from warcio.statusandheaders import StatusAndHeaders
        from warcio.warcwriter import WARCWriter

        folder = Path(self.options.get("warc_dir") or os.environ.get("OPENIRU_WARC_DIR") or "collect-warc")
        folder.mkdir(parents=True, exist_ok=True)
        now = datetime.now(UTC)
        path = folder / f"{urlsplit(url).hostname}-{now:%Y%m%d}.warc.gz"
        parts = urlsplit(url)
        request_line = f"GET {parts.path or '/'}{'?' + parts.query if parts.query else ''} HTTP/1.1"
        with path.open("ab") as fh:
            writer = WARCWriter(fh, gzip=True)
            req = writer.create_warc_record(
                url,
                "request",
                payload=BytesIO(b""),
                http_headers=StatusAndHeaders(
                    request_line, [("Host", parts.netloc), *headers.items()], is_http_request=True
                ),
            )
            resp = writer.create_warc_record(
                url,
                "response",
                payload=BytesIO(response.content),
                http_headers=StatusAndHeaders(
                    f"{response.status_code} {response.reason_phrase}",
                    list(response.headers.items()),
                    protocol="HTTP/1.1",
                ),
            )
            try:
                writer.write_record(resp)
                writer.write_record(req)
            finally:  # warcio spools each payload to a temporary file and leaves it open
                for record in (resp, req):
                    record.raw_stream.close()
        return {
            "warc_file": path.name,
            "warc_record_id": str(resp.rec_headers.get_header("WARC-Record-ID")),
            "payload_sha256": hashlib.sha256(response.content).hexdigest(),
        }


class FeedConnector(_Fetching):
    """An RSS or Atom feed."""

    name = "feed"

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        import feedparser

        state: Checkpoint = dict(checkpoint or {})
        headers = {
            k: state[v]
            for k, v in (("If-None-Match", "etag"), ("If-Modified-Since", "modified"))
            if state.get(v)
        }
        response, warc = self.fetch(headers)
        if response.status_code == 304:
            return
        parsed = feedparser.parse(response.content, response_headers=dict(response.headers))
        url = self.target.target
        feed = parsed.get("feed", {})
        account = Account(
            AccountKey(self.platform, url),
            handle=feed.get("title") or urlsplit(url).hostname,
            display_name=feed.get("title") or None,
            metadata={"host": urlsplit(url).hostname, "feed": url, "site": feed.get("link")},
        )
        seen = list(state.get("seen") or [])
        known = set(seen)
        records: list[Any] = [account]
        for entry in parsed.get("entries", []):
            entry_id = str(entry.get("id") or entry.get("link") or "")
            if not entry_id or entry_id in known:
                continue
            known.add(entry_id)
            seen.append(entry_id)
            records.append(self._post(entry, entry_id, account, warc))
        state.update(
            seen=seen[-SEEN_KEPT:],
            etag=response.headers.get("ETag"),
            modified=response.headers.get("Last-Modified"),
        )
        yield Page(
            records if len(records) > 1 else [],
            {k: v for k, v in state.items() if v is not None},
            items=len(records) - 1,
        )

    def _post(self, entry: Any, entry_id: str, account: Account, warc: dict[str, str]) -> Post:
        stamp = entry.get("published_parsed") or entry.get("updated_parsed")
        when = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else datetime.now(UTC)
        body = entry.get("content", [{}])[0].get("value") if entry.get("content") else entry.get("summary")
        text = html_to_text(body)
        title = entry.get("title") or ""
        link = entry.get("link")
        urls = [u for u in [link, *text.urls] if u]
        return Post(
            PostKey(self.platform, entry_id),
            account.key,
            when,
            text="\n".join(t for t in (title, text.text) if t),
            urls=list(dict.fromkeys(urls)),
            hashtags=list(text.hashtags),
            metadata={"title": title, "link": link, "feed": self.target.target, **warc},
        )


class WebPageConnector(_Fetching):
    """A web page whose article text is collected when it changes."""

    name = "web"

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        import trafilatura

        state: Checkpoint = dict(checkpoint or {})
        response, warc = self.fetch({})
        html = response.content.decode(response.encoding or "utf-8", "replace")
        text = trafilatura.extract(html, url=self.target.target) or ""
        digest = hashlib.sha256(text.encode()).hexdigest()[:16]
        if not text or state.get("digest") == digest:
            return
        url = self.target.target
        host = urlsplit(url).hostname or url
        account = Account(AccountKey(self.platform, host), handle=host, metadata={"host": host})
        post = Post(
            PostKey(self.platform, f"{url}#{digest}"),
            account.key,
            datetime.now(UTC),
            text=text,
            urls=[url],
            metadata={"link": url, **warc},
        )
        state["digest"] = digest
        yield Page([account, post], state, items=1)
