"""Rocket.Chat REST output: ``channels.history`` / ``groups.history``, ``chat.getMessage``, JSONL.

Accepted shapes, each streamed:

* ``{"messages": [IMessage, ...], "count", "offset", "total", "success"}`` (history endpoints),
* ``{"message": IMessage, "success": true}`` (``chat.getMessage``),
* ``{"result": {"updated": [IMessage, ...], "deleted": [...]}}`` (``chat.syncMessages``),
* a top-level JSON array of messages,
* JSON lines, each a message or one of the response objects above.

A message becomes a post keyed by its ``_id``, its author an account keyed by
the user ``_id``.  ``tmid`` (thread parent) is the reply target; a quoted
message attachment (``message_link`` ending in ``?msg=<id>``) is the quote
target; ``file``/``files`` and file attachments are media.  System messages
(those with ``t``: user joined, room renamed...) are counted as skipped.  The
server host, when known from ``--platform`` or from absolute URLs in the data,
is kept in account and post metadata.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import ijson
import orjson

from ..model import Account, AccountKey, Media, Mention, Post, PostKey, parse_time
from .base import MALFORMED, Problem, Record, Source
from .html import urls_in_text
from .jsonguard import GuardedFile
from .jsonio import (
    export_files,
    first_non_space,
    is_jsonl,
    iter_json_array,
    iter_json_lines,
    read_head,
    sniff_export_folder,
)

#: Where response documents keep their message lists (ijson prefix -> JSON path): the history,
#: ``chat.search`` and ``*.messages`` endpoints, and ``chat.syncMessages`` (``result.updated``).
_LIST_PREFIXES = {"messages.item": "messages", "result.updated.item": "result.updated"}

#: Mentions that address a room, not an account.
ROOM_MENTIONS = frozenset({"all", "here"})
_SERVER_URL_RE = re.compile(rb"https?://([A-Za-z0-9.-]+(?::\d+)?)/(?:file-upload/|channel/|group/|direct/)")
_HOST_RE = re.compile(r"^[a-z0-9-]+(\.[a-z0-9-]+)+(:\d+)?$", re.IGNORECASE)


def _is_message(obj: Any) -> bool:
    return isinstance(obj, dict) and "_id" in obj and "rid" in obj and ("msg" in obj or "t" in obj)


def _looks_like_response(obj: Any) -> bool:
    if not isinstance(obj, dict):
        return False
    if _is_message(obj):
        return True
    result = obj.get("result")
    if isinstance(result, dict) and isinstance(result.get("updated"), list) and result["updated"]:
        return _is_message(result["updated"][0])
    messages = obj.get("messages")
    if isinstance(messages, list):
        return bool(messages) and _is_message(messages[0]) or (not messages and "success" in obj)
    return _is_message(obj.get("message"))


class RocketChatSource(Source):
    """Rocket.Chat messages from the REST API (history, getMessage) or JSONL."""

    name = "rocketchat"
    default_platform = "rocketchat"

    def __init__(self, path: Path, platform: str | None = None) -> None:
        super().__init__(path, platform)
        self.host: str | None = self.platform.lower() if _HOST_RE.match(self.platform) else None
        if self.host is None and self.path.is_file():
            # A file holds one server's messages: a permalink or upload URL anywhere near
            # the start names it for every message, not only the ones after it.
            found = _SERVER_URL_RE.search(read_head(self.path, 65536, line_limit=0))
            if found:
                self.host = found.group(1).decode("ascii", "replace").lower()

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            return sniff_export_folder(cls.sniff, path)
        if not head:
            return 0.0
        start = first_non_space(head)
        if start == b"{" and is_jsonl(head):
            first = orjson.loads(head.lstrip().split(b"\n", 1)[0])
            return 0.9 if _looks_like_response(first) else 0.0
        if start in (b"{", b"["):
            # A pretty-printed or long single document: look for IMessage field names.
            if (
                b'"rid"' in head
                and b'"_id"' in head
                and (b'"msg"' in head or b'"t"' in head)
                and b'"from_id"' not in head
                and b'"u"' in head
            ):
                return 0.85
        return 0.0

    # -- reading -------------------------------------------------------------------------

    def _messages(self) -> Iterator[tuple[str, Any] | Problem]:
        head = read_head(self.path, 65536, line_limit=0)
        start = first_non_space(head)
        # JSON lines by name too: a damaged first line must not make the file one broken document.
        by_name = self.path.suffix.lower() in (".jsonl", ".ndjson")
        if start == b"[" and not by_name:
            for found in iter_json_array(self.path):
                yield found if isinstance(found, Problem) else (found[0].replace("item", "$", 1), found[1])
        elif by_name or self._one_message_per_line(head):
            for found in iter_json_lines(self.path):
                if isinstance(found, Problem):
                    yield found
                else:
                    yield from _unwrap(found[0], found[1])
        else:
            yield from self._document()

    def _one_message_per_line(self, head: bytes) -> bool:
        """JSON lines read line by line: the first line is whole within 64 KiB, or it is one
        (long) message.  Long response lines (pages of messages) are streamed as documents
        instead, so no page is ever loaded whole."""
        if is_jsonl(head):
            return True
        if first_non_space(head) != b"{" or b'"messages"' in head or b'"result"' in head:
            return False
        return is_jsonl(read_head(self.path))  # read_head extends to the end of the first line

    def _document(self) -> Iterator[tuple[str, Any] | Problem]:
        """One response object: stream ``messages[]``, or the single ``message``."""
        index = 0
        with open(self.path, "rb") as raw:
            fh = GuardedFile(raw)  # damaged text or deep nesting: that message only, see jsonguard
            try:
                for prefix, event, value in _top_level_values(fh):
                    if prefix in _LIST_PREFIXES:
                        location = f"{_LIST_PREFIXES[prefix]}[{index}]"
                        index += 1
                    elif prefix == "message" and event == "value":
                        location = "message"
                    else:
                        continue
                    damage = fh.claim(value) if fh.pending else None
                    yield Problem(str(self.path), location, damage) if damage else (location, value)
                outside = fh.unclaimed()
                if outside:
                    yield Problem(str(self.path), "$", f"outside any message: {outside}")
            except ijson.JSONError as exc:
                yield Problem(str(self.path), f"after messages[{index}]", f"invalid JSON: {exc}")

    def records(self) -> Iterator[Record]:
        if self.path.is_dir():
            for file in export_files(self.path):
                yield from type(self)(file, self.platform).records()
            return
        for found in self._messages():
            if isinstance(found, Problem):
                yield found
                continue
            location, message = found
            if isinstance(message, dict) and message.get("t"):
                yield Problem(str(self.path), location, f"system message: {message['t']}", kind="skipped")
                continue
            try:
                built = self._message(message)
            except MALFORMED as exc:
                reason = f"missing field {exc.args[0]}" if isinstance(exc, KeyError) else str(exc)
                yield Problem(str(self.path), location, f"malformed message: {reason}")
                continue
            yield from built

    # -- mapping -------------------------------------------------------------------------

    def _message(self, message: Any) -> list[Record]:
        if not isinstance(message, dict):
            raise TypeError(f"expected a message object, got {type(message).__name__}")
        for name in ("_id", "ts"):
            if message.get(name) in (None, ""):
                raise KeyError(name)
        user = message.get("u")
        if not isinstance(user, dict) or not user.get("_id"):
            raise KeyError("u._id")
        ts = _time(message, "ts")
        urls = [u["url"] for u in message.get("urls") or [] if isinstance(u, dict) and u.get("url")]
        text = str(message.get("msg") or "")
        for url in urls_in_text(text):
            if url not in urls:
                urls.append(url)
        host = self.host
        quote_of: PostKey | None = None
        for attachment in message.get("attachments") or []:
            if not isinstance(attachment, dict):
                continue
            link = attachment.get("message_link")
            if isinstance(link, str) and link:
                parsed = urlparse(link)
                host = host or parsed.hostname
                quoted = parse_qs(parsed.query).get("msg")
                if quoted and quote_of is None:
                    quote_of = PostKey(self.platform, quoted[0])
        for url in urls:
            if host is None and _same_server_hint(url):
                host = urlparse(url).hostname
        if host and self.host is None:
            self.host = host
        media = self._media(message, host)
        mentions = [
            Mention(handle=m.get("username"), account_id=str(m["_id"]) if m.get("_id") else None)
            for m in message.get("mentions") or []
            if isinstance(m, dict)
            and m.get("username") not in ROOM_MENTIONS
            and m.get("_id") not in ROOM_MENTIONS
        ]
        meta: dict[str, Any] = {"room_id": message.get("rid")}
        channels = [c.get("name") for c in message.get("channels") or [] if isinstance(c, dict)]
        if channels:
            meta["channels"] = channels
        for name, key in (("editedAt", "edited_at"), ("_updatedAt", "updated_at")):
            if message.get(name):
                meta[key] = _time(message, name).isoformat()
        if isinstance(message.get("editedBy"), dict):
            meta["edited_by"] = message["editedBy"].get("username")
        if host:
            meta["host"] = host
        account = Account(
            AccountKey(self.platform, str(user["_id"])),
            handle=user.get("username") or None,
            display_name=user.get("name") or None,
            metadata={"host": host} if host else {},
        )
        tmid = message.get("tmid")
        post = Post(
            PostKey(self.platform, str(message["_id"])),
            account.key,
            ts,
            text=text,
            urls=urls,
            mentions=mentions,
            reply_to=PostKey(self.platform, str(tmid)) if tmid else None,
            quote_of=quote_of,
            media=media,
            raw=orjson.dumps(message).decode(),
            metadata=meta,
        )
        return [account, post]

    def _media(self, message: dict[str, Any], host: str | None) -> list[Media]:
        """Uploaded files: ``files`` (newer servers), else ``file``, else file attachments."""
        files = [f for f in message.get("files") or [] if isinstance(f, dict) and f.get("_id")]
        if not files and isinstance(message.get("file"), dict) and message["file"].get("_id"):
            files = [message["file"]]
        found: list[Media] = []
        for f in files:
            path = f"/file-upload/{f['_id']}/{f.get('name') or ''}"
            found.append(
                Media(
                    native_key=str(f["_id"]),
                    mime=f.get("type") or mimetypes.guess_type(path)[0],
                    size=f.get("size") if isinstance(f.get("size"), int) else None,
                    url=f"https://{host}{path}" if host else None,
                    path=None if host else path,
                )
            )
        if found:
            return found
        for a in message.get("attachments") or []:
            if not isinstance(a, dict) or a.get("message_link"):
                continue
            link = a.get("title_link") or a.get("image_url") or a.get("video_url") or a.get("audio_url")
            if not isinstance(link, str) or not link:
                continue
            url = link if "://" in link else (f"https://{host}{link}" if host else None)
            found.append(
                Media(
                    url=url,
                    path=None if url else link,
                    native_key=None if url else link,
                    mime=a.get("image_type") or a.get("video_type") or a.get("audio_type"),
                )
            )
        return found


def _same_server_hint(url: str) -> bool:
    """A URL that points at the Rocket.Chat server itself (uploads, permalinks)."""
    return "/file-upload/" in url or "?msg=" in url


def _time(obj: dict[str, Any], name: str) -> datetime:
    try:
        return parse_time(obj[name])
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad {name} {obj[name]!r}") from exc


def _unwrap(location: str, obj: Any) -> Iterator[tuple[str, Any]]:
    """A JSONL line may hold one message or a whole REST response."""
    result = obj.get("result") if isinstance(obj, dict) else None
    if isinstance(result, dict) and isinstance(result.get("updated"), list):
        for i, message in enumerate(result["updated"]):
            yield f"{location} result.updated[{i}]", message
    elif isinstance(obj, dict) and isinstance(obj.get("messages"), list):
        for i, message in enumerate(obj["messages"]):
            yield f"{location} messages[{i}]", message
    elif isinstance(obj, dict) and isinstance(obj.get("message"), dict):
        yield f"{location} message", obj["message"]
    else:
        yield location, obj


def _top_level_values(fh: Any) -> Iterator[tuple[str, str, Any]]:
    """``(prefix, "value", object)`` for each item of ``messages`` and for ``message``.

    Built on ijson's event stream so only one message is in memory at a time.
    """
    builder: ijson.ObjectBuilder | None = None
    target = ""
    depth = 0
    # multiple_values: a file of several responses, one after another (one per line), streams too.
    for prefix, event, value in ijson.parse(fh, use_float=True, multiple_values=True):
        if builder is None:
            if event in ("start_map", "start_array") and (prefix in _LIST_PREFIXES or prefix == "message"):
                builder, target, depth = ijson.ObjectBuilder(), prefix, 0
            else:
                continue
        builder.event(event, value)
        if event in ("start_map", "start_array"):
            depth += 1
        elif event in ("end_map", "end_array"):
            depth -= 1
        if depth == 0:
            yield target, "value", builder.value
            builder = None
