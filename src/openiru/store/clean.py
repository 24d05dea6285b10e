"""Records made storable by both databases, one record at a time.

PostgreSQL refuses what SQLite takes: a NUL character in any text (an escaped
``\\u0000`` in a JSON export decodes to one), a value longer than its column, an
integer beyond its column's range.  One such value used to fail its whole batch
(10,000 records) on PostgreSQL, and the re-run failed the same way.  Here each
record is checked in the import's reading loop (``services/collect/reader.py``, in
the importing process or its reading child), before it joins a batch:

* NUL characters are removed from every text of the record (on SQLite too, so that
  both databases store the same thing) and the record is kept, counted as repaired;
* a value that is no key and does not fit its column (a language code longer than
  16 characters, a MIME type longer than 100, a follower count beyond 32 bits, a
  media reference longer than 600 characters) is dropped from the record, which is
  kept, counted as repaired;
* a record whose own platform name is longer than :data:`PLATFORM_MAX_CHARS`, or
  one of whose ids or handles is longer than :data:`ID_MAX_BYTES` in UTF-8, is
  refused with a reason naming the field (reported as a problem, never a batch).

Ids and handles are ``TEXT`` columns (migration ``0007_store_text``): an id of 300
characters (an ActivityPub URL) is stored whole.  The bound of :data:`ID_MAX_BYTES`
keeps every index entry that holds ids (the widest: an edge's platform, post id,
kind and target) under PostgreSQL's B-tree limit of 2,704 bytes.  Whatever is not
foreseen here is caught by the writer's row-by-row retry (``store/retry.py``).

No SQLAlchemy is imported here (the reading child starts without it).
"""

from __future__ import annotations

from dataclasses import replace

from ..model import Account, AccountKey, Media, Mention, Post, PostKey

NUL = "\x00"
#: Platform names: the ``String(100)`` columns of every table that holds one.
PLATFORM_MAX_CHARS = 100
#: Ids and handles, in UTF-8 bytes (TEXT columns; see the module's docstring).
ID_MAX_BYTES = 1000
#: A text of at most this many characters is at most ID_MAX_BYTES in UTF-8 (fast path).
_SHORT = ID_MAX_BYTES // 4
LANGUAGE_MAX_CHARS = 16
MIME_MAX_CHARS = 100
MEDIA_KEY_MAX_CHARS = 600
INT_MAX = 2**31 - 1
BIGINT_MAX = 2**63 - 1

REPAIRED_NUL = "NUL characters removed"
DROPPED_VALUE = "value too long for its column dropped"
DROPPED_MEDIA = "media reference too long dropped"
DROPPED_NUMBER = "number out of range dropped"


def _long_id(value: str | None) -> bool:
    return (
        value is not None
        and len(value) > _SHORT
        and len(value.encode("utf-8", "surrogatepass")) > ID_MAX_BYTES
    )


def _nul(value: str | None) -> str | None:
    return value.replace(NUL, "") if value and NUL in value else value


def _key_problem(field: str, platform: str, *ids: str | None) -> str | None:
    if len(platform) > PLATFORM_MAX_CHARS:
        return f"{field} platform name of {len(platform)} characters (at most {PLATFORM_MAX_CHARS})"
    for value in ids:
        if _long_id(value):
            assert value is not None
            return f"{field} of {len(value.encode('utf-8', 'surrogatepass'))} bytes (at most {ID_MAX_BYTES})"
    return None


def _post_key(key: PostKey | None) -> PostKey | None:
    if key is None or (NUL not in key.platform and NUL not in key.post_id):
        return key
    return PostKey(key.platform.replace(NUL, ""), key.post_id.replace(NUL, ""))


def _account_key(key: AccountKey | None) -> AccountKey | None:
    if key is None or (NUL not in key.platform and NUL not in key.account_id):
        return key
    return AccountKey(key.platform.replace(NUL, ""), key.account_id.replace(NUL, ""))


def _media(items: list[Media], repairs: list[str]) -> list[Media]:
    """The media items that fit, each without NULs (a new list only when one changes)."""
    out: list[Media] = []
    changed = False
    for m in items:
        texts = (m.sha256, m.md5, m.mime, m.path, m.url, m.pdq, m.native_key)
        if any(t and NUL in t for t in texts):
            m = replace(
                m,
                sha256=_nul(m.sha256),
                md5=_nul(m.md5),
                mime=_nul(m.mime),
                path=_nul(m.path),
                url=_nul(m.url),
                pdq=_nul(m.pdq),
                native_key=_nul(m.native_key),
            )
            changed = True
            repairs.append(REPAIRED_NUL)
        if m.mime is not None and len(m.mime) > MIME_MAX_CHARS:
            m = replace(m, mime=None)
            changed = True
            repairs.append(DROPPED_VALUE)
        if not _numbers_fit(m):
            m = replace(
                m,
                size=m.size if m.size is None or -BIGINT_MAX <= m.size <= BIGINT_MAX else None,
                pdq_quality=(
                    m.pdq_quality if m.pdq_quality is None or -INT_MAX <= m.pdq_quality <= INT_MAX else None
                ),
            )
            changed = True
            repairs.append(DROPPED_NUMBER)
        try:
            key = m.key
        except ValueError:
            key = ""
        if (
            len(key) > MEDIA_KEY_MAX_CHARS
            or (m.sha256 or "").__len__() > 64
            or (m.md5 or "").__len__() > 32
            or (m.pdq or "").__len__() > 64
        ):
            changed = True
            repairs.append(DROPPED_MEDIA)
            continue
        out.append(m)
    return out if changed else items


def check_post(post: Post) -> tuple[str | None, list[str]]:
    """Repair ``post`` in place where it can be; returns the reason it is refused (or
    None) and the repairs made (``[]`` for nearly every post).

    Runs for every record read (hundreds of thousands a second): the usual post is
    cleared by one pass over its short texts joined (lengths, NULs) and two NUL
    searches in its text and raw record; only a suspect one goes the long way.
    """
    key, author = post.key, post.account
    ids = key.platform + key.post_id + author.platform + author.account_id
    if (
        (
            len(ids) > PLATFORM_MAX_CHARS
            and max(len(key.platform), len(key.post_id), len(author.platform), len(author.account_id))
            > PLATFORM_MAX_CHARS
        )
        or NUL in ids
        or NUL in post.text
        or NUL in post.raw
    ):
        return _check_post(post)
    if (
        post.mentions
        or post.reply_to
        or post.repost_of
        or post.quote_of
        or post.reply_to_account
        or post.forward_from
        or post.forward_from_name
    ) and not _refs_fit(post):
        return _check_post(post)
    language = post.language
    if (
        (language is None or (len(language) <= LANGUAGE_MAX_CHARS and NUL not in language))
        and (not post.urls or NUL not in "".join(post.urls))
        and (not post.hashtags or NUL not in "".join(post.hashtags))
        and (not post.media or _media_fit(post.media))
    ):
        return None, []
    return _check_post(post)


def _refs_fit(post: Post) -> bool:
    """Whether the post's references are short and free of NULs (the fast path)."""
    short = [post.forward_from_name or ""]
    for ref in (post.reply_to, post.repost_of, post.quote_of):
        if ref is not None:
            short += (ref.platform, ref.post_id)
    for account in (post.reply_to_account, post.forward_from):
        if account is not None:
            short += (account.platform, account.account_id)
    for m in post.mentions:
        short += (m.handle or "", m.account_id or "")
    return max(map(len, short)) <= PLATFORM_MAX_CHARS and NUL not in "".join(short)


def _media_fit(items: list[Media]) -> bool:
    """Whether every media item fits as it is (the fast path of :func:`_media`)."""
    for m in items:
        if (
            NUL in "".join(filter(None, (m.sha256, m.md5, m.mime, m.path, m.url, m.pdq, m.native_key)))
            or len(m.url or m.native_key or m.path or "") > MEDIA_KEY_MAX_CHARS - 10
            or len(m.mime or "") > MIME_MAX_CHARS
            or len(m.sha256 or "") > 64
            or len(m.md5 or "") > 32
            or len(m.pdq or "") > 64
            or not _numbers_fit(m)
        ):
            return False
    return True


def _numbers_fit(m: Media) -> bool:
    return (m.size is None or -BIGINT_MAX <= m.size <= BIGINT_MAX) and (
        m.pdq_quality is None or -INT_MAX <= m.pdq_quality <= INT_MAX
    )


def _check_post(post: Post) -> tuple[str | None, list[str]]:
    key, author = post.key, post.account
    if (
        len(key.post_id) > _SHORT
        or len(author.account_id) > _SHORT
        or len(key.platform) > PLATFORM_MAX_CHARS
        or len(author.platform) > PLATFORM_MAX_CHARS
    ):
        problem = _key_problem("post id", key.platform, key.post_id) or _key_problem(
            "author id", author.platform, author.account_id
        )
        if problem:
            return problem, []
    repairs: list[str] = []
    if (
        NUL in post.text
        or NUL in post.raw
        or NUL in key.platform
        or NUL in key.post_id
        or NUL in author.platform
        or NUL in author.account_id
        or (post.language and NUL in post.language)
        or (post.forward_from_name and NUL in post.forward_from_name)
        or (post.urls and NUL in "".join(post.urls))
        or (post.hashtags and NUL in "".join(post.hashtags))
    ):
        post.key, post.account = _post_key(key), _account_key(author)  # type: ignore[assignment]
        post.text, post.raw = post.text.replace(NUL, ""), post.raw.replace(NUL, "")
        post.language, post.forward_from_name = _nul(post.language), _nul(post.forward_from_name)
        post.urls = [u.replace(NUL, "") for u in post.urls]
        post.hashtags = [h.replace(NUL, "") for h in post.hashtags]
        repairs.append(REPAIRED_NUL)
    if _long_id(post.forward_from_name):
        return _key_problem("forward_from_name", "", post.forward_from_name), repairs
    if post.language is not None and len(post.language) > LANGUAGE_MAX_CHARS:
        post.language = None
        repairs.append(DROPPED_VALUE)
    if (
        post.mentions
        or post.reply_to
        or post.reply_to_account
        or post.repost_of
        or post.quote_of
        or post.forward_from
    ):
        problem = _check_refs(post, repairs)
        if problem:
            return problem, repairs
    if post.media:
        post.media = _media(post.media, repairs)
    return None, repairs


def _check_refs(post: Post, repairs: list[str]) -> str | None:
    """The post's references to other posts and accounts: NULs removed, lengths bound."""
    refs: list[PostKey | AccountKey | None] = [
        post.reply_to,
        post.reply_to_account,
        post.repost_of,
        post.quote_of,
        post.forward_from,
    ]
    for name, ref in zip(
        ("reply_to", "reply_to_account", "repost_of", "quote_of", "forward_from"), refs, strict=True
    ):
        if ref is None:
            continue
        problem = _key_problem(
            name, ref.platform, ref.post_id if isinstance(ref, PostKey) else ref.account_id
        )
        if problem:
            return problem
    if any(
        ref is not None
        and (NUL in ref.platform or NUL in (ref.post_id if isinstance(ref, PostKey) else ref.account_id))
        for ref in refs
    ):
        post.reply_to, post.repost_of, post.quote_of = (
            _post_key(post.reply_to),
            _post_key(post.repost_of),
            _post_key(post.quote_of),
        )
        post.reply_to_account, post.forward_from = (
            _account_key(post.reply_to_account),
            _account_key(post.forward_from),
        )
        if REPAIRED_NUL not in repairs:
            repairs.append(REPAIRED_NUL)
    if post.mentions:
        for m in post.mentions:
            if _long_id(m.handle) or _long_id(m.account_id):
                return _key_problem("mention", "", m.handle, m.account_id)
        if any(
            (m.handle and NUL in m.handle) or (m.account_id and NUL in m.account_id) for m in post.mentions
        ):
            post.mentions = [Mention(_nul(m.handle), _nul(m.account_id)) for m in post.mentions]
            if REPAIRED_NUL not in repairs:
                repairs.append(REPAIRED_NUL)
    return None


def check_account(account: Account) -> tuple[str | None, list[str]]:
    """As :func:`check_post`, for an account record."""
    key, handle = account.key, account.handle
    if (
        len(key.platform) <= PLATFORM_MAX_CHARS
        and len(key.account_id) <= _SHORT
        and (handle is None or len(handle) <= _SHORT)
        and NUL
        not in "".join(
            filter(None, (key.platform, key.account_id, handle, account.display_name, account.bio))
        )
        and (account.followers is None or -INT_MAX <= account.followers <= INT_MAX)
        and (account.avatar is None or _media_fit([account.avatar]))
    ):
        return None, []
    problem = _key_problem("account id", key.platform, key.account_id) or _key_problem(
        "handle", "", account.handle
    )
    if problem:
        return problem, []
    repairs: list[str] = []
    texts = (key.platform, key.account_id, account.handle, account.display_name, account.bio)
    if any(t and NUL in t for t in texts):
        account.key = _account_key(key)  # type: ignore[assignment]
        account.handle, account.display_name, account.bio = (
            _nul(account.handle),
            _nul(account.display_name),
            _nul(account.bio),
        )
        repairs.append(REPAIRED_NUL)
    if account.followers is not None and not -INT_MAX <= account.followers <= INT_MAX:
        account.followers = None
        repairs.append(DROPPED_NUMBER)
    if account.avatar is not None:
        kept = _media([account.avatar], repairs)
        account.avatar = kept[0] if kept else None
    return None, repairs


def describe(record: Post | Account) -> str:
    """The record as a problem's location: its kind and key, long ids cut short."""
    if isinstance(record, Post):
        kind, platform, ident = "post", record.key.platform, record.key.post_id
    else:
        kind, platform, ident = "account", record.key.platform, record.key.account_id
    cut = lambda s: s if len(s) <= 60 else s[:57] + "..."  # noqa: E731
    return f"{kind} {cut(platform.replace(NUL, ''))}/{cut(ident.replace(NUL, ''))}"
