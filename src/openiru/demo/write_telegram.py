"""Telegram chats as Telegram Desktop exports them (``result.json`` and media files).

The analyst's full export (``DataExport_<date>/result.json`` with
``chats.list`` and one media folder per chat under ``chats/chat_NNN/``) holds
the channels and the supergroup still reachable at the end; channels suspended
earlier were saved as single-chat exports (``ChatExport_<date>/result.json``,
photos in ``photos/``) before they went.  ``text`` is a plain string or, when
the message has entities, an array mixing strings and entity objects, with
``text_entities`` listing every part; photos are real JPEG files.
"""

from __future__ import annotations

import io
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
from PIL import Image

from .entities import spans
from .records import DemoPost
from .world import END, Chat

#: The analyst whose Telegram account made the full export (an account in the data, posting nothing).
ANALYST_USER_ID = 5100000001


def _date(when: datetime) -> dict[str, str]:
    return {"date": when.strftime("%Y-%m-%dT%H:%M:%S"), "date_unixtime": str(int(when.timestamp()))}


def text_parts(post: DemoPost) -> tuple[str | list[Any], list[dict[str, Any]]]:
    """``text`` and ``text_entities`` as Telegram Desktop writes them."""
    text = post.text
    names = {a.display_name: a for a in post.mentions if a.account_id.startswith("user")}
    pieces: list[tuple[str, str, dict[str, Any]]] = []  # (type, text, extra)
    cursor = 0
    marks: list[tuple[int, int, str, dict[str, Any]]] = [
        (s.start, s.end, {"url": "link", "hashtag": "hashtag", "mention": "mention"}[s.kind], {})
        for s in spans(text)
    ]
    for name, account in names.items():
        at = text.find(name)
        if at >= 0:
            marks.append((at, at + len(name), "mention_name", {"user_id": int(account.account_id[4:])}))
    for start, end, kind, extra in sorted(marks, key=lambda m: m[0]):
        if start < cursor:
            continue
        if start > cursor:
            pieces.append(("plain", text[cursor:start], {}))
        pieces.append((kind, text[start:end], extra))
        cursor = end
    if cursor < len(text):
        pieces.append(("plain", text[cursor:], {}))
    entities = [{"type": kind, "text": piece, **extra} for kind, piece, extra in pieces]
    if all(kind == "plain" for kind, _p, _e in pieces):
        return text, entities
    mixed: list[Any] = [
        piece if kind == "plain" else {"type": kind, "text": piece, **extra} for kind, piece, extra in pieces
    ]
    return mixed, entities


def message(post: DemoPost, chat: Chat, out_root: Path) -> dict[str, Any]:
    if post.system:
        return {
            "id": post.message_id,
            "type": "service",
            **_date(post.time),
            "actor": post.account.display_name,
            "actor_id": post.account.account_id,
            "action": post.system,
            "inviter": chat.name,
            "text": "",
            "text_entities": [],
        }
    msg: dict[str, Any] = {"id": post.message_id, "type": "message", **_date(post.time)}
    if (
        post.account.account_id.startswith("channel")
        and post.forward_of is None
        and post.message_id % 11 == 0
    ):
        edited = post.time + timedelta(minutes=3 + post.message_id % 40)  # channel admins fix typos
        msg["edited"], msg["edited_unixtime"] = (
            edited.strftime("%Y-%m-%dT%H:%M:%S"),
            str(int(edited.timestamp())),
        )
    msg["from"] = post.account.display_name
    msg["from_id"] = post.account.account_id
    if post.forward_of is not None:
        msg["forwarded_from"] = post.forward_of.account.display_name
    if post.reply_to is not None:
        msg["reply_to_message_id"] = post.reply_to.message_id
    for media in post.media:
        export_root = f"telegram/{export_folder(chat)}/"
        msg["photo"] = media.file.removeprefix(export_root)
        msg["photo_file_size"] = len(media.data)
        with Image.open(io.BytesIO(media.data)) as image:
            msg["width"], msg["height"] = image.size
    msg["text"], msg["text_entities"] = text_parts(post)
    return msg


def export_folder(chat: Chat) -> str:
    return f"DataExport_{END:%Y-%m-%d}" if chat.export == "full" else chat.export


def chat_object(chat: Chat, posts: list[DemoPost], out_root: Path) -> dict[str, Any]:
    return {
        "name": chat.name,
        "type": chat.kind,
        "id": int(chat.chat_id),
        "messages": [message(p, chat, out_root) for p in sorted(posts, key=lambda p: p.message_id)],
    }


def write_telegram(chats: list[Chat], posts: list[DemoPost], out_root: Path) -> list[Path]:
    """Write every export and its photos; the result.json paths."""
    by_chat: dict[str, list[DemoPost]] = defaultdict(list)
    for post in posts:
        by_chat[post.chat.chat_id].append(post)
        for media in post.media:
            target = out_root / media.file
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(media.data)
    exports: dict[str, list[Chat]] = defaultdict(list)
    for chat in chats:
        if chat.platform == "telegram":
            exports[export_folder(chat)].append(chat)
    written = []
    for folder, members in sorted(exports.items()):
        path = out_root / "telegram" / folder / "result.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        if folder.startswith("DataExport"):
            document: dict[str, Any] = {
                "about": "Here is the data you requested. Remember: Telegram is ad free, it doesn't use "
                "your data for ad targeting and doesn't sell it to others.",
                "personal_information": {
                    "user_id": ANALYST_USER_ID,
                    "first_name": "Analyst",
                    "last_name": "",
                    "phone_number": "+00 000 000 0000",
                    "username": "",
                    "bio": "",
                },
                "chats": {
                    "about": "This page lists all chats from this export.",
                    "list": [chat_object(c, by_chat[c.chat_id], out_root) for c in members],
                },
                "left_chats": {
                    "about": "This page lists all supergroups and channels from this export "
                    "that you've left.",
                    "list": [],
                },
            }
        else:
            document = chat_object(members[0], by_chat[members[0].chat_id], out_root)
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        written.append(path)
    return written
