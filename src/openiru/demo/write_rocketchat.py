"""Rocket.Chat rooms as the REST API's ``channels.history`` returns them.

One file per room: ``{"messages": [...], "count", "offset", "total",
"success": true}``, newest first, dates as ISO strings (the REST form).
Messages carry ``u`` (author), ``urls``, ``mentions``, ``tmid`` for thread
replies (the parent gets ``tcount`` and ``replies``) and, for system messages,
``t`` (``uj``: a user joined).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from .entities import spans
from .records import DemoPost
from .world import Chat


def iso_ms(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{(int(when.timestamp()) * 7) % 1000:03d}Z"


def rc_message(p: DemoPost, replies: dict[str, list[DemoPost]]) -> dict[str, Any]:
    user = {"_id": p.account.account_id, "username": p.account.handle, "name": p.account.display_name}
    msg: dict[str, Any] = {"_id": p.post_id, "rid": p.chat.chat_id}
    if p.system:
        msg.update(
            {
                "t": p.system,
                "msg": p.account.handle,
                "ts": iso_ms(p.time),
                "u": user,
                "groupable": False,
                "_updatedAt": iso_ms(p.time),
            }
        )
        return msg
    msg.update({"msg": p.text, "ts": iso_ms(p.time), "u": user, "_updatedAt": iso_ms(p.time)})
    urls = [s.value for s in spans(p.text) if s.kind == "url"]
    if urls:
        msg["urls"] = [{"url": u, "meta": {}, "headers": {}} for u in urls]
    msg["mentions"] = [
        {"_id": a.account_id, "username": a.handle, "name": a.display_name, "type": "user"}
        for a in p.mentions
    ]
    msg["channels"] = []
    if p.remote_media:
        token, width, height = p.remote_media[0]
        file_id = token[:17]
        name = f"bulletin-{token[:6]}.jpg"
        size = width * height // 9
        msg["file"] = {"_id": file_id, "name": name, "type": "image/jpeg", "size": size, "format": "JPG"}
        msg["files"] = [dict(msg["file"])]
        msg["attachments"] = [
            {
                "ts": msg["ts"],
                "title": name,
                "title_link": f"/file-upload/{file_id}/{name}",
                "title_link_download": True,
                "image_dimensions": {"width": width, "height": height},
                "image_preview": "",
                "image_url": f"/file-upload/{file_id}/{name}",
                "image_type": "image/jpeg",
                "image_size": size,
                "type": "file",
                "description": "",
            }
        ]
    if p.reply_to is not None:
        msg["tmid"] = p.reply_to.post_id
    thread = replies.get(p.post_id)
    if thread:
        msg["tcount"] = len(thread)
        msg["replies"] = sorted({r.account.account_id for r in thread})
        msg["tlm"] = iso_ms(max(r.time for r in thread))
    return msg


def write_rocketchat(rooms: list[Chat], posts: list[DemoPost], out_root: Path) -> list[Path]:
    by_room: dict[str, list[DemoPost]] = defaultdict(list)
    replies: dict[str, list[DemoPost]] = defaultdict(list)
    for p in posts:
        by_room[p.chat.chat_id].append(p)
        if p.reply_to is not None:
            replies[p.reply_to.post_id].append(p)
    written = []
    for room in rooms:
        messages = sorted(by_room[room.chat_id], key=lambda p: (p.time, p.post_id), reverse=True)
        body = [rc_message(p, replies) for p in messages]
        document = {"messages": body, "count": len(body), "offset": 0, "total": len(body), "success": True}
        path = out_root / "rocketchat" / f"channels.history.{room.name}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
        written.append(path)
    return written
