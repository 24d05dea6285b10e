"""Telegram Desktop exports (``result.json``): a single chat or a full account export.

A single chat is ``{name, type, id, messages[]}``; a full export is
``{about, personal_information, chats: {about, list: [chat...]}, left_chats:
{list: [...]}, ...}``.  The path given may be ``result.json`` or the export
folder holding it; ``photo`` / ``file`` paths are relative to that folder.

Post ids are ``"<chat id>/<message id>"`` (message ids repeat across chats).
The chat of a channel is also an account (``"channel<chat id>"``, display name
= chat name), so that ``forwarded_from`` (a display name, not an id) can be
linked to it by the writer.  ``type: "service"`` messages are counted as
skipped.  Older exports (integer ``from_id``, no ``date_unixtime``, no
``text_entities``) are read too; there ``date`` is taken as UTC.

The file is streamed with ijson (see :mod:`.telegram_stream`), so memory stays
constant whatever its size.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..model import Account, AccountKey, Media, Mention, Post, PostKey, parse_time
from .base import Problem, Record, Source
from .media import PathRefused, hash_confined, missing_media
from .telegram_stream import ChatStream

RESULT_FILE = "result.json"
CHANNEL_TYPES = frozenset({"public_channel", "private_channel"})
CHAT_TYPES = (
    b'"personal_chat"',
    b'"bot_chat"',
    b'"private_group"',
    b'"private_supergroup"',
    b'"public_supergroup"',
    b'"private_channel"',
    b'"public_channel"',
    b'"saved_messages"',
)
NOT_INCLUDED = "(File not included"
_PEER_PREFIXES = ("user", "channel", "chat")


def export_file(path: Path) -> Path:
    """The ``result.json`` of an export given as the file or its folder."""
    return path / RESULT_FILE if path.is_dir() else path


def peer_id(value: Any) -> str:
    """A ``from_id`` as a string: ``"user123"`` kept, an integer (older exports) → ``"user<id>"``."""
    if isinstance(value, bool):
        raise ValueError(f"invalid from_id {value!r}")
    if isinstance(value, int):
        return f"user{value}"
    if isinstance(value, str) and value:
        return value
    raise ValueError(f"invalid from_id {value!r}")


def chat_id_of_peer(value: Any) -> str:
    """The numeric chat id of a peer id such as ``"channel123"``."""
    text = str(value)
    for prefix in _PEER_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


class TelegramExportSource(Source):
    """Telegram Desktop ``result.json``: a single chat or a full export, streamed."""

    name = "telegram"
    default_platform = "telegram"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            target = path / RESULT_FILE
            if not target.is_file():
                return 0.0
            with open(target, "rb") as fh:
                head = fh.read(65536)
        if not head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{"):
            return 0.0
        if b'"personal_information"' in head or (b'"left_chats"' in head and b'"chats"' in head):
            return 0.95
        if b'"messages"' not in head or b'"rid"' in head:
            return 0.0
        markers = sum(marker in head for marker in CHAT_TYPES)
        markers += sum(marker in head for marker in (b'"date_unixtime"', b'"text_entities"', b'"from_id"'))
        if markers >= 2:
            return 0.95
        return 0.5 if markers == 1 else 0.0

    def records(self) -> Iterator[Record]:
        file = export_file(self.path)
        base = file.parent
        names = str(file)
        chat: dict[str, Any] = {}
        prefix = ""
        known_names: dict[str, str | None] = {}
        stream = ChatStream(file)
        for event in stream:
            kind = event[0]
            if kind == "msg":
                message, index = event[1], event[2]
                damage = stream.guard.claim(message) if stream.guard and stream.guard.pending else None
                if damage:
                    yield Problem(names, f"{prefix}messages[{index}]", damage)
                    continue
                try:
                    record = self._message(message, chat, base, known_names)
                except (ValueError, TypeError, KeyError, AttributeError, OverflowError, OSError) as exc:
                    yield Problem(names, f"{prefix}messages[{index}]", f"invalid message: {exc}")
                    continue
                if isinstance(record, Problem):
                    yield Problem(names, f"{prefix}messages[{index}]", record.reason, record.kind)
                else:
                    for item in record:  # a refused media path: a problem, the message still imported
                        yield (
                            Problem(names, f"{prefix}messages[{index}].{item.location}", item.reason)
                            if isinstance(item, Problem)
                            else item
                        )
            elif kind == "chat":
                chat, prefix = event[1], event[2]
                if chat.get("id") is None:
                    yield Problem(names, prefix or "$", "invalid chat: no id")
                    chat = {"id": "unknown", "name": chat.get("name"), "type": chat.get("type")}
                if chat.get("type") in CHANNEL_TYPES:
                    account_id = f"channel{chat['id']}"
                    known_names[account_id] = chat.get("name")
                    yield Account(
                        AccountKey(self.platform, account_id),
                        display_name=chat.get("name"),
                        metadata={"chat_type": chat.get("type")},
                    )
            elif kind == "person":
                try:
                    yield self._personal(event[1])
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    yield Problem(names, "personal_information", f"invalid personal information: {exc}")
            elif kind == "error":
                yield Problem(names, event[2], f"invalid JSON: {event[1]}")
        outside = stream.guard.unclaimed() if stream.guard else None
        if outside:
            yield Problem(names, "$", f"outside any message: {outside}")

    # -- conversion -----------------------------------------------------------------------

    def _personal(self, info: dict[str, Any]) -> Account:
        name = " ".join(str(info[k]) for k in ("first_name", "last_name") if info.get(k)) or None
        return Account(
            AccountKey(self.platform, peer_id(int(info["user_id"]))),
            handle=(info.get("username") or "").lstrip("@") or None,
            display_name=name,
            bio=info.get("bio") or None,
        )

    def _message(
        self, msg: Any, chat: dict[str, Any], base: Path, known_names: dict[str, str | None]
    ) -> list[Record] | Problem:
        if not isinstance(msg, dict):
            raise ValueError("not an object")
        if msg.get("type") == "service":
            return Problem("", "", f"service message: {msg.get('action') or 'unknown action'}", "skipped")
        chat_id = chat["id"]
        post_id = f"{chat_id}/{msg['id']}"
        stamp = msg.get("date_unixtime")
        timestamp = datetime.fromtimestamp(int(stamp), UTC) if stamp else parse_time(msg["date"])
        if msg.get("from_id") is not None:
            author = peer_id(msg["from_id"])
        elif chat.get("type") in CHANNEL_TYPES:
            author = f"channel{chat_id}"
        else:
            author = f"chat{chat_id}"
        out: list[Record] = []
        display = msg.get("from")
        if display is not None and known_names.get(author, "\0") != display:
            known_names[author] = display
            out.append(Account(AccountKey(self.platform, author), display_name=display))
        text, entities = _text_and_entities(msg)
        platform = self.platform
        post = Post(
            PostKey(platform, post_id),
            AccountKey(platform, author),
            timestamp,
            text=text,
            raw=orjson.dumps(msg).decode(),
        )
        meta: dict[str, Any] = {"chat_id": str(chat_id), "chat_type": chat.get("type")}
        for entity in entities:
            _apply_entity(post, entity)
        reply = msg.get("reply_to_message_id")
        if reply is not None:
            peer = msg.get("reply_to_peer_id")
            reply_chat = chat_id_of_peer(peer) if peer else chat_id
            post.reply_to = PostKey(platform, f"{reply_chat}/{reply}")
        if msg.get("forwarded_from") is not None or msg.get("forwarded_from_id") is not None:
            if msg.get("forwarded_from_id"):
                post.forward_from = AccountKey(platform, peer_id(msg["forwarded_from_id"]))
            post.forward_from_name = msg.get("forwarded_from")
        if msg.get("edited") or msg.get("edited_unixtime"):
            edited = msg.get("edited_unixtime")
            edited_at = parse_time(int(edited) if edited else msg["edited"])
            if edited_at.year > 1970:  # older exports write 1970-01-01 for "never edited"
                meta["edited"] = edited_at.isoformat()
        if msg.get("media_type"):
            meta["media_type"] = msg["media_type"]
        post.metadata = meta
        refused: list[Record] = []
        for field in ("photo", "file"):
            ref = msg.get(field)
            if ref:
                try:
                    post.media.append(
                        _media(
                            str(ref),
                            base,
                            f"telegram:{post_id}:{field}",
                            msg.get("mime_type") if field == "file" else None,
                            self.boundary,
                        )
                    )
                except PathRefused as exc:
                    refused.append(Problem("", field, f"media path refused: {exc}"))
        out.append(post)
        out += refused
        return out


def _text_and_entities(msg: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The plain text and the entity objects of a message (``text_entities`` if present,
    else the objects inside a ``text`` array: older exports)."""
    raw = msg.get("text", "")
    entities = msg.get("text_entities")
    if isinstance(raw, str):
        text = raw
        if entities is None:
            entities = []
    elif isinstance(raw, list):
        parts = []
        objects = []
        for part in raw:
            if isinstance(part, str):
                parts.append(part)
            elif isinstance(part, dict):
                parts.append(str(part.get("text", "")))
                objects.append(part)
            else:
                raise ValueError(f"invalid text part {part!r}")
        text = "".join(parts)
        if entities is None:
            entities = objects
    else:
        raise ValueError(f"invalid text: a JSON {type(raw).__name__}")
    if not isinstance(entities, list):
        raise ValueError("invalid text_entities: not a list")
    return text, entities


def _apply_entity(post: Post, entity: Any) -> None:
    if not isinstance(entity, dict):
        return
    kind = entity.get("type")
    value = str(entity.get("text", ""))
    if kind == "hashtag":
        tag = value.lstrip("#")
        if tag and tag not in post.hashtags:
            post.hashtags.append(tag)
    elif kind == "mention":
        handle = value.lstrip("@")
        if handle:
            post.mentions.append(Mention(handle=handle))
    elif kind == "mention_name" and entity.get("user_id") is not None:
        post.mentions.append(Mention(account_id=peer_id(int(entity["user_id"]))))
    elif kind == "link":
        if value and value not in post.urls:
            post.urls.append(value)
    elif kind == "text_link":
        href = entity.get("href")
        if href and href not in post.urls:
            post.urls.append(str(href))


def _media(
    reference: str, base: Path, native_key: str, mime: str | None, boundary: Path | None = None
) -> Media:
    """Hash a file the export contains; an absent or not-included one is missing media.
    A path leading out of the export folder raises :class:`PathRefused`."""
    if not reference.startswith(NOT_INCLUDED):
        item = hash_confined(base, reference, boundary)
        if not item.missing:
            if mime and not item.mime:
                item.mime = mime
            return item
    item = missing_media(reference)
    item.native_key = native_key
    if mime:
        item.mime = mime
    return item
