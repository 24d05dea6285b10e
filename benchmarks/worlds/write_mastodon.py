"""Mastodon REST Status arrays (``GET /api/v1/accounts/:id/statuses``), one file per account.

Statuses carry HTML ``content`` (mention h-cards, hashtag links, plain links), ``mentions`` with
``acct`` (``user`` on the instance, ``user@host`` for remote accounts), ``tags``, ``reblog`` (the
inner Status) and replies (``in_reply_to_id``, ``in_reply_to_account_id``).  A suspended account
says so (``"suspended": true``), as the account entity does after a moderator's action.
"""

from __future__ import annotations

import html
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .model import Account, Post, World


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _acct(acc: Account) -> str:
    return f"{acc.handle}@{acc.remote_host}" if acc.remote_host else str(acc.handle)


def _profile(acc: Account, host: str) -> str:
    return f"https://{acc.remote_host or host}/@{acc.handle}"


def account(acc: Account, host: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": acc.account_id,
        "username": acc.handle,
        "acct": _acct(acc),
        "display_name": acc.display_name,
        "locked": False,
        "bot": False,
        "discoverable": True,
        "group": False,
        "created_at": _iso(acc.created_at or 0),
        "note": f"<p>{html.escape(acc.bio)}</p>",
        "url": _profile(acc, host),
        "avatar": f"https://{host}/system/accounts/avatars/{acc.avatar}/original/a.png",
        "followers_count": acc.followers,
        "following_count": 80,
        "statuses_count": 400,
    }
    if acc.status == "suspended":
        out["suspended"] = True
    return out


def _content(post: Post, host: str) -> str:
    text = html.escape(post.text)
    for m in post.mentions:
        if m.platform == "mastodon":
            text = (
                f'<span class="h-card" translate="no"><a href="{_profile(m, host)}" class="u-url mention">'
                f"@<span>{m.handle}</span></a></span> "
            ) + text
    for tag in post.hashtags:
        text = text.replace(
            f"#{tag}",
            f'<a href="https://{host}/tags/{tag}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>',
        )
    for url in post.urls:
        text = text.replace(
            html.escape(url),
            f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener '
            f'noreferrer">{html.escape(url)}</a>',
        )
    return f"<p>{text}</p>"


def status(post: Post, host: str) -> dict[str, Any]:
    acc = post.account
    uri = f"https://{acc.remote_host or host}/users/{acc.handle}/statuses/{post.post_id}"
    reply = post.reply_to if post.reply_to is not None and post.reply_to.platform == "mastodon" else None
    inner = post.repost_of if post.repost_of is not None and post.repost_of.platform == "mastodon" else None
    return {
        "id": post.post_id,
        "created_at": _iso(post.time),
        "in_reply_to_id": reply.post_id if reply else None,
        "in_reply_to_account_id": reply.account.account_id if reply else None,
        "sensitive": False,
        "spoiler_text": "",
        "visibility": "public",
        "language": post.lang,
        "uri": uri,
        "url": f"{_profile(acc, host)}/{post.post_id}",
        "replies_count": 0,
        "reblogs_count": 0,
        "favourites_count": 0,
        "edited_at": None,
        "content": "" if inner else _content(post, host),
        "reblog": status(inner, host) if inner else None,
        "application": {"name": "Web", "website": None},
        "account": account(acc, host),
        "media_attachments": [],
        "mentions": [
            {"id": m.account_id, "username": m.handle, "url": _profile(m, host), "acct": _acct(m)}
            for m in post.mentions
            if m.platform == "mastodon"
        ],
        "tags": [{"name": t.lower(), "url": f"https://{host}/tags/{t.lower()}"} for t in post.hashtags],
        "emojis": [],
        "card": None,
        "poll": None,
    }


def write_mastodon(world: World, out: Path, host: str) -> Path | None:
    posts = [p for p in world.posts if p.platform == "mastodon"]
    if not posts:
        return None
    out.mkdir(parents=True, exist_ok=True)
    by_account: dict[str, list[Post]] = {}
    for p in posts:
        by_account.setdefault(p.account.account_id, []).append(p)
    for account_id, mine in by_account.items():
        mine.sort(key=lambda p: -p.time)
        (out / f"statuses_{account_id}.json").write_text(
            json.dumps([status(p, host) for p in mine], ensure_ascii=False, indent=1), "utf-8"
        )
    return out
