"""ActivityPub outbox: an OrderedCollection of Create and Announce activities.

Accepted inputs:

* an outbox file with ``orderedItems`` (Mastodon's account archive ``outbox.json``),
* an outbox whose ``first`` is an embedded ``OrderedCollectionPage``; ``next``
  pages are followed when embedded, or when a sibling ``*.json`` file in the same
  folder has that page's ``id``,
* a folder holding ``outbox.json`` (and optionally ``actor.json`` for the
  account's name, summary and icon), as in a Mastodon archive.

``Create`` of a Note (or Article, Page, Question...) becomes a post keyed by the
object ``id``; ``Announce`` becomes a post keyed by the activity ``id`` whose
``repost_of`` is the announced object.  Account ids are actor URIs exactly as
given.  Other activities (Like, Follow, Delete...) are counted as skipped.
Items are streamed one at a time with ijson.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import ijson
import orjson

from ..model import Account, AccountKey, Media, Mention, Post, PostKey, parse_time
from .base import MALFORMED, Problem, Record, Source
from .html import html_to_text
from .jsonguard import BOM, GuardedFile
from .jsonio import first_non_space, read_head
from .media import PathRefused, hash_confined, missing_media

#: ``orderedItems`` (or ``items``) of the collection itself, of ``first``, or of an embedded
#: ``next`` page at any depth.
_ITEMS_RE = re.compile(r"^(?:(?:first|next)(?:\.next)*\.)?(?:orderedItems|items)\.item$")
#: A page reference: ``first`` or ``next`` given as a URL (or an embedded page's ``id``).
_PAGE_REF_RE = re.compile(r"^(?:first|next)(?:\.next)*$")
_PAGE_ID_RE = re.compile(r"^(?:(?:first|next)(?:\.next)*\.)?id$")

#: ``actor.json`` is read whole: a larger one is reported (an actor is a few KB).
MAX_ACTOR_FILE = 16 << 20

POST_OBJECT_TYPES = frozenset({"Note", "Article", "Page", "Question", "Video", "Image", "Audio", "Event"})


class ActivityPubOutboxSource(Source):
    """An ActivityPub outbox (OrderedCollection with pages) or a folder holding outbox.json."""

    name = "activitypub"
    default_platform = "activitypub"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            outbox = path / "outbox.json"
            if outbox.is_file() and b"OrderedCollection" in read_head(outbox, 4096, line_limit=0):
                return 0.85
            return 0.0
        if first_non_space(head) != b"{":
            return 0.0
        if b'"OrderedCollection' in head and (
            b'"orderedItems"' in head or b'"first"' in head or b'"items"' in head
        ):
            return 0.9
        return 0.0

    def records(self) -> Iterator[Record]:
        outbox = self.path / "outbox.json" if self.path.is_dir() else self.path
        self._root = outbox.parent
        self._actors: dict[str, Account] = {}
        actor_file = outbox.parent / "actor.json"
        if actor_file.is_file():
            try:
                if actor_file.stat().st_size > MAX_ACTOR_FILE:
                    raise ValueError(f"larger than {MAX_ACTOR_FILE} bytes")
                actor = orjson.loads(actor_file.read_bytes().removeprefix(BOM))
                account = actor_account(self.platform, actor)
                if account is not None:
                    self._actors[account.key.account_id] = account
                    yield account
            except orjson.JSONDecodeError as exc:
                yield Problem(str(actor_file), "$", f"invalid JSON: {exc}")
            except MALFORMED as exc:  # a wrong-type field: the outbox is still read
                yield Problem(str(actor_file), "$", f"malformed actor: {exc}")
        visited: set[str] = set()
        pending: list[Path] = [outbox]
        page_files: dict[str, Path] | None = None
        while pending:
            current = pending.pop(0)
            if str(current) in visited:
                continue
            visited.add(str(current))
            refs: list[str] = []
            ids: set[str] = set()
            yield from self._page_file(current, refs, ids)
            wanted = [r for r in refs if r not in ids]
            if wanted:
                if page_files is None:
                    page_files = _sibling_pages(outbox.parent)
                for ref in wanted:
                    if ref in page_files:
                        pending.append(page_files[ref])
                    elif ref not in ids:
                        yield Problem(str(current), "next", f"page not available: {ref}", kind="skipped")

    def _page_file(self, path: Path, refs: list[str], ids: set[str]) -> Iterator[Record]:
        """Stream the items of one file; collect page references and embedded page ids."""
        index = 0
        try:
            with open(path, "rb") as raw:
                fh = GuardedFile(raw)  # damaged text or deep nesting: that item only, see jsonguard
                for kind, prefix, value in _walk(fh):
                    if kind == "ref":
                        refs.append(value)
                    elif kind == "id":
                        ids.add(value)
                    else:
                        location = f"{prefix.replace('.item', '')}[{index}]"
                        index += 1
                        damage = fh.claim(value) if fh.pending else None
                        if damage:
                            yield Problem(str(path), location, damage)
                        else:
                            yield from self._item(path, location, value)
                outside = fh.unclaimed()
                if outside:
                    yield Problem(str(path), "$", f"outside any item: {outside}")
        except ijson.JSONError as exc:
            yield Problem(str(path), f"after item {index}", f"invalid JSON: {exc}")

    def _item(self, path: Path, location: str, item: Any) -> Iterator[Record]:
        if not isinstance(item, dict):
            yield Problem(str(path), location, "item is a reference, not an activity", kind="skipped")
            return
        kind = item.get("type")
        try:
            if kind == "Create":
                built = self._create(item)
            elif kind == "Announce":
                built = self._announce(item)
            elif kind in POST_OBJECT_TYPES:
                built = self._object(item, None)
            else:
                yield Problem(str(path), location, f"not a post activity: {kind}", kind="skipped")
                return
        except MALFORMED as exc:
            reason = f"missing field {exc.args[0]}" if isinstance(exc, KeyError) else str(exc)
            yield Problem(str(path), location, f"malformed activity: {reason}")
            return
        for record in built:  # a refused attachment path: a problem, the post still imported
            yield (
                Problem(str(path), f"{location}.{record.location}", record.reason)
                if isinstance(record, Problem)
                else record
            )

    def _account(self, actor: Any) -> Account:
        account = actor_account(self.platform, actor)
        if account is None:
            raise KeyError("actor")
        known = self._actors.get(account.key.account_id)
        return known if known is not None and not isinstance(actor, dict) else account

    def _create(self, activity: dict[str, Any]) -> list[Record]:
        obj = activity.get("object")
        if not isinstance(obj, dict):
            raise KeyError("object")
        if obj.get("type") not in POST_OBJECT_TYPES:
            raise ValueError(f"Create of an unsupported object type {obj.get('type')!r}")
        return self._object(obj, activity)

    def _object(self, obj: dict[str, Any], activity: dict[str, Any] | None) -> list[Record]:
        author = obj.get("attributedTo") or (activity or {}).get("actor")
        account = self._account(author)
        post = note_post(self.platform, obj, account.key, activity)
        refused: list[Record] = []
        for position, item in enumerate(post.media):
            if item.url and not item.url.lower().startswith(("http://", "https://")):
                # An account archive keeps attachments as files beside outbox.json, named by a
                # path relative to the archive root ("/media_attachments/..."): hash the file
                # (or record it as missing).  A path leading out of the archive is refused.
                try:
                    local = hash_confined(self._root, item.url.lstrip("/"), self.boundary)
                except PathRefused as exc:
                    local = missing_media(item.url)
                    refused.append(Problem("", f"attachment[{position}]", f"media path refused: {exc}"))
                local.mime = local.mime or item.mime
                post.media[position] = local
        return [account, post, *refused]

    def _announce(self, activity: dict[str, Any]) -> list[Record]:
        if not activity.get("id"):
            raise KeyError("id")
        target = activity.get("object")
        target_id = first_id(target)
        if not target_id:
            raise KeyError("object")
        records: list[Record] = []
        if (
            isinstance(target, dict)
            and target.get("type") in POST_OBJECT_TYPES
            and target.get("attributedTo")
        ):
            records = self._object(target, None)
        account = self._account(activity.get("actor"))
        published = activity.get("published")
        if not published:
            raise KeyError("published")
        post = note_post(
            self.platform,
            {
                "id": activity["id"],
                "published": published,
                "to": activity.get("to"),
                "cc": activity.get("cc"),
            },
            account.key,
            None,
        )
        post.repost_of = PostKey(self.platform, target_id)
        post.raw = orjson.dumps(activity).decode()
        post.metadata["activity_type"] = "Announce"
        return [*records, account, post]


def _walk(fh: Any) -> Iterator[tuple[str, str, Any]]:
    """``("item", prefix, obj)`` for each collection item, ``("ref", prefix, url)`` for page
    references and ``("id", prefix, id)`` for ids of the collection and embedded pages."""
    builder: ijson.ObjectBuilder | None = None
    depth = 0
    item_prefix = ""
    for prefix, event, value in ijson.parse(fh, use_float=True):
        if builder is not None:
            builder.event(event, value)
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
            if depth == 0:
                yield "item", item_prefix, builder.value
                builder = None
            continue
        if _ITEMS_RE.match(prefix):
            if event in ("start_map", "start_array"):
                builder, depth, item_prefix = ijson.ObjectBuilder(), 1, prefix
                builder.event(event, value)
            elif event in ("string", "number"):
                yield "item", prefix, value
        elif event == "string" and _PAGE_REF_RE.match(prefix):
            yield "ref", prefix, value
        elif event == "string" and _PAGE_ID_RE.match(prefix):
            yield "id", prefix, value


def _sibling_pages(folder: Path) -> dict[str, Path]:
    """Page id -> file, for the JSON files in the outbox's folder (reads only up to each ``id``)."""
    found: dict[str, Path] = {}
    for candidate in sorted(folder.glob("*.json")):
        try:
            with open(candidate, "rb") as raw:
                for prefix, event, value in ijson.parse(GuardedFile(raw)):
                    if prefix == "id" and event == "string":
                        found.setdefault(value, candidate)
                        break
                    if prefix in ("orderedItems", "items") and event == "start_array":
                        break  # Mastodon writes "id" before the items; do not read a whole page
        except (ijson.JSONError, OSError):
            continue
    return found


# -- ActivityStreams objects to the domain model -------------------------------------------

_ACTOR_PATH_RE = re.compile(r"^/(?:users|u|accounts|profile|actor|channel|c)/([^/?#]+)/?$|^/@([^/?#]+)/?$")
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def first_id(value: Any) -> str | None:
    """The id a property names: a URI string, an object's ``id`` (or ``href``), or the first of a list."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        found = value.get("id") or value.get("href")
        return found if isinstance(found, str) and found else None
    if isinstance(value, list):
        for entry in value:
            found = first_id(entry)
            if found:
                return found
    return None


def _link(value: Any) -> str | None:
    """A URL from ``url`` (string, Link object with ``href``, or a list of either)."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, dict):
        found = value.get("href") or value.get("url")
        return found if isinstance(found, str) else _link(found)
    if isinstance(value, list):
        for entry in value:
            found = _link(entry)
            if found:
                return found
    return None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def handle_from_uri(uri: str) -> str | None:
    """``name@host`` for actor URIs in the common server layouts (``/users/name``, ``/@name``...)."""
    parsed = urlparse(uri)
    match = _ACTOR_PATH_RE.match(parsed.path or "")
    if not match or not parsed.hostname:
        return None
    return f"{match.group(1) or match.group(2)}@{parsed.hostname}"


def actor_account(platform: str, actor: Any) -> Account | None:
    """An account keyed by the actor URI exactly as given; richer when the actor is embedded."""
    uri = first_id(actor)
    if not uri:
        return None
    host = urlparse(uri).hostname
    meta: dict[str, Any] = {"host": host} if host else {}
    account = Account(AccountKey(platform, uri), handle=handle_from_uri(uri), metadata=meta)
    if isinstance(actor, dict):
        if actor.get("preferredUsername") and host:
            account.handle = f"{actor['preferredUsername']}@{host}"
        account.display_name = actor.get("name") or None
        account.bio = html_to_text(actor.get("summary")).text or None if actor.get("summary") else None
        icon = _link(actor.get("icon"))
        account.avatar = Media(url=icon) if icon else None
        if actor.get("published"):
            account.created_at = parse_time(actor["published"])
        for name in ("type", "url"):
            if actor.get(name):
                meta[name] = actor[name] if name == "type" else _link(actor[name])
    return account


def _content(obj: dict[str, Any]) -> tuple[str | None, str | None]:
    """The HTML content and its language: ``content``, else the first ``contentMap`` entry."""
    content = obj.get("content")
    content_map = obj.get("contentMap")
    language = None
    if isinstance(content_map, dict) and content_map:
        language = next((lang for lang, text in content_map.items() if text == content), None)
        if content is None:
            language, content = next(iter(content_map.items()))
        elif language is None and len(content_map) == 1:
            language = next(iter(content_map))
    return (content if isinstance(content, str) else None), language


def note_post(
    platform: str, obj: dict[str, Any], author: AccountKey, activity: dict[str, Any] | None
) -> Post:
    """A post from a Note-like object (``activity`` is the Create around it, if any)."""
    if not obj.get("id"):
        raise KeyError("object.id")
    published = obj.get("published") or (activity or {}).get("published")
    if not published:
        raise KeyError("published")
    try:
        timestamp = parse_time(published)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad published {published!r}") from exc
    html, language = _content(obj)
    body = html_to_text(html)
    mentions: list[Mention] = []
    hashtags: list[str] = []
    tag_links: set[str] = set()
    for tag in _as_list(obj.get("tag")):
        if not isinstance(tag, dict):
            continue
        href = tag.get("href")
        if isinstance(href, str):
            tag_links.add(href)
        name = str(tag.get("name") or "")
        if tag.get("type") == "Mention" and (href or name):
            mentions.append(Mention(handle=name.lstrip("@") or None, account_id=href or None))
        elif tag.get("type") == "Hashtag" and name:
            hashtags.append(name.lstrip("#"))
    media = []
    for attachment in _as_list(obj.get("attachment")):
        url = _link(attachment.get("url")) if isinstance(attachment, dict) else _link(attachment)
        if url:
            mime = attachment.get("mediaType") if isinstance(attachment, dict) else None
            media.append(Media(url=url, mime=mime))
    meta: dict[str, Any] = {"activity_type": (activity or {}).get("type") or obj.get("type")}
    host = urlparse(author.account_id).hostname
    if host:
        meta["host"] = host
    if activity and activity.get("id"):
        meta["activity_id"] = activity["id"]
    for name in ("summary", "sensitive", "to", "cc"):
        if obj.get(name) not in (None, "", []):
            meta[name] = obj[name]
    url = _link(obj.get("url"))
    if url:
        meta["url"] = url
    quote = first_id(
        obj.get("quoteUrl") or obj.get("quoteUri") or obj.get("_misskey_quote") or obj.get("quote")
    )
    reply = first_id(obj.get("inReplyTo"))
    return Post(
        PostKey(platform, str(obj["id"])),
        author,
        timestamp,
        text=body.text,
        language=language,
        urls=[u for u in body.urls if u not in tag_links and u != quote],
        hashtags=hashtags or body.hashtags,
        mentions=mentions,
        reply_to=PostKey(platform, reply) if reply else None,
        quote_of=PostKey(platform, quote) if quote else None,
        media=media,
        raw=orjson.dumps(activity or obj).decode(),
        metadata=meta,
    )
