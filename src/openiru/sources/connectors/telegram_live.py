"""Telegram public channels and groups, live, through Telethon (MTProto) — adapter boundary.

Targets: ``@name``, ``t.me/name`` or ``https://t.me/name``; ``discussion:@name``, the
channel's linked discussion group (its comments: ``GetFullChannelRequest`` gives the
group's id once, kept in the checkpoint; each comment replies to the group's automatic
copy of the channel post, whose forward header names that post, so a comment leads to it).  Credentials:
``OPENIRU_TELEGRAM_API_ID`` and ``OPENIRU_TELEGRAM_API_HASH`` (my.telegram.org) and
``OPENIRU_TELEGRAM_SESSION``, a Telethon ``StringSession`` made once, interactively, by
the unit's account (the collector never logs in by itself).

Messages are read oldest first after the checkpoint (``iter_messages(min_id=…,
reverse=True)``), 100 a page; the checkpoint is the highest message id stored.  Each
Telethon ``Message`` is mapped as the Telegram export importer maps a message: post id
``"<chat id>/<message id>"``, author ``channel<id>`` / ``user<id>`` / ``chat<id>``,
replies, forwards with their origin (account and, for channel posts, the original post
id), links, hashtags and mentions from the message entities, views and edits in
metadata; service messages are counted as skipped.  ``FloodWaitError`` waits the
seconds Telegram asks (through the injected backoff) and retries.

Telethon has no fake server: the tests drive this adapter with real Telethon ``Message``
objects from a stub client.  Media (photos, documents: video, files) are downloaded with
``download_media`` into a folder the connector removes when closed (after its pages are
stored: the ingest hook has copied them into the media store by then) and hashed as an
import hashes an export's files; a document larger than ``OPENIRU_FETCH_MAX_BYTES``
(20 MiB) is not downloaded (``media_skipped`` in the post's metadata);
``OPENIRU_COLLECT_MEDIA=0`` turns downloading off.  Groups where the unit's bot is present:
the ``telegram-bot`` connector (:mod:`.telegram_bot`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ...model import Account, AccountKey, Mention, Post, PostKey
from ..base import Problem, Record
from ..media import hash_file
from .base import Checkpoint, Connector, Page, Target
from .polite import ConnectorError

PAGE = 100
_NAME = re.compile(r"^(?:discussion:)?(?:https?://)?(?:t\.me/|telegram\.me/|@)?([A-Za-z0-9_]{4,64})/?$")


def peer_key(peer: Any) -> str | None:
    """A Telethon Peer as the export importer names accounts: ``user1``, ``channel2``, ``chat3``."""
    for attr, prefix in (("channel_id", "channel"), ("user_id", "user"), ("chat_id", "chat")):
        value = getattr(peer, attr, None)
        if value is not None:
            return f"{prefix}{value}"
    return None


def chat_number(peer: Any) -> str:
    for attr in ("channel_id", "chat_id", "user_id"):
        value = getattr(peer, attr, None)
        if value is not None:
            return str(value)
    raise ValueError("message without peer_id")


def message_records(message: Any, platform: str = "telegram") -> list[Record] | Problem:
    """One Telethon ``Message`` as export-compatible records (or a skipped ``Problem``)."""
    from telethon.tl import types

    if isinstance(message, types.MessageService):
        return Problem(
            "telegram", str(message.id), f"service message: {type(message.action).__name__}", "skipped"
        )
    chat = chat_number(message.peer_id)
    is_channel = isinstance(message.peer_id, types.PeerChannel)
    author = (
        peer_key(message.from_id) if message.from_id else (f"channel{chat}" if is_channel else f"chat{chat}")
    )
    post = Post(
        PostKey(platform, f"{chat}/{message.id}"),
        AccountKey(platform, str(author)),
        message.date,
        text=message.message or "",
        raw=orjson.dumps(message.to_dict(), default=str).decode(),
    )
    meta: dict[str, Any] = {"chat_id": chat, "chat_type": "channel" if is_channel else "group"}
    for entity, text in message.get_entities_text():
        if isinstance(entity, types.MessageEntityUrl):
            post.urls.append(text)
        elif isinstance(entity, types.MessageEntityTextUrl):
            post.urls.append(entity.url)
        elif isinstance(entity, types.MessageEntityHashtag):
            post.hashtags.append(text.lstrip("#"))
        elif isinstance(entity, types.MessageEntityMention):
            post.mentions.append(Mention(handle=text.lstrip("@")))
        elif isinstance(entity, types.MessageEntityMentionName):
            post.mentions.append(Mention(handle=None, account_id=f"user{entity.user_id}"))
    reply = message.reply_to
    if reply is not None and getattr(reply, "reply_to_msg_id", None):
        reply_chat = chat_number(reply.reply_to_peer_id) if reply.reply_to_peer_id else chat
        post.reply_to = PostKey(platform, f"{reply_chat}/{reply.reply_to_msg_id}")
    fwd = message.fwd_from
    if fwd is not None:
        origin = peer_key(fwd.from_id) if fwd.from_id else None
        if origin:
            post.forward_from = AccountKey(platform, origin)
        post.forward_from_name = fwd.from_name
        if fwd.channel_post and fwd.from_id is not None and hasattr(fwd.from_id, "channel_id"):
            meta["forward_of"] = f"{fwd.from_id.channel_id}/{fwd.channel_post}"
    if message.edit_date:
        meta["edited"] = message.edit_date.isoformat()
    if message.views is not None:
        meta["views"] = message.views
    if message.media is not None:
        meta["media_type"] = type(message.media).__name__
    post.metadata = meta
    return [post]


class TelegramConnector(Connector):
    """A public channel or group through a Telethon client (``session`` = a TelegramClient)."""

    name = "telegram"
    default_platform = "telegram"
    target_forms = "@channel, t.me/channel, discussion:@channel"
    credential_fields = ("api_id", "api_hash", "session")

    @classmethod
    def check_target(cls, target: Target) -> None:
        if not _NAME.match(target.target):
            raise ValueError(f"Telegram target {target.target!r}: expected {cls.target_forms}")

    def _client(self) -> Any:  # pragma: no cover - needs a live MTProto server and an account
        from telethon.sessions import StringSession
        from telethon.sync import TelegramClient

        creds = self.credentials
        if not creds.has("api_id", "api_hash", "session"):
            raise ConnectorError(
                "telegram: set OPENIRU_TELEGRAM_API_ID, OPENIRU_TELEGRAM_API_HASH and "
                "OPENIRU_TELEGRAM_SESSION (a StringSession made once by the unit's account)"
            )
        client = TelegramClient(
            StringSession(creds.reveal("session")),
            int(creds.reveal("api_id")),
            creds.reveal("api_hash"),
        )
        client.connect()
        if not client.is_user_authorized():
            raise ConnectorError("telegram: the session is not authorised")
        return client

    def close(self) -> None:
        super().close()
        folder = getattr(self, "_media_dir", None)
        if folder is not None:
            folder.cleanup()

    def _download(self, client: Any, message: Any, post: Post) -> None:
        """The message's photo or document, downloaded and hashed onto ``post.media``."""
        from telethon.tl import types

        media = message.media
        if not isinstance(media, types.MessageMediaPhoto | types.MessageMediaDocument) or os.environ.get(
            "OPENIRU_COLLECT_MEDIA", "1"
        ).strip().lower() in ("0", "false", "no", "off"):
            return
        size = getattr(getattr(media, "document", None), "size", None)
        limit = int(os.environ.get("OPENIRU_FETCH_MAX_BYTES") or 20 * 1024 * 1024)
        if size is not None and size > limit:
            post.metadata["media_skipped"] = f"{size} bytes, over {limit}"
            return
        if getattr(self, "_media_dir", None) is None:
            self._media_dir = tempfile.TemporaryDirectory(prefix="openiru-telegram-")
        target = Path(self._media_dir.name) / f"{post.key.post_id.replace('/', '_')}"
        saved = self._retry(lambda: client.download_media(message, file=str(target)))
        if saved:
            hashed = hash_file(Path(saved))
            if not hashed.missing:
                hashed.native_key = post.key.post_id
                post.media.append(hashed)

    def _batch(self, client: Any, entity: Any, min_id: int) -> list[Any]:
        batch: list[Any] = self._retry(
            lambda: list(client.iter_messages(entity, min_id=min_id, reverse=True, limit=PAGE))
        )
        return batch

    def _linked(self, client: Any, name: str) -> int:
        """The id of the channel's linked discussion group."""
        from telethon.tl import functions

        full = self._retry(lambda: client(functions.channels.GetFullChannelRequest(channel=name)))
        linked = getattr(full.full_chat, "linked_chat_id", None)
        if not linked:
            raise ConnectorError(f"{self.target}: the channel has no linked discussion group")
        return int(linked)

    def _retry(self, call: Any) -> Any:
        from telethon.errors import FloodWaitError

        for attempt in range(self.backoff.retries + 1):
            self.backoff.pace()
            try:
                return call()
            except FloodWaitError as exc:
                if attempt >= self.backoff.retries:
                    raise ConnectorError(
                        f"{self.target}: FloodWait of {exc.seconds} s, {attempt + 1} tries"
                    ) from None
                self.backoff.wait(min(float(exc.seconds), self.backoff.cap), "FloodWait")
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        state: Checkpoint = dict(checkpoint or {})
        found = _NAME.match(self.target.target)
        entity = found.group(1) if found else self.target.target
        client = self.session or self._client()
        if self.target.target.startswith("discussion:"):
            from telethon.tl import types

            if not state.get("linked_chat_id"):
                state["linked_chat_id"] = self._linked(client, entity)
            entity = types.PeerChannel(int(state["linked_chat_id"]))
        min_id = int(state.get("min_id") or 0)
        for _ in range(self.max_pages):
            batch = self._batch(client, entity, min_id)
            if not batch:
                return
            records: list[Record] = []
            for message in batch:
                try:
                    built = message_records(message, self.platform)
                except (ValueError, TypeError, AttributeError, KeyError) as exc:
                    built = Problem(
                        str(self.target), str(getattr(message, "id", "?")), f"malformed message: {exc}"
                    )
                if isinstance(built, Problem):
                    records.append(built)
                    continue
                for record in built:
                    if isinstance(record, Post) and message.media is not None:
                        self._download(client, message, record)
                records.extend(built)
            first = next((m for m in batch if getattr(m, "peer_id", None) is not None), None)
            if first is not None and isinstance(getattr(first.peer_id, "channel_id", None), int):
                records.insert(
                    0,
                    Account(
                        AccountKey(self.platform, f"channel{first.peer_id.channel_id}"),
                        handle=entity if isinstance(entity, str) else None,
                        metadata={"chat_type": "channel" if isinstance(entity, str) else "group"},
                    ),
                )
            min_id = max(int(m.id) for m in batch)
            state["min_id"] = min_id
            yield Page(records, dict(state), items=len(batch))
            if len(batch) < PAGE:
                return
