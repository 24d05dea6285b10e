"""X API v2 response pages as ``twarc2 search`` writes them, and a ``twarc2 users`` look-up.

Tweets go out in pages of up to 100 (``data``, ``includes.users``, ``includes.tweets`` for the
referenced tweets, ``meta``, ``__twarc``).  Retweets read ``RT @handle: …``; quotes end with the
quoted tweet's link; replies start with ``@handle``; entities carry character offsets.  The users
look-up at the end of the collection reports removed accounts in ``errors`` (``User has been
suspended: [id].`` / ``Could not find user with ids: [id].``).
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .model import Account, Post, World

PAGE = 100
TWARC = {"version": "2.14.0"}


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def user(acc: Account) -> dict[str, Any]:
    return {
        "id": acc.account_id,
        "username": acc.handle,
        "name": acc.display_name,
        "description": acc.bio,
        "created_at": _iso(acc.created_at or 0),
        "profile_image_url": f"https://pbs.twimg.com/profile_images/{acc.avatar}/p_normal.jpg",
        "public_metrics": {
            "followers_count": acc.followers,
            "following_count": 100,
            "tweet_count": 500,
            "listed_count": 0,
        },
        "protected": False,
        "verified": acc.followers > 100000,
    }


def _text(post: Post) -> str:
    if post.repost_of is not None:
        src = post.repost_of
        return f"RT @{src.account.handle}: {_text(src)}"[:280]
    text = post.text
    if post.reply_to is not None:
        text = f"@{post.reply_to.account.handle} {text}"
    if post.quote_of is not None:
        text += f" https://twitter.com/{post.quote_of.account.handle}/status/{post.quote_of.post_id}"
    return text


def tweet(post: Post) -> dict[str, Any]:
    text = _text(post)
    src = post.repost_of
    body = src if src is not None else post
    entities: dict[str, Any] = {}
    tags = [
        {"start": i, "end": i + len(h) + 1, "tag": h} for h in body.hashtags if (i := text.find("#" + h)) >= 0
    ]
    urls = [
        {
            "start": i,
            "end": i + len(u),
            "url": f"https://t.co/{zlib.crc32(u.encode()):010d}",
            "expanded_url": u,
            "display_url": u.split("//", 1)[-1][:25],
        }
        for u in body.urls
        if (i := text.find(u)) >= 0
    ]
    if post.quote_of is not None and src is None:  # the quoted tweet's link, as X writes it
        link = f"https://twitter.com/{post.quote_of.account.handle}/status/{post.quote_of.post_id}"
        i = text.find(link)
        urls.append(
            {
                "start": i,
                "end": i + len(link),
                "url": f"https://t.co/{zlib.crc32(link.encode()):010d}",
                "expanded_url": link,
                "display_url": link.split("//", 1)[-1][:25] + "\u2026",
            }
        )
    mentioned = list(body.mentions)
    if post.reply_to is not None:
        mentioned.insert(0, post.reply_to.account)
    if src is not None:
        mentioned.insert(0, src.account)
    mentions = [
        {"start": i, "end": i + len(m.handle or "") + 1, "username": m.handle, "id": m.account_id}
        for m in mentioned
        if m.handle and (i := text.find("@" + m.handle)) >= 0
    ]
    for key, value in (("hashtags", tags), ("urls", urls), ("mentions", mentions)):
        if value:
            entities[key] = value
    out: dict[str, Any] = {
        "id": post.post_id,
        "edit_history_tweet_ids": [post.post_id],
        "text": text,
        "author_id": post.account.account_id,
        "created_at": _iso(post.time),
        "conversation_id": (post.reply_to or post).post_id,
        "lang": post.lang,
        "public_metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0},
    }
    if entities:
        out["entities"] = entities
    refs = []
    if src is not None:
        refs.append({"type": "retweeted", "id": src.post_id})
    if post.reply_to is not None:
        refs.append({"type": "replied_to", "id": post.reply_to.post_id})
        out["in_reply_to_user_id"] = post.reply_to.account.account_id
    if post.quote_of is not None:
        refs.append({"type": "quoted", "id": post.quote_of.post_id})
    if refs:
        out["referenced_tweets"] = refs
    return out


def _referenced(post: Post) -> list[Post]:
    return [p for p in (post.repost_of, post.reply_to, post.quote_of) if p is not None and p.platform == "x"]


def write_x(world: World, out: Path, retrieved: float) -> list[Path]:
    posts = sorted((p for p in world.posts if p.platform == "x"), key=lambda p: -p.time)
    if not posts:
        return []
    out.mkdir(parents=True, exist_ok=True)
    stamp = {"retrieved_at": datetime.fromtimestamp(retrieved, UTC).isoformat(), **TWARC}
    search = out / "search.jsonl"
    with open(search, "w", encoding="utf-8") as fh:
        for k in range(0, len(posts), PAGE):
            page = posts[k : k + PAGE]
            refs = {id(r): r for p in page for r in _referenced(p)}
            users = {id(p.account): p.account for p in page}
            for p in list(page) + list(refs.values()):
                users |= {id(m): m for m in p.mentions if m.platform == "x"}
                users |= {id(r.account): r.account for r in _referenced(p)}
            doc = {
                "data": [tweet(p) for p in page],
                "includes": {
                    "users": [user(a) for a in users.values()],
                    "tweets": [tweet(r) for r in refs.values()],
                },
                "meta": {
                    "newest_id": page[0].post_id,
                    "oldest_id": page[-1].post_id,
                    "result_count": len(page),
                },
                "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all?query=placeholder", **stamp},
            }
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    accounts = [a for a in world.accounts if a.platform == "x"]
    found = [user(a) for a in accounts if a.status == "active"]
    errors = []
    for a in accounts:
        if a.status == "suspended":
            errors.append(
                {
                    "value": a.account_id,
                    "detail": f"User has been suspended: [{a.account_id}].",
                    "title": "Forbidden",
                    "resource_type": "user",
                    "parameter": "ids",
                    "resource_id": a.account_id,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            )
        elif a.status == "deleted":
            errors.append(
                {
                    "value": a.account_id,
                    "detail": f"Could not find user with ids: [{a.account_id}].",
                    "title": "Not Found Error",
                    "resource_type": "user",
                    "parameter": "ids",
                    "resource_id": a.account_id,
                    "type": "https://api.twitter.com/2/problems/resource-not-found",
                }
            )
    lookup = out / "users.jsonl"
    with open(lookup, "w", encoding="utf-8") as fh:
        for k in range(0, max(len(found), len(errors), 1), PAGE):
            doc: dict[str, Any] = {"data": found[k : k + PAGE]}
            if errors[k : k + PAGE]:
                doc["errors"] = errors[k : k + PAGE]
            doc["__twarc"] = {"url": "https://api.twitter.com/2/users?ids=placeholder", **stamp}
            fh.write(json.dumps(doc, ensure_ascii=False) + "\n")
    return [search, lookup]
