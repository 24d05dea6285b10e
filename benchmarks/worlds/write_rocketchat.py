"""Rocket.Chat REST ``channels.history`` responses of the group's self-hosted server, one per room.

Each room's file is what ``GET /api/v1/channels.history?roomId=…&count=…`` returns: ``messages``
newest first (``_id`` and ``rid`` Meteor ids, ``msg``, ``ts``, ``u {_id, username, name}``,
``urls``, ``mentions``, ``_updatedAt``), then ``count``, ``offset``, ``total``, ``success``.  Replies
are thread messages (``tmid``); quotes are attachments with the quoted message's ``message_link``.
Join messages (``t: "uj"``) are there too, as on a real server.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .model import Ids, Post, World

ROOMS = ("general", "releases", "translations", "media-team")


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(t * 1000) % 1000:03d}Z"


def assign_rooms(world: World, rng: random.Random) -> None:
    for post in world.posts:
        if post.platform != "rocketchat":
            continue
        if post.reply_to is not None and post.reply_to.platform == "rocketchat":
            post.room = post.reply_to.room or "general"
        elif post.account.role == "outlet":
            post.room = "releases"
        else:
            post.room = rng.choice(ROOMS)


def _user(post: Post) -> dict[str, str]:
    acc = post.account
    return {"_id": acc.account_id, "username": acc.handle or acc.account_id, "name": acc.display_name}


def _message(post: Post, rid: dict[str, str], host: str) -> dict[str, Any]:
    ts = _iso(post.time)
    text = post.text
    mentions = [
        {"_id": m.account_id, "username": m.handle, "name": m.display_name}
        for m in post.mentions
        if m.platform == "rocketchat" and m.handle
    ]
    if mentions:
        text = " ".join("@" + str(m["username"]) for m in mentions) + " " + text
    msg: dict[str, Any] = {
        "_id": post.post_id,
        "rid": rid[post.room],
        "msg": text,
        "ts": ts,
        "u": _user(post),
        "urls": [{"url": u, "meta": {}} for u in post.urls],
        "mentions": mentions,
        "channels": [],
        "md": [],
        "_updatedAt": ts,
    }
    parent = post.reply_to
    if parent is not None and parent.platform == "rocketchat":
        msg["tmid"] = parent.post_id
    quoted = post.quote_of
    if quoted is not None and quoted.platform == "rocketchat":
        msg["attachments"] = [
            {
                "text": quoted.text,
                "author_name": quoted.account.handle,
                "author_icon": f"/avatar/{quoted.account.handle}",
                "message_link": f"https://{host}/channel/{quoted.room}?msg={quoted.post_id}",
                "attachments": [],
                "ts": _iso(quoted.time),
            }
        ]
    return msg


def write_rocketchat(world: World, out: Path, host: str, ids: Ids) -> Path | None:
    posts = [p for p in world.posts if p.platform == "rocketchat"]
    if not posts:
        return None
    out.mkdir(parents=True, exist_ok=True)
    rid = {room: ids.meteor() for room in ROOMS}
    for room in ROOMS:
        mine = sorted((p for p in posts if p.room == room), key=lambda p: -p.time)
        messages = [_message(p, rid, host) for p in mine]
        joined: dict[str, Post] = {}
        for p in reversed(mine):
            joined.setdefault(p.account.account_id, p)
        for p in joined.values():  # each poster's join message, a minute before their first post
            messages.append(
                {
                    "_id": ids.meteor(),
                    "rid": rid[room],
                    "msg": p.account.handle or "",
                    "t": "uj",
                    "ts": _iso(p.time - 60),
                    "u": _user(p),
                    "groupable": False,
                    "_updatedAt": _iso(p.time - 60),
                }
            )
        messages.sort(key=lambda m: m["ts"], reverse=True)
        doc = {
            "messages": messages,
            "count": len(messages),
            "offset": 0,
            "total": len(messages),
            "success": True,
        }
        (out / f"{room}.json").write_text(json.dumps(doc, ensure_ascii=False, indent=1), "utf-8")
    return out
