"""Interaction edges derived from a post.

Pure functions over the domain model.  A target the post names only
indirectly is kept as a reference to resolve once the rest of the data is in:

* ``post:<id>``: the author of that post (reposts, quotes, replies without an
  account id),
* ``handle:<name>``: the account with that handle on the same platform (mentions, and
  reposts known only from their text, ``metadata["repost_of_handle"]``),
* ``name:<display name>``: the account with that display name (Telegram's
  ``forwarded_from`` is a display name, not an id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from .model import EdgeKind, Post


@dataclass(frozen=True, slots=True)
class EdgeRef:
    kind: EdgeKind
    target_ref: str
    target_platform: str
    target_account_id: str | None
    time: datetime


def edge_refs(post: Post) -> list[EdgeRef]:
    """The edges a post creates, de-duplicated by (kind, target)."""
    platform = post.key.platform
    found: dict[tuple[EdgeKind, str], EdgeRef] = {}

    def add(kind: EdgeKind, ref: str, account_id: str | None, target_platform: str = platform) -> None:
        found.setdefault((kind, ref), EdgeRef(kind, ref, target_platform, account_id, post.timestamp))

    for mention in post.mentions:
        if mention.account_id:
            add(EdgeKind.MENTION, mention.account_id, mention.account_id)
        elif mention.handle:
            add(EdgeKind.MENTION, "handle:" + mention.handle.lstrip("@").lower(), None)
    if post.reply_to_account is not None:
        add(
            EdgeKind.REPLY,
            post.reply_to_account.account_id,
            post.reply_to_account.account_id,
            post.reply_to_account.platform,
        )
    elif post.reply_to is not None:
        add(EdgeKind.REPLY, "post:" + post.reply_to.post_id, None, post.reply_to.platform)
    if post.repost_of is not None:
        by_handle = post.metadata.get("repost_of_handle") if post.metadata else None
        if by_handle:  # a repost known only from its text ("RT @user: ..."): its author by handle
            add(EdgeKind.REPOST, "handle:" + str(by_handle).lstrip("@").lower(), None)
        else:
            add(EdgeKind.REPOST, "post:" + post.repost_of.post_id, None, post.repost_of.platform)
    if post.quote_of is not None:
        add(EdgeKind.QUOTE, "post:" + post.quote_of.post_id, None, post.quote_of.platform)
    if post.forward_from is not None:
        add(
            EdgeKind.FORWARD,
            post.forward_from.account_id,
            post.forward_from.account_id,
            post.forward_from.platform,
        )
    elif post.forward_from_name:
        add(EdgeKind.FORWARD, "name:" + post.forward_from_name, None)
    return list(found.values())
