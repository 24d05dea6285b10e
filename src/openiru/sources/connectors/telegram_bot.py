"""Telegram groups and channels where the unit's bot is present, through the Bot API.

Target: ``updates`` (everything the bot receives: messages in the groups it was added to,
posts of the channels it administers).  Credential: the bot's token from @BotFather,
``OPENIRU_TELEGRAM_BOT_TOKEN`` or the secrets file; ``--server`` another Bot API server
(a self-hosted ``telegram-bot-api``, or the tests' fake; default ``https://api.telegram.org``).
The bot must have privacy mode off (``/setprivacy``) to receive every group message.

A poll calls ``getUpdates`` with ``offset`` = the checkpoint (the last update stored + 1),
100 updates a page, ``timeout=0``; Telegram confirms (drops) updates only when a later call
asks for a higher offset, so a run stopped before a page was stored reads it again.  Updates
are kept by Telegram for 24 hours: poll at least daily.  One target per bot (another
``getUpdates`` reader, or a webhook, takes the updates away: HTTP 409).

Each message (``message``, ``channel_post``) is mapped as the Telethon connector and the
export importer map one, so the same message is the same post: post id ``<chat>/<message
id>`` (a supergroup's or channel's ``-100…`` id without its prefix), authors ``user<id>`` or
``channel<id>``, replies, forwards with their origin (``forward_origin`` or the older
``forward_from*`` fields), links, hashtags and mentions from the entities (offsets in UTF-16
code units).  Private chats with the bot and edits are counted as skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import orjson

from ...model import Account, AccountKey, Mention, Post, PostKey
from ..base import MALFORMED, Problem, Record
from .base import Checkpoint, Connector, Page, Target
from .polite import ConnectorError, PoliteSession

API = "https://api.telegram.org"
PAGE = 100


def chat_number(chat_id: int) -> str:
    """A Bot API chat id as MTProto numbers it: ``-1001234`` -> ``1234``, ``-56`` -> ``56``."""
    text = str(chat_id)
    return text[4:] if text.startswith("-100") else text.lstrip("-")


def _slice(text: str, offset: int, length: int) -> str:
    units = text.encode("utf-16-le")
    return units[offset * 2 : (offset + length) * 2].decode("utf-16-le", errors="replace")


def _user(user: dict[str, Any], platform: str) -> Account:
    name = " ".join(str(p) for p in (user.get("first_name"), user.get("last_name")) if p)
    return Account(
        AccountKey(platform, f"user{user['id']}"),
        handle=user.get("username"),
        display_name=name or None,
        metadata={"bot": True} if user.get("is_bot") else {},
    )


def _chat(chat: dict[str, Any], platform: str) -> Account:
    prefix = "chat" if chat.get("type") == "group" else "channel"  # a basic group; else supergroup, channel
    return Account(
        AccountKey(platform, f"{prefix}{chat_number(chat['id'])}"),
        handle=chat.get("username"),
        display_name=chat.get("title"),
    )


def _forward(message: dict[str, Any], platform: str) -> tuple[Account | None, str | None, str | None]:
    """(origin account, origin name, forwarded post id) from ``forward_origin`` or the older fields."""
    origin = message.get("forward_origin")
    if isinstance(origin, dict):
        kind = origin.get("type")
        if kind == "user":
            return _user(origin["sender_user"], platform), None, None
        if kind == "hidden_user":
            return None, origin.get("sender_user_name"), None
        chat = origin.get("chat") or origin.get("sender_chat")
        if isinstance(chat, dict):
            post = f"{chat_number(chat['id'])}/{origin['message_id']}" if origin.get("message_id") else None
            return _chat(chat, platform), origin.get("author_signature"), post
        return None, None, None
    if message.get("forward_from"):
        return _user(message["forward_from"], platform), None, None
    if message.get("forward_from_chat"):
        chat = message["forward_from_chat"]
        post = message.get("forward_from_message_id")
        return _chat(chat, platform), None, f"{chat_number(chat['id'])}/{post}" if post else None
    return None, message.get("forward_sender_name"), None


def message_records(message: dict[str, Any], platform: str = "telegram") -> list[Record]:
    """One Bot API Message as export-compatible records (accounts first)."""
    chat = message["chat"]
    number = chat_number(chat["id"])
    if message.get("from") and not message.get("sender_chat"):
        author = _user(message["from"], platform)
    else:  # a channel's post, or a message sent on behalf of a chat
        author = _chat(message.get("sender_chat") or chat, platform)
    text = message.get("text") or message.get("caption") or ""
    post = Post(
        PostKey(platform, f"{number}/{message['message_id']}"),
        author.key,
        datetime.fromtimestamp(int(message["date"]), UTC),
        text=text,
        raw=orjson.dumps(message).decode(),
    )
    for entity in message.get("entities") or message.get("caption_entities") or []:
        kind, part = entity.get("type"), _slice(text, int(entity["offset"]), int(entity["length"]))
        if kind == "url":
            post.urls.append(part)
        elif kind == "text_link":
            post.urls.append(str(entity.get("url")))
        elif kind == "hashtag":
            post.hashtags.append(part.lstrip("#"))
        elif kind == "mention":
            post.mentions.append(Mention(handle=part.lstrip("@")))
        elif kind == "text_mention" and entity.get("user"):
            post.mentions.append(Mention(handle=None, account_id=f"user{entity['user']['id']}"))
    reply = message.get("reply_to_message")
    if isinstance(reply, dict) and reply.get("message_id"):
        post.reply_to = PostKey(
            platform, f"{chat_number((reply.get('chat') or chat)['id'])}/{reply['message_id']}"
        )
    meta: dict[str, Any] = {
        "chat_id": number,
        "chat_type": "channel" if chat.get("type") == "channel" else "group",
        "chat_title": chat.get("title"),
        "via": "bot-api",
    }
    origin, origin_name, forwarded = _forward(message, platform)
    records: list[Record] = [author]
    if origin is not None:
        post.forward_from = origin.key
        records.append(origin)
    post.forward_from_name = origin_name
    if forwarded:
        meta["forward_of"] = forwarded
    for media in ("photo", "video", "document", "animation", "audio", "voice", "sticker"):
        if message.get(media):
            meta["media_type"] = media
    post.metadata = meta
    records.append(post)
    return records


class TelegramBotConnector(Connector):
    """Updates of the unit's bot: the groups and channels it is in (see the module's note)."""

    name = "telegram-bot"
    default_platform = "telegram"
    target_forms = "updates"
    credential_fields = ("token",)
    needs_guarded_session = True

    @classmethod
    def check_target(cls, target: Target) -> None:
        if target.target != "updates":
            raise ValueError(f"telegram-bot target {target.target!r}: expected {cls.target_forms}")

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        import requests

        token = self.credentials.get("token")
        if token is None:
            raise ConnectorError(
                f"{self.target}: no bot token (set OPENIRU_TELEGRAM_BOT_TOKEN or the secrets file)"
            )
        http = self.session or PoliteSession(self.backoff)
        url = f"{(self.target.server or API).rstrip('/')}/bot{token.reveal()}/getUpdates"
        state: Checkpoint = dict(checkpoint or {})
        for _ in range(self.max_pages):
            params: dict[str, Any] = {
                "limit": PAGE,
                "timeout": 0,
                "allowed_updates": '["message","channel_post","edited_message","edited_channel_post"]',
            }
            if state.get("offset"):
                params["offset"] = state["offset"]
            try:
                answer = http.get(url, params=params).json()
            except (requests.RequestException, ValueError) as exc:
                raise ConnectorError(
                    self.credentials.redact(f"{self.target}: {type(exc).__name__}: {exc}")
                ) from None
            if not isinstance(answer, dict) or not answer.get("ok"):
                why = answer.get("description") if isinstance(answer, dict) else "not a JSON object"
                raise ConnectorError(self.credentials.redact(f"{self.target}: getUpdates: {why}"))
            updates = [u for u in answer.get("result") or [] if isinstance(u, dict) and "update_id" in u]
            if not updates:
                return
            state["offset"] = max(int(u["update_id"]) for u in updates) + 1
            yield Page(self._records(updates), dict(state), items=len(updates))
            if len(updates) < PAGE:
                return

    def _records(self, updates: list[dict[str, Any]]) -> list[Record]:
        records: list[Record] = []
        for update in updates:
            where = f"update {update['update_id']}"
            message = update.get("message") or update.get("channel_post")
            if not isinstance(message, dict):
                kind = next((k for k in update if k != "update_id"), "empty")
                records.append(Problem(str(self.target), where, f"not collected: {kind}", "skipped"))
                continue
            if (message.get("chat") or {}).get("type") == "private":
                records.append(
                    Problem(str(self.target), where, "private chat with the bot: not collected", "skipped")
                )
                continue
            try:
                records.extend(message_records(message, self.platform))
            except (*MALFORMED, AttributeError) as exc:
                reason = f"missing field {exc.args[0]}" if isinstance(exc, KeyError) else str(exc)
                records.append(Problem(str(self.target), where, f"malformed message: {reason}"))
        return records
