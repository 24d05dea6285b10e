"""X posts as twarc2 writes them: one API v2 response page per line.

Each line is ``{"data": [...], "includes": {"users", "tweets", "media"}, "meta",
"__twarc"}`` as from ``twarc2 search --archive``: newest first, at most 100
tweets a page, referenced tweets and every author or mentioned user in
``includes``.  Retweets carry ``RT @user:`` and truncated text, the original in
``includes.tweets``; URLs in text are t.co links with ``expanded_url``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from .entities import display_url, spans
from .records import DemoAccount, DemoPost
from .world import END

PAGE = 100
TWARC_VERSION = "2.14.0"


def iso_ms(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")


class XWriter:
    def __init__(self, expanded: dict[str, str]) -> None:
        self.expanded = expanded  # t.co link -> the URL it stands for
        self.stats: dict[str, dict[str, int]] = {}

    def user(self, a: DemoAccount) -> dict[str, Any]:
        counts = self.stats.get(a.account_id, {})
        return {
            "id": a.account_id,
            "name": a.display_name,
            "username": a.handle,
            "created_at": iso_ms(a.created_at),
            "description": a.bio,
            "protected": False,
            "verified": False,
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{int(a.created_at.timestamp())}{len(a.handle)}/"
            f"{a.avatar.removesuffix('.jpg')}_normal.jpg",
            "public_metrics": {
                "followers_count": a.followers,
                "following_count": 150 + a.followers % 400,
                "tweet_count": counts.get("tweets", 0) + 40,
                "listed_count": a.followers // 200,
                "like_count": a.followers % 900,
            },
        }

    def tweet(self, p: DemoPost) -> dict[str, Any]:
        text = p.text  # URLs are t.co links already (activity_x.shorten)
        entities: dict[str, list[dict[str, Any]]] = {}
        by_handle = {a.handle.lower(): a for a in p.mentions}
        for span in spans(text):
            if span.kind == "url":
                if span.value not in self.expanded:
                    continue
                expanded = self.expanded[span.value]
                entities.setdefault("urls", []).append(
                    {
                        "start": span.start,
                        "end": span.end,
                        "url": span.value,
                        "expanded_url": expanded,
                        "display_url": display_url(expanded),
                    }
                )
            elif span.kind == "hashtag":
                entities.setdefault("hashtags", []).append(
                    {"start": span.start, "end": span.end, "tag": span.value}
                )
            elif span.value.lower() in by_handle:
                entities.setdefault("mentions", []).append(
                    {
                        "start": span.start,
                        "end": span.end,
                        "username": span.value,
                        "id": by_handle[span.value.lower()].account_id,
                    }
                )
        tweet: dict[str, Any] = {
            "id": p.post_id,
            "text": text,
            "author_id": p.account.account_id,
            "created_at": iso_ms(p.time),
            "conversation_id": p.post_id,
            "lang": p.language,
            "edit_history_tweet_ids": [p.post_id],
            "possibly_sensitive": False,
            "reply_settings": "everyone",
            "public_metrics": self.metrics(p),
        }
        if entities:
            tweet["entities"] = entities
        refs = []
        if p.repost_of is not None:
            refs.append({"type": "retweeted", "id": p.repost_of.post_id})
        if p.quote_of is not None:
            refs.append({"type": "quoted", "id": p.quote_of.post_id})
        if p.reply_to is not None:
            refs.append({"type": "replied_to", "id": p.reply_to.post_id})
            tweet["in_reply_to_user_id"] = p.reply_to.account.account_id
            tweet["conversation_id"] = p.reply_to.post_id
        if refs:
            tweet["referenced_tweets"] = refs
        if p.remote_media and p.repost_of is None:
            tweet["attachments"] = {"media_keys": [self.media_key(p, m[0]) for m in p.remote_media]}
            # X appends a t.co link to the photo page to the text of a tweet with media.
            link = f"https://twitter.com/{p.account.handle}/status/{p.post_id}/photo/1"
            short = "https://t.co/" + p.remote_media[0][0][:10]
            start = len(text) + 1
            tweet["text"] = f"{text} {short}"
            entities.setdefault("urls", []).append(
                {
                    "start": start,
                    "end": start + len(short),
                    "url": short,
                    "expanded_url": link,
                    "display_url": "pic.x.com/" + p.remote_media[0][0][:10],
                    "media_key": tweet["attachments"]["media_keys"][0],
                }
            )
            tweet["entities"] = entities
        return tweet

    @staticmethod
    def media_key(p: DemoPost, token: str) -> str:
        return f"3_{int(p.post_id) + sum(map(ord, token))}"

    def media(self, p: DemoPost) -> list[dict[str, Any]]:
        return [
            {
                "media_key": self.media_key(p, token),
                "type": "photo",
                "url": f"https://pbs.twimg.com/media/{token}.jpg",
                "width": width,
                "height": height,
            }
            for token, width, height in p.remote_media
        ]

    def metrics(self, p: DemoPost) -> dict[str, int]:
        """Counts consistent with the data: retweets, replies and quotes the tweet received."""
        if p.repost_of is not None:
            return {
                "retweet_count": 0,
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 0,
            }
        got = self.received.get(p.post_id, {})
        retweets, replies, quotes = got.get("retweet", 0), got.get("reply", 0), got.get("quote", 0)
        likes = 2 * retweets + replies + (int(p.post_id) >> 7) % 5
        return {
            "retweet_count": retweets,
            "reply_count": replies,
            "like_count": likes,
            "quote_count": quotes,
            "bookmark_count": likes // 10,
            "impression_count": 40 * (likes + retweets) + p.account.followers // 20,
        }

    def write(self, posts: list[DemoPost], path: Path) -> int:
        """Write the pages; the number of lines written."""
        self.received: dict[str, dict[str, int]] = {}
        for p in posts:
            self.stats.setdefault(p.account.account_id, {"tweets": 0})["tweets"] += 1
            for kind, ref in (("retweet", p.repost_of), ("reply", p.reply_to), ("quote", p.quote_of)):
                if ref is not None:
                    counts = self.received.setdefault(ref.post_id, {})
                    counts[kind] = counts.get(kind, 0) + 1
        ordered = sorted(posts, key=lambda p: (p.time, p.post_id), reverse=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        lines = 0
        with open(path, "wb") as fh:
            for i in range(0, len(ordered), PAGE):
                page = ordered[i : i + PAGE]
                fh.write(orjson.dumps(self._page(page, i // PAGE)) + b"\n")
                lines += 1
        return lines

    def write_users(self, accounts: list[DemoAccount], path: Path) -> None:
        """``twarc2 users`` output at the end of the timeline: a lookup of the accounts of
        interest, 100 ids a request; suspended ones come back in ``errors``, as the API says it."""
        path.parent.mkdir(parents=True, exist_ok=True)
        retrieved = (END + timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%S+00:00")
        with open(path, "wb") as fh:
            for i in range(0, len(accounts), PAGE):
                chunk = accounts[i : i + PAGE]
                page: dict[str, Any] = {"data": [self.user(a) for a in chunk if a.status == "active"]}
                errors = [
                    {
                        "value": a.account_id,
                        "detail": f"User has been suspended: [{a.account_id}].",
                        "title": "Forbidden",
                        "resource_type": "user",
                        "parameter": "ids",
                        "resource_id": a.account_id,
                        "type": "https://api.twitter.com/2/problems/resource-not-found",
                    }
                    for a in chunk
                    if a.status == "suspended"
                ]
                if errors:
                    page["errors"] = errors
                page["__twarc"] = {
                    "url": "https://api.twitter.com/2/users?ids="
                    + "%2C".join(a.account_id for a in chunk)
                    + "&user.fields=created_at,description,profile_image_url,public_metrics",
                    "version": TWARC_VERSION,
                    "retrieved_at": retrieved,
                }
                fh.write(orjson.dumps(page) + b"\n")

    def _page(self, page: list[DemoPost], number: int) -> dict[str, Any]:
        users: dict[str, DemoAccount] = {}
        included: dict[str, DemoPost] = {}
        for p in page:
            users.setdefault(p.account.account_id, p.account)
            for a in p.mentions:
                users.setdefault(a.account_id, a)
            for ref in (p.repost_of, p.quote_of, p.reply_to):
                if ref is not None:
                    included.setdefault(ref.post_id, ref)
                    users.setdefault(ref.account.account_id, ref.account)
                    for a in ref.mentions:
                        users.setdefault(a.account_id, a)
        includes: dict[str, Any] = {"users": [self.user(a) for a in users.values()]}
        if included:
            includes["tweets"] = [self.tweet(t) for t in included.values()]
        media = [m for p in [*page, *included.values()] if p.repost_of is None for m in self.media(p)]
        if media:
            includes["media"] = list({m["media_key"]: m for m in media}.values())
        retrieved = END + timedelta(hours=6, seconds=number * 3)
        meta: dict[str, Any] = {
            "newest_id": page[0].post_id,
            "oldest_id": page[-1].post_id,
            "result_count": len(page),
        }
        meta["next_token"] = f"b26v89c19zqg8o3f{number + 1:08d}"
        return {
            "data": [self.tweet(p) for p in page],
            "includes": includes,
            "meta": meta,
            "__twarc": {
                "url": "https://api.twitter.com/2/tweets/search/all?query=%23AshenMeridian%20OR%20"
                "%23VelmorDawn&start_time=2026-08-03T00%3A00%3A00%2B00%3A00&max_results=100"
                "&tweet.fields=author_id,conversation_id,created_at,entities,lang,"
                "public_metrics,referenced_tweets&expansions=author_id,"
                "referenced_tweets.id,entities.mentions.username",
                "version": TWARC_VERSION,
                "retrieved_at": iso_ms(retrieved).replace(".000Z", "+00:00"),
            },
        }
