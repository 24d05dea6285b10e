"""Telegram Desktop full export (``result.json`` with ``chats.list``) of the world's Telegram posts.

Chats: each channel account posts in its own channel (``from_id`` ``"channel<id>"``); the
organisation's members talk in its supergroup; everyone else in a public group.  Users appear as
``from`` (display name) and ``from_id`` (``"user<id>"``), never with a username, as the export
writes them.  Forwards name the original author (``forwarded_from``, and ``forwarded_from_id`` in
newer exports); photos are files under ``chats/chat_NNN/photos/``; replies to another chat's
message carry ``reply_to_peer_id``.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .model import Account, Post, World

ORG_ROLES = ("ringleader", "outlet", "propagandist", "amplifier")


def assign_chats(world: World, rng: random.Random) -> None:
    """Decide each Telegram post's chat (``meta['chat_id']``); creates the chats."""
    chats = world.telegram_chats
    group_id = str(rng.randint(1_500_000_000, 1_999_999_999))
    public_id = str(rng.randint(1_500_000_000, 1_999_999_999))
    chats[group_id] = {
        "name": f"{world.params.home.capitalize()} readers circle",
        "type": "private_supergroup",
    }
    chats[public_id] = {"name": "Neighbourhood noticeboard", "type": "public_supergroup"}
    for post in world.posts:
        acc = post.account
        if acc.platform != "telegram":
            continue
        if acc.channel:
            chat = acc.account_id.removeprefix("channel")
            chats.setdefault(chat, {"name": acc.display_name, "type": "public_channel"})
        elif acc.role in ORG_ROLES:
            chat = group_id
        else:
            chat = public_id
        post.meta["chat_id"] = chat


def _date(t: float) -> tuple[str, str]:
    d = datetime.fromtimestamp(int(t), UTC)
    return d.strftime("%Y-%m-%dT%H:%M:%S"), str(int(t))


def _entities(post: Post) -> list[dict[str, Any]]:
    """``text_entities``: the text cut into plain runs, hashtags, links and mentions."""
    marks: list[tuple[int, int, dict[str, Any]]] = []
    text = post.text
    for tag in post.hashtags:
        i = text.find("#" + tag)
        if i >= 0:
            marks.append((i, i + len(tag) + 1, {"type": "hashtag", "text": "#" + tag}))
    for url in post.urls:
        i = text.find(url)
        if i >= 0:
            marks.append((i, i + len(url), {"type": "link", "text": url}))
    marks.sort(key=lambda m: m[0])
    out: list[dict[str, Any]] = []
    pos = 0
    for start, end, ent in marks:
        if start < pos:
            continue
        if start > pos:
            out.append({"type": "plain", "text": text[pos:start]})
        out.append(ent)
        pos = end
    if pos < len(text):
        out.append({"type": "plain", "text": text[pos:]})
    for m in post.mentions:  # users without a username are mentioned by name and id
        out.append({"type": "plain", "text": " "})
        out.append(
            {
                "type": "mention_name",
                "text": m.display_name,
                "user_id": int(m.account_id.removeprefix("user")),
            }
            if m.account_id.startswith("user")
            else {"type": "mention", "text": "@" + (m.handle or "")}
        )
    return out


def _message(post: Post, chat_dir: str, out: Path, rng: random.Random) -> dict[str, Any]:
    acc: Account = post.account
    date, unix = _date(post.time)
    msg: dict[str, Any] = {
        "id": post.meta["message_id"],
        "type": "message",
        "date": date,
        "date_unixtime": unix,
        "from": acc.display_name,
        "from_id": acc.account_id,
    }
    if post.forward_of is not None:
        src = post.forward_of.account
        msg["forwarded_from"] = src.display_name
        if rng.random() < 0.5:
            msg["forwarded_from_id"] = src.account_id
    target = post.reply_to or post.quote_of
    if target is not None and target.platform == "telegram":
        msg["reply_to_message_id"] = target.meta["message_id"]
        if target.meta["chat_id"] != post.meta["chat_id"]:
            msg["reply_to_peer_id"] = "channel" + target.meta["chat_id"]
    if post.media:
        media = post.media[0]
        date_tag = datetime.fromtimestamp(int(post.time), UTC).strftime("%d-%m-%Y_%H-%M-%S")
        rel = f"{chat_dir}/photos/photo_{msg['id']}@{date_tag}.jpg"
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes(media.data)
        msg |= {"photo": rel, "photo_file_size": len(media.data), "width": 48, "height": 48}
    entities = _entities(post)
    msg["text"] = (
        post.text
        if all(e["type"] == "plain" for e in entities)
        else [e["text"] if e["type"] == "plain" else e for e in entities]
    )
    msg["text_entities"] = entities
    return msg


def write_telegram(world: World, out: Path, rng: random.Random) -> Path | None:
    posts = [p for p in world.posts if p.platform == "telegram"]
    if not posts:
        return None
    out.mkdir(parents=True, exist_ok=True)
    by_chat: dict[str, list[Post]] = {}
    for p in sorted(posts, key=lambda p: p.meta["message_id"]):
        by_chat.setdefault(p.meta["chat_id"], []).append(p)
    chat_list = []
    for k, (chat_id, chat_posts) in enumerate(sorted(by_chat.items()), 1):
        info = world.telegram_chats[chat_id]
        chat_dir = f"chats/chat_{k:03d}"
        chat_list.append(
            {
                "name": info["name"],
                "type": info["type"],
                "id": int(chat_id),
                "messages": [_message(p, chat_dir, out, rng) for p in chat_posts],
            }
        )
    export = {
        "about": "Here is the data you requested. Remember: Telegram is ad free, fully funded by its users.",
        "personal_information": {
            "user_id": rng.randint(10**8, 10**9),
            "first_name": "Unit",
            "last_name": "Analyst",
            "phone_number": "+00 000 000 0000",
            "username": "@unit_analyst_placeholder",
            "bio": "",
        },
        "chats": {"about": "This page lists all chats from this export.", "list": chat_list},
        "left_chats": {"about": "This page lists all chats you left.", "list": []},
    }
    target = out / "result.json"
    target.write_text(json.dumps(export, ensure_ascii=False, indent=1), "utf-8")
    return target
