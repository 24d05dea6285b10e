"""MISP events of referred content, built with PyMISP from the standard object templates.

Posts become ``microblog`` objects (Telegram messages ``chat-message``),
accounts ``telegram-account`` or ``user-account``, addresses ``url`` and
media ``file`` objects; posts reference their author (``authored-by``) and
their media (``shares``).  Templates come bundled with PyMISP, so nothing is
fetched at run time.  The event is tagged TLP:AMBER and PAP:AMBER.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymisp import MISPEvent, MISPObject

REMOVED_STATES = ("removed", "access_disabled")


def _account_object(platform: str, ident: str, handle: str | None, url: str | None) -> MISPObject:
    if platform == "telegram":
        obj = MISPObject("telegram-account", standalone=False)
        obj.add_attribute("id", value=ident)
        if handle:
            obj.add_attribute("username", value=handle)
        return obj
    obj = MISPObject("user-account", standalone=False)
    obj.add_attribute("user-id", value=ident)
    obj.add_attribute("username", value=handle or ident)
    if url:
        obj.add_attribute("link", value=url)
    obj.comment = f"{platform}:@{ident}"
    return obj


def _post_object(item: dict[str, Any]) -> MISPObject:
    target, ref = item["target"], item["referral"]
    if target["platform"] == "telegram":
        obj = MISPObject("chat-message", standalone=False)
        chat_id, _, message_id = (target["ident"] or "").rpartition("/")
        obj.add_attribute("message-id", value=message_id or target["ident"])
        obj.add_attribute("timestamp", value=target["posted_at"] or ref["created_at"])
        if chat_id:
            obj.add_attribute("chat-id", value=chat_id)
        if target["text"]:
            obj.add_attribute("content", value=target["text"])
        if target["url"]:
            obj.add_attribute("url", value=target["url"])
        if target["author"]:
            obj.add_attribute("user-account-id", value=target["author"].partition(":@")[2])
        obj.add_attribute("network", value="telegram")
    else:
        obj = MISPObject("microblog", standalone=False)
        obj.add_attribute("post", value=target["text"] or f"[{target['key']}]")
        if target["url"]:
            obj.add_attribute("url", value=target["url"])
        if target["author_handle"]:
            obj.add_attribute("username", value=target["author_handle"])
        if target["posted_at"]:
            obj.add_attribute("creation-date", value=target["posted_at"])
        if ref["state"] in REMOVED_STATES and ref["resolved_at"]:
            obj.add_attribute("removal-date", value=ref["resolved_at"])
        obj.add_attribute("type", value="Other")
    if target["language"]:
        obj.add_attribute("language", value=target["language"])
    obj.comment = f"{target['key']} referred in {ref['reference']} ({ref['state']})"
    return obj


def event(items: list[dict[str, Any]], unit_name: str, now: datetime) -> MISPEvent:
    ev = MISPEvent()
    ev.info = f"{unit_name}: referred terrorist content ({len(items)} item(s))"
    ev.date = now.date()
    ev.distribution = 0
    ev.threat_level_id = 2
    ev.analysis = 2
    ev.add_tag("tlp:amber")
    ev.add_tag("PAP:AMBER")
    accounts: dict[str, MISPObject] = {}
    files: dict[str, MISPObject] = {}
    for item in items:
        target = item["target"]
        author_key = target["author"] or (target["key"] if target["kind"] == "account" else None)
        account_obj = None
        if author_key:
            if author_key not in accounts:
                platform, _, ident = author_key.partition(":@")
                url = target["url"] if target["kind"] == "account" else None
                accounts[author_key] = ev.add_object(
                    _account_object(platform, ident, target["author_handle"], url)
                )
            account_obj = accounts[author_key]
        if target["kind"] == "post":
            post = ev.add_object(_post_object(item))
            if account_obj is not None:
                post.add_reference(account_obj.uuid, "authored-by")
            for m in target["media"]:
                digest = m.get("sha256") or m.get("md5")
                if not digest:
                    continue
                if digest not in files:
                    f = MISPObject("file", standalone=False)
                    if m.get("sha256"):
                        f.add_attribute("sha256", value=m["sha256"])
                    if m.get("md5"):
                        f.add_attribute("md5", value=m["md5"])
                    if m.get("mime"):
                        f.add_attribute("mimetype", value=m["mime"])
                    files[digest] = ev.add_object(f)
                post.add_reference(files[digest].uuid, "shares")
        elif target["kind"] == "url":
            u = MISPObject("url", standalone=False)
            u.add_attribute("url", value=target["url"])
            u.comment = f"referred in {item['referral']['reference']} ({item['referral']['state']})"
            ev.add_object(u)
    return ev
