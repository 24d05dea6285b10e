"""X/Twitter API v2 JSONL as twarc2 writes it.

Three line shapes are read, in any mix:

* a response page ``{"data": [...], "includes": {"users", "tweets", "media",
  "places"}, "meta", "__twarc"}`` (``twarc2 search``, ``timeline``...),
* a streaming line, the same with ``data`` a single tweet object
  (``twarc2 stream``, with ``matching_rules``),
* one flattened tweet per line (``twarc2 flatten``): the includes are merged
  into the tweet (``author``, ``in_reply_to_user``, ``attachments.media``,
  mentions merged with their user objects, and each ``referenced_tweets[]``
  entry merged with the referenced tweet; a nested ``tweet`` object is read too).

A tweet seen only inside ``includes.tweets`` (or embedded in a flattened
tweet) is a post of its own, and its author an account.  A user page (data
items that are user objects, ``twarc2 users``) yields accounts, active at the
page's ``__twarc.retrieved_at`` (the look-up returned them).  A broken or
truncated line is a :class:`Problem` naming the file and line.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from ..model import (
    Account,
    AccountKey,
    AccountStatus,
    Media,
    Mention,
    Post,
    PostKey,
    parse_time,
    utc,
    utc_from_timestamp,
)
from .base import MALFORMED, Problem, Record, Source
from .jsonguard import BOM
from .jsonio import iter_json_lines

#: X's snowflake epoch (ms): ``(id >> 22) + TWEPOCH`` is the creation time in ms.
TWEPOCH_MS = 1288834974657
#: ``lang`` values X uses for "no linguistic content" / undetermined.
NO_LANGUAGE = frozenset({"und", "zxx", "qme", "qht", "qst", "qam", "qct"})
_REF_FIELDS = {"retweeted": "repost_of", "quoted": "quote_of", "replied_to": "reply_to"}
#: The longest first line ``sniff`` reads to recognise a response page.
MAX_SNIFF_LINE = 64 << 20
#: User objects remembered to skip repeats (see ``_account``).
USER_CACHE = 200_000
_MEDIA_MIME = {"photo": "image/jpeg", "video": "video/mp4", "animated_gif": "video/mp4"}


#: Read buffer of the JSONL reader: a twarc2 page is a ~130 KB line, which the default
#: 8 KiB buffer reads in ~16 system calls, each releasing the GIL to the writer thread.
READ_BUFFER = 4 << 20


def snowflake_time(tweet_id: str) -> datetime:
    """The creation time encoded in a snowflake id."""
    return utc_from_timestamp(((int(tweet_id) >> 22) + TWEPOCH_MS) / 1000.0)


def iso_time(value: Any) -> datetime:
    """An X ``created_at`` ("2024-03-01T10:00:00.000Z") as aware UTC; other forms via parse_time."""
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)  # Python 3.11 reads the "Z" suffix
        except ValueError:
            return parse_time(value)
        if parsed.tzinfo is UTC:
            return parsed
        return utc(parsed)
    return parse_time(value)


def _is_tweet(obj: Any) -> bool:
    return isinstance(obj, dict) and "id" in obj and ("text" in obj or "author_id" in obj)


def _is_user(obj: Any) -> bool:
    return isinstance(obj, dict) and "id" in obj and "username" in obj and "text" not in obj


class TwitterV2Source(Source):
    """twarc2 JSONL: response pages, streaming lines or flattened tweets."""

    name = "twarc2"
    default_platform = "x"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        if path.is_dir() or not head:
            return 0.0
        if b"\n" not in head.lstrip():
            # a response page is often longer than the head: read its first line whole
            with open(path, "rb") as fh:
                head = fh.readline(MAX_SNIFF_LINE).removeprefix(BOM)
        for line in head.split(b"\n")[:20]:
            line = line.strip()
            if not line:
                continue
            try:
                obj = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue  # the head may cut the line, or the line is broken: try the next
            if not isinstance(obj, dict):
                return 0.0
            if "__twarc" in obj:
                return 0.95
            data = obj.get("data")
            if isinstance(data, dict):
                data = [data]
            if isinstance(data, list) and data and all(_is_tweet(t) or _is_user(t) for t in data[:5]):
                if "includes" in obj or "meta" in obj or "matching_rules" in obj:
                    return 0.9
            if (
                _is_tweet(obj)
                and "author_id" in obj
                and "account" not in obj
                and "content" not in obj
                and "msg" not in obj
            ):
                return 0.85
            return 0.0
        return 0.1 if b'"__twarc"' in head else 0.0

    # -- reading --------------------------------------------------------------------------

    def records(self) -> Iterator[Record]:
        file = str(self.path)
        self._users: dict[str, dict[str, Any]] = {}
        self._account_keys: dict[str, AccountKey] = {}
        for item in iter_json_lines(self.path, READ_BUFFER):
            if isinstance(item, Problem):
                yield item
                continue
            location, obj = item
            try:
                if not isinstance(obj, dict):
                    yield Problem(
                        file, location, f"not a tweet or response page: a JSON {type(obj).__name__}"
                    )
                elif "data" in obj or "includes" in obj or "meta" in obj or "errors" in obj:
                    yield from self._page(obj, location)
                elif _is_tweet(obj):
                    yield from self._flattened(obj, location)
                elif _is_user(obj):
                    yield from self._account(obj, location)
                else:
                    yield Problem(file, location, "not a tweet or response page: no data, id or text")
            except MALFORMED as exc:  # a field of the wrong type: the rest of this line is lost
                yield Problem(file, location, f"malformed line: {exc.__class__.__name__}: {exc}")

    def _page(self, page: dict[str, Any], location: str) -> Iterator[Record]:
        includes = page.get("includes") or {}
        if not isinstance(includes, dict):
            yield Problem(str(self.path), location, "invalid includes: not an object")
            includes = {}
        media: dict[str, Any] = {
            str(m.get("media_key")): m for m in includes.get("media") or () if isinstance(m, dict)
        }
        users = self._users
        for index, user in enumerate(includes.get("users") or ()):
            if isinstance(user, dict) and users.get(str(user.get("id"))) == user:
                continue  # the same object as last yielded for this id (see _account)
            yield from self._account(user, f"{location}: includes.users[{index}]")
        data = page.get("data")
        if data is None:
            data = []
        elif isinstance(data, dict):
            data = [data]
        elif not isinstance(data, list):
            yield Problem(str(self.path), location, "invalid data: neither a list nor an object")
            data = []
        seen: set[str] = set()
        platform, account_keys = self.platform, self._account_keys
        for index, obj in enumerate(data):
            if _is_user(obj):
                yield from self._account(obj, f"{location}: data[{index}]", _retrieved_at(page))
                continue
            # the common case inline; the location string is built only for a problem
            if isinstance(obj, dict):
                try:
                    post = tweet_post(obj, platform, media, account_keys)
                except MALFORMED:
                    yield self._post(obj, media, f"{location}: data[{index}]")
                    continue
                seen.add(post.key.post_id)
                yield post
            else:
                yield self._post(obj, media, f"{location}: data[{index}]")
        yield from self._unavailable_users(page)
        for index, obj in enumerate(includes.get("tweets") or ()):
            if isinstance(obj, dict):
                if str(obj.get("id")) in seen:
                    continue
                try:
                    included: Post | None = tweet_post(obj, platform, media, account_keys)
                except MALFORMED:
                    included = None
                if included is not None:
                    yield included
                    continue
            yield self._post(obj, media, f"{location}: includes.tweets[{index}]")

    def _flattened(self, tweet: dict[str, Any], location: str) -> Iterator[Record]:
        """A flattened tweet: its embedded users and referenced tweets are records too."""
        for key in ("author", "in_reply_to_user"):
            user = tweet.get(key)
            if isinstance(user, dict) and user.get("id"):
                yield from self._account(user, f"{location}: {key}")
        entities = tweet.get("entities")
        mentions = entities.get("mentions") if isinstance(entities, dict) else None
        for index, user in enumerate(mentions if isinstance(mentions, list) else ()):
            if isinstance(user, dict) and user.get("id") and ("name" in user or "created_at" in user):
                yield from self._account(user, f"{location}: entities.mentions[{index}]")
        refs = tweet.get("referenced_tweets")
        for index, ref in enumerate(refs if isinstance(refs, list) else ()):
            embedded = _embedded_tweet(ref)
            if embedded is not None:
                yield from self._flattened(embedded, f"{location}: referenced_tweets[{index}]")
        yield self._post(tweet, None, location)

    # -- conversion -----------------------------------------------------------------------

    def _account(self, user: Any, location: str, alive_at: datetime | None = None) -> Iterator[Record]:
        """An account from a user object; ``alive_at``: the time of the look-up page (a users
        look-up, followers...) that returned it, so the account is recorded active then (a
        suspended or deleted account is not returned, see :meth:`_unavailable_users`)."""
        if not isinstance(user, dict) or not user.get("id"):
            yield Problem(str(self.path), location, "invalid user: no id")
            return
        # Every page repeats the user objects it references: an object identical to the one
        # last yielded for that id adds nothing (bounded memory: the cache is reset when full).
        user_id = str(user["id"])
        if alive_at is None and self._users.get(user_id) == user:
            return
        try:
            account = user_account(user, self.platform)
        except MALFORMED as exc:
            yield Problem(str(self.path), location, f"invalid user: {exc}")
            return
        if alive_at is not None:
            account.status, account.status_changed_at = AccountStatus.ACTIVE, alive_at
        if len(self._users) >= USER_CACHE:
            self._users.clear()
        self._users[user_id] = user
        yield account

    def _unavailable_users(self, page: dict[str, Any]) -> Iterator[Record]:
        """Accounts a users look-up (``twarc2 users``, ``twarc2 user ...``) reports suspended or
        deleted, in the page's ``errors``: ``{"resource_type": "user", "parameter": "ids",
        "resource_id": "123", "title": "Forbidden", "detail": "User has been suspended: [123]."}``
        (``"Not Found Error"``: deleted).  Only errors that name the account by id are used (a
        username alone cannot be matched to an account id).  The look-up says *that* the account
        is gone, not *when* it went: ``status_changed_at`` stays unknown (analytics then take the
        account's last activity), and the look-up's time (twarc's ``__twarc.retrieved_at``) is
        kept as ``metadata["status_checked_at"]``."""
        errors = page.get("errors")
        if not isinstance(errors, list):
            return
        twarc = page.get("__twarc")
        retrieved = twarc.get("retrieved_at") if isinstance(twarc, dict) else None
        meta = {"status_checked_at": retrieved} if isinstance(retrieved, str) else {}
        for error in errors:
            if (
                not isinstance(error, dict)
                or error.get("resource_type") != "user"
                or error.get("parameter") not in ("ids", "id", "user_id")
            ):
                continue
            user_id = error.get("resource_id") or error.get("value")
            text = f"{error.get('title', '')} {error.get('detail', '')}".lower()
            status = (
                AccountStatus.SUSPENDED
                if "suspended" in text
                else AccountStatus.DELETED
                if "not found" in text or "could not find" in text
                else None
            )
            if user_id and status is not None:
                yield Account(AccountKey(self.platform, str(user_id)), status=status, metadata=dict(meta))

    def _post(self, tweet: Any, media: dict[str, Any] | None, location: str) -> Post | Problem:
        if not isinstance(tweet, dict):
            return Problem(str(self.path), location, "invalid tweet: not an object")
        try:
            return tweet_post(tweet, self.platform, media, self._account_keys)
        except MALFORMED as exc:
            return Problem(str(self.path), location, f"invalid tweet: {exc}")


def _retrieved_at(page: dict[str, Any]) -> datetime | None:
    """When twarc fetched the page (``__twarc.retrieved_at``), or None if it does not say."""
    twarc = page.get("__twarc")
    retrieved = twarc.get("retrieved_at") if isinstance(twarc, dict) else None
    try:
        return iso_time(retrieved) if isinstance(retrieved, str) else None
    except ValueError:
        return None


def _embedded_tweet(ref: Any) -> dict[str, Any] | None:
    """The referenced tweet a flattened ``referenced_tweets[]`` entry carries, if any."""
    if not isinstance(ref, dict):
        return None
    nested = ref.get("tweet")
    if isinstance(nested, dict) and nested.get("id"):
        return nested
    if "text" in ref or "author_id" in ref:  # twarc merges the tweet into the entry
        return {k: v for k, v in ref.items() if k != "type"}
    return None


def user_account(user: dict[str, Any], platform: str) -> Account:
    """An Account from an X v2 user object."""
    metrics = user.get("public_metrics") or {}
    avatar_url = user.get("profile_image_url")
    created = user.get("created_at")
    meta: dict[str, Any] = {
        k: user[k] for k in ("location", "verified", "protected", "url", "withheld") if k in user
    }
    return Account(
        AccountKey(platform, str(user["id"])),
        handle=user.get("username"),
        display_name=user.get("name"),
        bio=user.get("description"),
        avatar=Media(url=avatar_url, native_key=f"x:avatar:{user['id']}") if avatar_url else None,
        created_at=iso_time(created) if created else None,
        followers=metrics.get("followers_count") if isinstance(metrics, dict) else None,
        metadata=meta,
    )


def _media_item(key: str, obj: Any) -> Media:
    if not isinstance(obj, dict) or not obj:
        return Media(native_key=f"x:{key}", missing=True)
    url = obj.get("url") or obj.get("preview_image_url")
    return Media(
        url=url, native_key=f"x:{key}", mime=_MEDIA_MIME.get(obj.get("type", "")), missing=url is None
    )


def tweet_post(
    tweet: dict[str, Any],
    platform: str,
    media: dict[str, Any] | None,
    account_keys: dict[str, AccountKey] | None = None,
) -> Post:
    """A Post from an X v2 tweet object; ``media`` maps media keys to ``includes.media``
    (``None`` for a flattened tweet, whose media objects are in ``attachments.media``).
    ``account_keys`` (optional) caches the AccountKey of each author id: the same
    authors recur page after page, and a frozen dataclass costs ~1 µs to build."""
    get = tweet.get
    tweet_id = str(tweet["id"])
    author_id = get("author_id") or (get("author") or {}).get("id")
    if not author_id:
        raise ValueError(f"tweet {tweet_id} has no author_id")
    author_id = str(author_id)
    if account_keys is None:
        author = AccountKey(platform, author_id)
    else:
        author = account_keys.get(author_id)  # type: ignore[assignment]
        if author is None:
            if len(account_keys) >= USER_CACHE:
                account_keys.clear()
            author = account_keys[author_id] = AccountKey(platform, author_id)
    created = get("created_at")
    timestamp = iso_time(created) if created else snowflake_time(tweet_id)
    note = get("note_tweet")
    if note is not None and not isinstance(note, dict):
        note = None
    text = note["text"] if note and note.get("text") else get("text") or ""
    if "&" in text:
        text = html.unescape(text)  # X escapes &, < and > in tweet text
    lang = get("lang")
    post = Post(
        PostKey(platform, tweet_id),
        author,
        timestamp,
        text,
        lang if lang and lang not in NO_LANGUAGE else None,
        raw=orjson.dumps(tweet).decode(),
    )
    conversation = get("conversation_id")
    if conversation:
        post.metadata["conversation_id"] = str(conversation)
    refs = get("referenced_tweets")
    if refs:
        for ref in refs:
            field = _REF_FIELDS.get(ref.get("type", ""))
            if field and ref.get("id"):
                setattr(post, field, PostKey(platform, str(ref["id"])))
    reply_user = get("in_reply_to_user_id")
    if reply_user:
        post.reply_to_account = AccountKey(platform, str(reply_user))
    entities = (note.get("entities") if note else None) or get("entities")
    if entities:
        mentions = entities.get("mentions")
        if mentions:
            post.mentions = _mentions(mentions, text if post.repost_of else None)
        hashtags = entities.get("hashtags")
        if hashtags:
            post.hashtags = [h["tag"] for h in hashtags if h.get("tag")]
        urls = entities.get("urls")
        if urls:
            post.urls = [
                u.get("expanded_url") or u["url"]
                for u in urls
                if not u.get("media_key") and (u.get("expanded_url") or u.get("url"))
            ]
    attachments = get("attachments")
    keys = attachments.get("media_keys") if attachments else None
    if keys:
        if media is None:
            objs = attachments.get("media") or []  # type: ignore[union-attr]
            post.media = [_media_item(k, objs[i] if i < len(objs) else None) for i, k in enumerate(keys)]
        else:
            post.media = [_media_item(k, media.get(k)) for k in keys]
    return post


def _mentions(items: Any, retweet_text: str | None) -> list[Mention]:
    """Mentions by id (and handle); for a retweet, without the "RT @user:" of the retweeted author."""
    skip = None
    if retweet_text and retweet_text.startswith("RT @"):
        skip = retweet_text[4:].split(":", 1)[0].strip().lower()
    out: list[Mention] = []
    for m in items:
        handle = m.get("username")
        if skip is not None and handle and handle.lower() == skip:
            skip = None
            continue
        account_id = m.get("id")
        if handle or account_id:
            out.append(Mention(handle=handle, account_id=str(account_id) if account_id else None))
    return out
