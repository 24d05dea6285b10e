"""Mastodon REST API Status entities: a JSON array or JSON lines, as timelines return them.

Each Status (``GET /api/v1/timelines/...``, ``/api/v1/accounts/:id/statuses``)
becomes a post keyed by its ``id``; its ``account`` becomes an account keyed by
the Mastodon account ``id``.  A reblog is a post of its own whose ``repost_of``
is the inner Status, and the inner Status is imported as a post too; a quote
post (Mastodon 4.4 ``quote``) gets its ``quote_of`` the same way.  The instance
host (from ``acct`` or the account ``url``) goes into account and post
metadata, so statuses of several servers stay distinguishable.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import orjson

from ..model import Account, AccountKey, AccountStatus, Media, Mention, Post, PostKey, parse_time
from .base import MALFORMED, Problem, Record, Source
from .html import html_to_text
from .jsonio import (
    export_files,
    first_non_space,
    is_jsonl,
    iter_json_array,
    iter_json_lines,
    read_head,
    sniff_export_folder,
)

_ATTACHMENT_MIME = {"image": "image", "gifv": "video", "video": "video", "audio": "audio"}


def instance_host(account: dict[str, Any]) -> str | None:
    """The server an account lives on: the part of ``acct`` after ``@``, else the ``url`` host."""
    acct = str(account.get("acct") or "")
    if "@" in acct:
        return acct.rsplit("@", 1)[1].lower() or None
    url = account.get("url")
    if isinstance(url, str) and url:
        return urlparse(url).hostname
    return None


def _is_status(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and isinstance(obj.get("account"), dict)
        and "acct" in obj["account"]
        and "id" in obj
        and ("content" in obj or "reblog" in obj)
    )


def _media(item: dict[str, Any]) -> Media | None:
    url = item.get("url") or item.get("remote_url")
    native = item.get("id")
    if not url and native is None:
        return None
    mime, _ = mimetypes.guess_type(urlparse(url).path) if url else (None, None)
    if mime is None and item.get("type") in _ATTACHMENT_MIME:
        mime = _ATTACHMENT_MIME[item["type"]]
    return Media(url=url or None, native_key=str(native) if native is not None else None, mime=mime)


class MastodonStatusSource(Source):
    """Mastodon Status entities (JSON array or JSONL)."""

    name = "mastodon"
    default_platform = "mastodon"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            return sniff_export_folder(cls.sniff, path)
        if not head:
            return 0.0
        start = first_non_space(head)
        if start == b"[":
            keys = (b'"acct"', b'"uri"', b'"created_at"', b'"account"')
            if all(k in head for k in keys) and b'"@context"' not in head:
                return 0.9
            return 0.0
        if start == b"{" and is_jsonl(head):
            first = orjson.loads(head.lstrip().split(b"\n", 1)[0])
            return 0.9 if _is_status(first) else 0.0
        return 0.0

    def _items(self) -> Iterator[tuple[str, Any] | Problem]:
        head = read_head(self.path, 4096, line_limit=0)  # the first bytes only
        if first_non_space(head) == b"[" and self.path.suffix.lower() not in (".jsonl", ".ndjson"):
            for found in iter_json_array(self.path):
                if isinstance(found, Problem):
                    yield found
                else:
                    yield found[0].replace("item[", "$[", 1), found[1]
        else:
            yield from iter_json_lines(self.path)

    def records(self) -> Iterator[Record]:
        if self.path.is_dir():
            for file in export_files(self.path):
                yield from type(self)(file, self.platform).records()
            return
        for found in self._items():
            if isinstance(found, Problem):
                yield found
                continue
            location, status = found
            try:
                built = self._status(status)
            except MALFORMED as exc:
                yield Problem(str(self.path), location, f"malformed status: {_describe(exc)}")
                continue
            yield from built

    def _status(self, status: Any) -> list[Record]:
        """The account and post of one Status (inner reblog first), built whole before any is
        yielded, so a malformed Status leaves nothing half-imported."""
        if not isinstance(status, dict):
            raise TypeError(f"expected a Status object, got {type(status).__name__}")
        for name in ("id", "created_at", "account"):
            if status.get(name) in (None, ""):
                raise KeyError(name)
        records: list[Record] = []
        inner = status.get("reblog")
        if isinstance(inner, dict):
            try:
                records = self._status(inner)
            except KeyError as exc:
                raise KeyError(f"reblog.{exc.args[0]}") from exc
        reposted = records[-1].key if records and isinstance(records[-1], Post) else None
        quoted, quote_records = self._quote(status.get("quote"))
        account = self._account(status["account"])
        post = self._post(status, account)
        post.repost_of = reposted
        post.quote_of = quoted
        return [*records, *quote_records, account, post]

    def _quote(self, quote: Any) -> tuple[PostKey | None, list[Record]]:
        """A quote post (Mastodon 4.4 ``quote``: a Quote with the whole ``quoted_status``, or a
        ShallowQuote with ``quoted_status_id``); the quoted Status is imported as a post too.
        Quotes whose state is not ``accepted`` carry no quoted status and are not linked."""
        if not isinstance(quote, dict):
            return None, []
        inner = quote.get("quoted_status")
        if isinstance(inner, dict):
            try:
                records = self._status(inner)
            except KeyError as exc:
                raise KeyError(f"quote.quoted_status.{exc.args[0]}") from exc
            return records[-1].key if isinstance(records[-1], Post) else None, records
        shallow = quote.get("quoted_status_id")
        return (PostKey(self.platform, str(shallow)) if shallow else None), []

    def _account(self, data: dict[str, Any]) -> Account:
        if not isinstance(data, dict) or data.get("id") in (None, ""):
            raise KeyError("account.id")
        host = instance_host(data)
        avatar = data.get("avatar")
        bio = _bio_text(data["note"]) if isinstance(data.get("note"), str) and data["note"] else None
        meta = {
            k: data[k]
            for k in ("username", "acct", "url", "bot", "group", "locked")
            if data.get(k) is not None
        }
        if host:
            meta["host"] = host
        followers = data.get("followers_count")
        return Account(
            AccountKey(self.platform, str(data["id"])),
            handle=data.get("acct") or data.get("username"),
            display_name=data.get("display_name") or None,
            bio=bio or None,
            avatar=Media(url=avatar) if isinstance(avatar, str) and avatar else None,
            created_at=_time(data, "created_at") if data.get("created_at") else None,
            followers=int(followers) if isinstance(followers, int) else None,
            status=AccountStatus.SUSPENDED if data.get("suspended") else AccountStatus.UNKNOWN,
            metadata=meta,
        )

    def _post(self, status: dict[str, Any], account: Account) -> Post:
        content = html_to_text(status.get("content"))
        urls = list(content.urls)
        card = status.get("card")
        if isinstance(card, dict) and card.get("url") and card["url"] not in urls:
            urls.append(card["url"])
        tags = [t["name"] for t in status.get("tags") or [] if isinstance(t, dict) and t.get("name")]
        mentions = [
            Mention(
                handle=m.get("acct") or m.get("username"),
                account_id=str(m["id"]) if m.get("id") is not None else None,
            )
            for m in status.get("mentions") or []
            if isinstance(m, dict)
        ]
        media = [
            m
            for m in (_media(a) for a in status.get("media_attachments") or [] if isinstance(a, dict))
            if m is not None
        ]
        meta: dict[str, Any] = {
            k: status[k]
            for k in ("uri", "url", "visibility", "spoiler_text", "sensitive", "edited_at")
            if status.get(k) not in (None, "")
        }
        host = account.metadata.get("host")
        if host:
            meta["host"] = host
        reply_to = status.get("in_reply_to_id")
        reply_account = status.get("in_reply_to_account_id")
        return Post(
            PostKey(self.platform, str(status["id"])),
            account.key,
            _time(status, "created_at"),
            text=content.text,
            language=status.get("language") or None,
            urls=urls,
            hashtags=tags or content.hashtags,
            mentions=mentions,
            reply_to=PostKey(self.platform, str(reply_to)) if reply_to else None,
            reply_to_account=AccountKey(self.platform, str(reply_account)) if reply_account else None,
            media=media,
            raw=orjson.dumps(status).decode(),
            metadata=meta,
        )


@lru_cache(maxsize=4096)
def _bio_text(note: str) -> str:
    """An account's ``note`` as text; cached, since every Status repeats its author's note."""
    return html_to_text(note).text


def _time(obj: dict[str, Any], name: str) -> datetime:
    try:
        return parse_time(obj[name])
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad {name} {obj[name]!r}") from exc


def _describe(exc: Exception) -> str:
    if isinstance(exc, KeyError):
        return f"missing field {exc.args[0]}"
    return str(exc)
