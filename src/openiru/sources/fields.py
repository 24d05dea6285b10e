"""The fields the generic importer fills, the column names each is found under, and the matching.

Shared by :mod:`.generic` (reading rows) and :mod:`.columns` (planning which column feeds which
field), so that neither imports the other.
"""

from __future__ import annotations

import re

#: Each field and the column names it is found under, the default name first.
FIELDS: dict[str, tuple[str, ...]] = {
    "platform": ("platform", "network", "service"),
    "post_id": (
        "post_id",
        "id",
        "message_id",
        "msg_id",
        "status_id",
        "tweet_id",
        "item_id",
        "postid",
        "id_str",
        "tweetid",
    ),
    "account_id": (
        "account_id",
        "author_id",
        "user_id",
        "from_id",
        "uid",
        "owner_id",
        "accountid",
        "userid",
        "user_id_str",
    ),
    "handle": (
        "handle",
        "username",
        "screen_name",
        "user_name",
        "user",
        "author",
        "author_handle",
        "user_screen_name",
        "user_username",
        "account",
        "channel",
    ),
    "display_name": ("display_name", "name", "author_name", "full_name", "displayname"),
    "timestamp": (
        "timestamp",
        "created_at",
        "date",
        "datetime",
        "time",
        "published",
        "posted_at",
        "ts",
        "tweet_created_at",
        "date_time",
        "created",
        "timestamp_utc",
        "post_date",
    ),
    "text": (
        "text",
        "content",
        "body",
        "message",
        "msg",
        "full_text",
        "post_text",
        "tweet",
        "tweets",
        "tweet_text",
        "status_text",
        "caption",
    ),
    "language": ("language", "lang"),
    "urls": ("urls", "links", "expanded_urls"),
    "hashtags": ("hashtags", "tags"),
    "mentions": ("mentions", "mentioned", "mention_handles"),
    "mention_ids": ("mention_ids", "mentioned_ids"),
    "reply_to": (
        "reply_to",
        "in_reply_to",
        "in_reply_to_id",
        "reply_to_id",
        "parent_id",
        "replied_to",
        "in_reply_to_status_id",
    ),
    "reply_to_account": (
        "reply_to_account",
        "in_reply_to_account_id",
        "in_reply_to_user_id",
        "reply_to_account_id",
    ),
    "repost_of": (
        "repost_of",
        "retweet_of",
        "reblog_of",
        "retweeted_id",
        "share_of",
        "shared_post_id",
        "retweeted",
        "retweeted_status_id",
    ),
    "quote_of": ("quote_of", "quoted_id", "quote_id", "quoted_post_id", "quoted", "quoted_status_id"),
    "forward_from": ("forward_from", "forward_from_id", "forwarded_from_id"),
    "forward_from_name": ("forward_from_name", "forwarded_from"),
    "media_urls": ("media_urls", "media_url", "media", "attachments", "image_urls"),
    "media_files": ("media_files", "media_paths", "files"),
    "url": ("url", "post_url", "permalink", "link"),
    "followers": ("followers", "followers_count", "user_followers_count", "user_followers", "follower_count"),
    "bio": ("bio", "description", "account_bio", "user_description", "profile_description"),
    "location": ("location", "user_location", "account_location"),
    "statuses_count": (
        "statuses_count",
        "numberstatuses",
        "number_statuses",
        "user_statuses_count",
        "tweet_count",
        "tweets_count",
        "posts_count",
    ),
    "avatar_url": ("avatar_url", "avatar", "profile_image_url"),
    "account_created_at": ("account_created_at", "user_created_at"),
}


def normalise(column: str) -> str:
    """Column names compare case-insensitively, with spaces and dashes read as underscores."""
    return re.sub(r"[\s\-]+", "_", column.strip().lower())


def match_columns(columns: list[str], explicit: dict[str, str]) -> dict[str, str]:
    """Field -> column: the mapping file's choices, then default names, then aliases in order."""
    found = {f: c for f, c in explicit.items() if f in FIELDS}
    taken = set(found.values())
    by_name = {normalise(c): c for c in columns}
    for rank in range(max(len(a) for a in FIELDS.values())):
        for name, aliases in FIELDS.items():
            if name in found or rank >= len(aliases):
                continue
            column = by_name.get(aliases[rank])
            if column is not None and column not in taken:
                found[name] = column
                taken.add(column)
    return found
