"""Mastodon statuses as the REST API returns them (``Status`` entities, one JSON array).

``content`` is the HTML Mastodon renders: paragraphs, links with the
``invisible`` scheme span, hashtag links to ``/tags/<name>`` and ``h-card``
mentions.  A boost is a wrapper status with empty content and the boosted
status whole in ``reblog``.  The file is what paging an account's or a
hashtag's timeline and concatenating the pages gives.
"""

from __future__ import annotations

import html
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from .entities import spans
from .records import DemoAccount, DemoPost
from .world import MASTODON_HOST


def iso_ms(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _host(a: DemoAccount) -> str:
    return str(a.extra.get("host", MASTODON_HOST))


def acct(a: DemoAccount) -> str:
    """``username`` for the instance's own accounts, ``username@host`` for remote ones."""
    return a.handle if _host(a) == MASTODON_HOST else f"{a.handle}@{_host(a)}"


def account_entity(a: DemoAccount, statuses: int) -> dict[str, Any]:
    host = a.extra.get("host", "mastodon.example")
    base = f"https://{host}/@{a.handle}"
    avatar = (
        f"https://{host}/system/accounts/avatars/{a.account_id[:3]}/{a.account_id[3:6]}/original/{a.avatar}"
    )
    return {
        "id": a.account_id,
        "username": a.handle,
        "acct": acct(a),
        "display_name": a.display_name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "indexable": False,
        "group": False,
        "created_at": a.created_at.strftime("%Y-%m-%dT00:00:00.000Z"),
        "note": f"<p>{html.escape(a.bio)}</p>" if a.bio else "",
        "url": base,
        "uri": f"https://{host}/users/{a.handle}",
        "avatar": avatar,
        "avatar_static": avatar,
        "header": f"https://{host}/headers/original/missing.png",
        "header_static": f"https://{host}/headers/original/missing.png",
        "followers_count": a.followers,
        "following_count": 80 + a.followers % 300,
        "statuses_count": statuses,
        "last_status_at": None,
        "hide_collections": False,
        "emojis": [],
        "fields": [],
    }


def content_html(post: DemoPost, host: str) -> str:
    text = post.text
    out: list[str] = []
    cursor = 0
    known = {a.handle.lower(): a for a in post.mentions}
    for span in spans(text):
        out.append(html.escape(text[cursor : span.start], quote=False))
        if span.kind == "url":
            scheme, rest = span.value.split("://", 1)
            shown, hidden = rest[:30], rest[30:]
            out.append(
                f'<a href="{html.escape(span.value)}" target="_blank" rel="nofollow noopener noreferrer"'
                f' translate="no"><span class="invisible">{scheme}://</span><span class="'
                f'{"ellipsis" if hidden else ""}">{html.escape(shown)}</span><span class="invisible">'
                f"{html.escape(hidden)}</span></a>"
            )
        elif span.kind == "hashtag":
            out.append(
                f'<a href="https://{host}/tags/{html.escape(span.value)}" class="mention hashtag" '
                f'rel="tag">#<span>{html.escape(span.value)}</span></a>'
            )
        elif span.value.lower() in known:
            a = known[span.value.lower()]
            out.append(
                f'<span class="h-card" translate="no"><a href="https://{_host(a)}/@{a.handle}" '
                f'class="u-url mention">@<span>{html.escape(a.handle)}</span></a></span>'
            )
        else:
            out.append(html.escape(span.text, quote=False))
        cursor = span.end
    out.append(html.escape(text[cursor:], quote=False))
    return f"<p>{''.join(out)}</p>"


def _attachment(host: str, token: str, width: int, height: int, status_id: str) -> dict[str, Any]:
    path = f"{status_id[:3]}/{status_id[3:6]}/{status_id[6:9]}"
    name = token.encode().hex()[:16]
    return {
        "id": str(int(status_id) + 7),
        "type": "image",
        "url": f"https://{host}/system/media_attachments/files/{path}/original/{name}.jpg",
        "preview_url": f"https://{host}/system/media_attachments/files/{path}/small/{name}.jpg",
        "remote_url": None,
        "preview_remote_url": None,
        "text_url": None,
        "meta": {
            "original": {
                "width": width,
                "height": height,
                "size": f"{width}x{height}",
                "aspect": round(width / height, 6),
            }
        },
        "description": None,
        "blurhash": "UFG[" + token[:24].ljust(24, "0"),
    }


class MastodonWriter:
    def __init__(self, posts: list[DemoPost]) -> None:
        self.counts: dict[str, int] = {}
        self.replies: dict[str, int] = {}
        self.reblogs: dict[str, int] = {}
        for p in posts:
            self.counts[p.account.account_id] = self.counts.get(p.account.account_id, 0) + 1
            if p.reply_to is not None:
                self.replies[p.reply_to.post_id] = self.replies.get(p.reply_to.post_id, 0) + 1
            if p.repost_of is not None:
                self.reblogs[p.repost_of.post_id] = self.reblogs.get(p.repost_of.post_id, 0) + 1

    def status(self, p: DemoPost) -> dict[str, Any]:
        a = p.account
        host = a.extra.get("host", "mastodon.example")
        uri = f"https://{host}/users/{a.handle}/statuses/{p.post_id}"
        status: dict[str, Any] = {
            "id": p.post_id,
            "created_at": iso_ms(p.time),
            "in_reply_to_id": p.reply_to.post_id if p.reply_to else None,
            "in_reply_to_account_id": p.reply_to.account.account_id if p.reply_to else None,
            "sensitive": False,
            "spoiler_text": "",
            "visibility": "public",
            "language": None if p.repost_of else p.language,
            "uri": uri + ("/activity" if p.repost_of else ""),
            "url": None if p.repost_of else f"https://{host}/@{a.handle}/{p.post_id}",
            "replies_count": self.replies.get(p.post_id, 0),
            "reblogs_count": self.reblogs.get(p.post_id, 0),
            "favourites_count": 2 * self.reblogs.get(p.post_id, 0),
            "edited_at": None,
            "content": "" if p.repost_of else content_html(p, host),
            "reblog": self.status(p.repost_of) if p.repost_of else None,
            "account": account_entity(a, self.counts.get(a.account_id, 0)),
            "media_attachments": []
            if p.repost_of
            else [_attachment(host, token, w, h, p.post_id) for token, w, h in p.remote_media],
            "mentions": []
            if p.repost_of
            else [
                {
                    "id": m.account_id,
                    "username": m.handle,
                    "url": f"https://{_host(m)}/@{m.handle}",
                    "acct": acct(m),
                }
                for m in p.mentions
            ],
            "tags": []
            if p.repost_of
            else [
                {"name": s.value.lower(), "url": f"https://{host}/tags/{s.value.lower()}"}
                for s in spans(p.text)
                if s.kind == "hashtag"
            ],
            "emojis": [],
            "card": None,
            "poll": None,
        }
        return status

    def write(self, posts: list[DemoPost], path: Path) -> None:
        ordered = sorted(posts, key=lambda p: (p.time, p.post_id), reverse=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(orjson.dumps([self.status(p) for p in ordered], option=orjson.OPT_INDENT_2))
