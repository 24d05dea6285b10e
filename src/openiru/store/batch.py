"""A batch of records for one transaction, and its rows as the database stores them.

:class:`Batch` gathers the accounts and posts an import reads; :func:`batch_rows` turns
it into plain row tuples (:class:`BatchRows`).  The import builds the rows in its
reading thread or reading process (services/collect/reader.py), so that the writer does
little but run SQL.  :class:`SeenTimes` keeps the authors' first/last-seen times across
batches.  No SQLAlchemy is imported here (the reading process starts without it); only
:meth:`SeenTimes.write` runs SQL, on the connection it is given.

Values are in the form SQLAlchemy itself stores them: JSON as text, and on SQLite
datetimes as UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` (SQLAlchemy's SQLite DATETIME format).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from ..interactions import edge_refs
from ..model import Account, AccountStatus, EdgeKind, Media, Post

if TYPE_CHECKING:  # no SQLAlchemy import here: the import's reading process does without it
    from sqlalchemy import Connection


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return max(a, b)


def _earlier(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def keeps_status(old: Account, new: Account) -> bool:
    """Whether ``old``'s status stands against ``new``'s (SQL twin: ``writer._KEEP_STATUS``).
    "active" (alive on a look-up at ``status_changed_at``) replaces a removal only when the removal
    is known to be earlier; of two "active" the later stays; a removal replaces anything."""
    if new.status == AccountStatus.UNKNOWN:
        return True
    if new.status != AccountStatus.ACTIVE:
        return False
    then, now = old.status_changed_at, new.status_changed_at
    if old.status in (AccountStatus.SUSPENDED, AccountStatus.DELETED):
        return then is None or now is None or then >= now
    return old.status == AccountStatus.ACTIVE and then is not None and (now is None or then > now)


def merge_account(old: Account, new: Account) -> Account:
    """Merge two descriptions of one account: known values win, seen-times widen."""
    for name in ("handle", "display_name", "bio", "avatar", "created_at", "followers"):
        if getattr(new, name) is None:
            setattr(new, name, getattr(old, name))
    new.first_seen = _earlier(old.first_seen, new.first_seen)
    new.last_seen = _later(old.last_seen, new.last_seen)
    if keeps_status(old, new):
        new.status, new.status_changed_at = old.status, old.status_changed_at
    new.metadata = {**old.metadata, **new.metadata}
    return new


def fuller(post: Post, other: Post) -> bool:
    """Whether ``post`` describes more of the same post than ``other`` (see :func:`fullness`)."""
    return fullness(len(post.media), post.text) > fullness(len(other.media), other.text)


def fullness(media: int, text: str | None) -> tuple[int, int]:
    """How complete a description of a post is: its media items, then its text's length.

    An X tweet seen first inside another page's ``includes.tweets`` may come without its
    media objects or with its text cut short; the same tweet met again at the top level
    is the fuller record, and replaces the first (ties keep the record stored first).
    """
    return media, len(text or "")


@dataclass
class Batch:
    """Records gathered for one transaction.

    The author of every post is written with the batch (so no post is ever
    without its account); the times it was seen are kept in ``seen`` as
    ``[first, last]`` rather than as one merged Account per post.
    """

    accounts: dict[tuple[str, str], Account] = field(default_factory=dict)
    posts: list[Post] = field(default_factory=list)
    seen: dict[tuple[str, str], list[datetime]] = field(default_factory=dict)

    def add_account(self, account: Account) -> None:
        k = (account.key.platform, account.key.account_id)
        old = self.accounts.get(k)
        self.accounts[k] = merge_account(old, account) if old else account

    def add_post(self, post: Post) -> None:
        self.posts.append(post)
        k = (post.account.platform, post.account.account_id)
        when = self.seen.get(k)
        if when is None:
            self.seen[k] = [post.timestamp, post.timestamp]
        elif post.timestamp < when[0]:
            when[0] = post.timestamp
        elif post.timestamp > when[1]:
            when[1] = post.timestamp

    def __len__(self) -> int:
        return len(self.posts) + len(self.accounts)


@dataclass
class BatchRows:
    """The rows of one batch, each table's in its column order (see ``writer``).

    ``posts`` holds one description per post key (the fullest, see :func:`fuller`);
    ``links`` and ``edges`` start with the (platform, post id) of their post.  Avatars
    and the media of posts are kept apart so that the media of a post that is not
    written can be left out.
    """

    accounts: list[tuple[Any, ...]] = field(default_factory=list)
    avatars: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    media: dict[str, tuple[Any, ...]] = field(default_factory=dict)
    posts: list[tuple[Any, ...]] = field(default_factory=list)
    links: list[tuple[Any, ...]] = field(default_factory=list)
    edges: list[tuple[Any, ...]] = field(default_factory=list)


def sqlite_time(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy stores it in SQLite (UTC, naive, microseconds)."""
    if value is None:
        return None
    tz = value.tzinfo
    if tz is not UTC and tz is not None:
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]  # "%Y-%m-%d %H:%M:%S.%f", 3x faster than strftime


def keep_time(value: datetime | None) -> datetime | None:
    return value


def _sqlite_text(value: datetime | str | None) -> str | None:
    """A time for SQLite, formatted already (the import's reading process sends the times
    it widened as text) or not."""
    return value if isinstance(value, str) else sqlite_time(value)


def cached_sqlite_time() -> Any:
    """:func:`sqlite_time` remembering what it formatted (for one batch): an aware datetime's
    ``isoformat`` costs ~2.5 us (its UTC offset is formatted, then cut off), and an account's
    first and last seen are the times of its posts in the batch, formatted just before
    (100,000 tweets: 335,000 calls, about half of them repeats).  Equal datetimes are the same
    instant, so they have the same text."""
    cache: dict[datetime, str | None] = {}
    get = cache.get

    def t(value: datetime | None) -> str | None:
        if value is None:
            return None
        text = get(value)
        if text is None:
            text = cache[value] = sqlite_time(value)
        return text

    return t


_KIND = {kind: str(kind) for kind in EdgeKind}


def _json_text(value: Any) -> str | None:
    return orjson.dumps(value).decode() if value else None


def media_tuple(m: Media) -> tuple[Any, ...]:
    return (m.key, m.sha256, m.md5, m.mime, m.size, m.path, m.url, m.pdq, m.pdq_quality, m.missing)


def _account_rows(batch: Batch, t: Any) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = []
    append, accounts, seen = rows.append, batch.accounts, batch.seen
    for k in accounts.keys() | seen.keys():
        a = accounts.get(k)
        when = seen.get(k)
        first, last = (when[0], when[1]) if when else (None, None)
        if a is None:
            append((k[0], k[1], None, None, None, None, None, t(first), t(last), None, "unknown", None, None))
            continue
        append(
            (
                k[0],
                k[1],
                a.handle,
                a.display_name,
                a.bio,
                a.avatar.key if a.avatar else None,
                t(a.created_at),
                t(_earlier(a.first_seen, first)),
                t(_later(a.last_seen, last)),
                a.followers,
                str(a.status),
                t(a.status_changed_at),
                _json_text(a.metadata),
            )
        )
    return rows


def unique_posts(posts: list[Post]) -> list[Post]:
    """One description per post key, in the order the keys first appear: the fullest."""
    chosen: dict[tuple[str, str], Post] = {}
    setdefault = chosen.setdefault
    replaced = False
    for post in posts:
        key = post.key
        held = setdefault((key.platform, key.post_id), post)
        if held is not post and fuller(post, held):
            chosen[(key.platform, key.post_id)] = post
            replaced = True
    if not replaced and len(chosen) == len(posts):
        return posts
    return list(chosen.values())


def batch_rows(batch: Batch, sqlite: bool, times: Any = None) -> BatchRows:
    """The rows of ``batch``: datetimes for SQLite as text (``sqlite``; ``times``: the
    :func:`cached_sqlite_time` to format them with, a new one by default), else as they are."""
    t = (times or cached_sqlite_time()) if sqlite else keep_time
    rows = BatchRows()
    avatars = rows.avatars
    for account in batch.accounts.values():
        avatar = account.avatar
        if avatar is not None:
            avatar_key = avatar.key
            if avatar_key not in avatars:
                avatars[avatar_key] = media_tuple(avatar)
    dumps, media_rows = orjson.dumps, rows.media
    post_append, link_append, edge_append = rows.posts.append, rows.links.append, rows.edges.append
    for post in unique_posts(batch.posts):
        key = post.key
        platform, post_id = key.platform, key.post_id
        author = post.account.account_id
        timestamp = post.timestamp
        when = t(timestamp)
        mentions, reply_to, repost_of, quote_of = post.mentions, post.reply_to, post.repost_of, post.quote_of
        forward_from, forward_from_name = post.forward_from, post.forward_from_name
        # JSON columns inline (as _json_text: NULL when empty): hundreds of thousands a second
        urls, hashtags, meta = post.urls, post.hashtags, post.metadata
        post_append(
            (
                platform,
                post_id,
                author,
                when,
                post.text,
                post.language,
                dumps(urls).decode() if urls else None,
                dumps(hashtags).decode() if hashtags else None,
                dumps([m.account_id or m.handle for m in mentions]).decode() if mentions else None,
                reply_to.post_id if reply_to else None,
                repost_of.post_id if repost_of else None,
                quote_of.post_id if quote_of else None,
                forward_from.account_id if forward_from else None,
                forward_from_name,
                dumps(meta).decode() if meta else None,
                post.raw,
            )
        )
        if post.media:
            for position, m in enumerate(post.media):
                media_key = m.key
                if media_key not in media_rows:
                    media_rows[media_key] = media_tuple(m)
                link_append((platform, post_id, position, media_key))
        if (
            mentions
            or reply_to
            or post.reply_to_account
            or repost_of
            or quote_of
            or forward_from
            or forward_from_name
        ):
            for ref in edge_refs(post):
                edge_append(
                    (
                        platform,
                        post_id,
                        _KIND[ref.kind],
                        ref.target_ref,
                        author,
                        ref.target_platform,
                        ref.target_account_id,
                        when if ref.time is timestamp else t(ref.time),
                    )
                )
    rows.accounts = _account_rows(batch, t)  # after the posts: their authors' times are formatted
    return rows


class SeenTimes:
    """First/last-seen times of the authors of one import, applied in one pass at the end.

    The first batch in which an author appears writes its account row with the times
    known so far, so no post is ever without its account.  Later batches only widen
    the times kept here (:meth:`take`), and :meth:`write` applies the widened ones:
    at the end of the import, or earlier when ``limit`` authors are held (bounded
    memory).  Without this every batch re-upserted most of its authors (profiled:
    a third of the SQL time on X data).
    """

    def __init__(self, limit: int = 500_000) -> None:
        self.limit = limit
        self.times: dict[tuple[str, str], list[Any]] = {}  # key -> [first, last, widened]

    def __len__(self) -> int:
        return len(self.times)

    def take(self, batch: Batch, widened: dict[tuple[str, str], list[Any]] | None = None) -> None:
        """Fold the seen-times of authors already written into this tracker, and drop
        them from the batch unless it writes their account anyway.  With ``widened``,
        the times this batch widens go there, to be applied with the batch, and count
        as applied here."""
        times = self.times
        if not times:
            return
        for k in [k for k in batch.seen if k in times]:
            first, last = batch.seen[k] if k in batch.accounts else batch.seen.pop(k)
            kept = times[k]
            if first < kept[0]:
                kept[0], kept[2] = first, True
            if last > kept[1]:
                kept[1], kept[2] = last, True
            if widened is not None and kept[2]:
                widened[k] = [kept[0], kept[1], True]
                kept[2] = False

    def note(self, batch: Batch) -> None:
        """The batch's authors are written (or will be, by the batch's transaction)."""
        times = self.times
        for k, (first, last) in batch.seen.items():
            if k not in times:
                times[k] = [first, last, False]

    def write(self, conn: Connection) -> int:
        """Apply the widened times; empties the tracker.  Returns the rows updated."""
        t = _sqlite_text if conn.dialect.name == "sqlite" else keep_time
        mark = "?" if conn.dialect.name == "sqlite" else "%s"
        rows = [
            (first, first, last, last, k[0], k[1])
            for k, v in self.times.items()
            if v[2]
            for first, last in ((t(v[0]), t(v[1])),)
        ]
        self.times.clear()
        if not rows:
            return 0
        conn.exec_driver_sql(
            f"UPDATE accounts SET "
            f"first_seen = CASE WHEN first_seen IS NULL OR {mark} < first_seen THEN {mark} ELSE first_seen END, "
            f"last_seen = CASE WHEN last_seen IS NULL OR {mark} > last_seen THEN {mark} ELSE last_seen END "
            f"WHERE platform = {mark} AND account_id = {mark}",
            rows,
        )
        return len(rows)
