"""ZeroNet site folder: ZeroBlog and ZeroTalk style sites.

The input is a site folder, its ``content.json``, or a folder of site folders
(ZeroNet's ``data/`` directory, one folder per site address).  A site folder
holds its ``content.json`` (``address``, ``title``, ``files``,
``includes``) and app data in ``data.json`` files:

* the site's own ``data/data.json`` (ZeroBlog): ``post[{post_id, title,
  date_published, body}]``, written by the site owner;
* each user's ``data/users/<auth address>/data.json`` beside a ``content.json``
  carrying the user's ``cert_user_id`` (``name@zeroid.bit``): ZeroTalk
  ``topic[{topic_id, title, body, added, parent_topic_uri}]`` and
  ``comment{"<topic_id>_<auth address>": [{comment_id, body, added, reply_to}]}``,
  or ZeroBlog ``comment[{comment_id, body, post_id, date_added}]``.

Every post, topic and comment becomes a post with a stable id unique across sites:
``<site>/post/<post_id>`` (the owner's blog posts), ``<site>/topic/<topic_id>_<auth>``,
``<site>/comment/<comment_id>_<auth>`` (ZeroNet's own topic and comment URIs).
Authors are accounts keyed by ``cert_user_id``; the owner's posts use the owner's
``cert_user_id`` where the site says it, else the site address.  Bodies are
Markdown with inline HTML, turned into text and URLs.

ZeroNet caps the size of every signed file (10 kB per user by default, a few MB
per site), so each ``data.json`` is read whole; the folder is walked lazily.
"""

from __future__ import annotations

import io
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from ..model import Account, AccountKey, Media, Mention, Post, PostKey, parse_time
from .base import MALFORMED, Problem, Record, Source
from .html import hashtags_in_text, markdown_to_text
from .jsonguard import BOM, MARK, MAX_DEPTH, GuardedFile, count_marks
from .jsonio import load_partial, read_head
from .media import PathRefused, hash_confined, missing_media
from .paths import confine

#: A ZeroTalk quote reply: ``> [name](#comment_12_1Addr): quoted text``.
_QUOTE_RE = re.compile(r"^>\s*\[([^\]]+)\]\(#comment_(\d+)_(\w+)\)", re.MULTILINE)
_COMMENT_REF_RE = re.compile(r"^comment_(\d+)_(\w+)$")
#: The largest JSON file read (each is read whole; ZeroNet's own limits are far smaller).
MAX_FILE = 32 << 20
#: An escaped backslash, a valid surrogate pair (kept), or a lone surrogate escape (replaced).
_LONE_SURROGATE_RE = re.compile(
    rb"(\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}\\u[dD][c-fC-F][0-9a-fA-F]{2})|\\u[dD][89a-fA-F][0-9a-fA-F]{2}"
)
MARK_ESCAPE = b"\\u" + f"{ord(MARK):04x}".encode()
#: Key under which a file cut off or broken carries the parser's error (see ``_load``).
BROKEN = "\ufdd0broken"


def _site_root(path: Path) -> Path:
    """The site folder: the folder given, or the one a content.json belongs to.  A user's
    ``data/users/<auth>/content.json`` names its ``inner_path``, which leads back to the root."""
    if not path.is_file():
        return path
    try:
        inner = _load(path).get("inner_path")
    except (OSError, orjson.JSONDecodeError, AttributeError):
        inner = None
    depth = len(Path(str(inner)).parts) if inner else 1
    root = path.parents[depth - 1] if depth <= len(path.parents) else path.parent
    return root if (root / "content.json").is_file() else path.parent


def _site_folders(folder: Path) -> list[Path]:
    """Sub-folders holding a site ``content.json``, in name order."""
    return sorted(d for d in folder.iterdir() if d.is_dir() and (d / "content.json").is_file())


def _load(path: Path, partial: bool = False) -> Any:
    """A ZeroNet JSON file, read whole.  Damage that would lose the whole file (invalid UTF-8, a
    raw control character, a lone surrogate escape such as ``"\\ud800"``, nesting deeper than
    :data:`~.jsonguard.MAX_DEPTH`) is replaced by :data:`~.jsonguard.MARK`, so that only the
    items holding it are refused (see :func:`_damaged`).  With ``partial``, a file cut off or
    broken gives the items before the break, the parser's error under the key :data:`BROKEN`."""
    with open(path, "rb") as fh:
        data = fh.read(MAX_FILE + 1)
    if len(data) > MAX_FILE:
        raise orjson.JSONDecodeError(f"larger than {MAX_FILE} bytes (ZeroNet signs far smaller files)", "", 0)
    try:
        return orjson.loads(data.removeprefix(BOM))
    except orjson.JSONDecodeError:
        guard = GuardedFile(io.BytesIO(data))
        repaired = b"".join(iter(lambda: guard.read(1 << 16), b""))
        repaired = _LONE_SURROGATE_RE.sub(lambda m: m.group(1) or MARK_ESCAPE, repaired)
        try:
            return orjson.loads(repaired)
        except orjson.JSONDecodeError as exc:
            if not partial:
                raise
            value, error = load_partial(repaired)  # cut off: the items before the break
            if not isinstance(value, dict):
                raise exc from None
            value[BROKEN] = error
            return value


def _damaged(item: Any) -> bool:
    """Whether an item of a repaired file holds a repaired place."""
    return count_marks(item) > 0


class ZeroNetSiteSource(Source):
    """A ZeroNet site folder (or its content.json): ZeroBlog posts, ZeroTalk topics and comments."""

    name = "zeronet"
    default_platform = "zeronet"

    @classmethod
    def sniff(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            content = path / "content.json"
            if not content.is_file():
                # ZeroNet's own data folder: one sub-folder per site address.
                return 0.6 if any(cls.sniff(site, b"") > 0.6 for site in _site_folders(path)) else 0.0
            head = read_head(content, 4096)
        elif path.name != "content.json":
            return 0.0
        if b'"address"' in head and (b'"files"' in head or b'"signs"' in head or b'"includes"' in head):
            return 0.9
        return 0.0

    def records(self) -> Iterator[Record]:
        if self.path.is_dir() and not (self.path / "content.json").is_file():
            for site in _site_folders(self.path):
                one = ZeroNetSiteSource(site, self.platform)
                one.boundary = self.boundary
                yield from one.records()
            return
        root = self.root = _site_root(self.path)
        content_file = root / "content.json"
        try:
            site = _load(content_file)
            self.site = str(site["address"])
        except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
            reason = "missing field address" if isinstance(exc, KeyError | TypeError) else str(exc)
            yield Problem(str(content_file), "$", f"unreadable site content.json: {reason}")
            return
        self.site_title = site.get("title")
        self.owner = self._owner(root, site)
        self._refused: list[str] = []
        for data_file in self._data_files(root, site):
            if isinstance(data_file, Problem):
                yield data_file
                continue
            yield from self._data_file(root, data_file)

    # -- discovery -----------------------------------------------------------------------

    def _owner(self, root: Path, site: dict[str, Any]) -> Account:
        """The site owner: a ``cert_user_id`` in the site's content.json or in a user folder the
        site address signed, else the site address itself."""
        cert = site.get("cert_user_id")
        if not cert:
            try:  # the address comes from the site's own file: confined like any other name
                own: Path | None = confine(
                    root, f"data/users/{self.site}/content.json", boundary=self.boundary
                )
            except PathRefused:
                own = None
            if own is not None and own.is_file():
                try:
                    cert = _load(own).get("cert_user_id")
                except (orjson.JSONDecodeError, AttributeError):
                    cert = None
        account_id = str(cert or self.site)
        meta = {"site": self.site, "role": "site owner"}
        return Account(
            AccountKey(self.platform, account_id),
            handle=account_id.split("@", 1)[0] if cert else None,
            display_name=self.site_title or None,
            bio=site.get("description") or None,
            metadata=meta | ({"cert_user_id": cert} if cert else {}),
        )

    def _data_files(self, root: Path, site: dict[str, Any]) -> Iterator[Path | Problem]:
        """``data.json`` files anywhere in the site, plus JSON data files its content.json lists;
        a name or link leading out of the site is a problem, not read."""
        seen: set[Path] = set()
        listed = [
            name
            for name in site.get("files") or {}
            if name.endswith(".json") and name.startswith("data/") and not name.endswith("content.json")
        ]
        found = [(name, root / name) for name in listed]
        for folder, dirs, files in os.walk(root):
            dirs.sort()
            if "data.json" in files:
                path = Path(folder) / "data.json"
                found.append((str(path.relative_to(root)), path))
        for name, path in found:
            if path in seen:
                continue
            seen.add(path)
            try:
                confine(root, name, boundary=self.boundary)
            except PathRefused as exc:
                yield Problem(str(root / "content.json"), f"files[{name!r}]", f"data file refused: {exc}")
                continue
            if path.is_file():
                yield path

    def _author(self, folder: Path) -> tuple[Account, str] | Problem:
        """The author of a data file's folder and their auth address ('' for the site itself)."""
        content = folder / "content.json"
        if folder.parent.name != "users" or not content.is_file():
            return self.owner, ""
        auth = folder.name
        try:
            cert = _load(content).get("cert_user_id")
        except (orjson.JSONDecodeError, AttributeError) as exc:
            return Problem(str(content), "$", f"unreadable user content.json: {exc}")
        account_id = str(cert or auth)
        meta: dict[str, Any] = {"site": self.site, "auth_address": auth}
        if cert:
            meta["cert_user_id"] = cert
        return Account(
            AccountKey(self.platform, account_id), handle=account_id.split("@", 1)[0], metadata=meta
        ), auth

    # -- items ---------------------------------------------------------------------------

    def _data_file(self, root: Path, path: Path) -> Iterator[Record]:
        author = self._author(path.parent)
        if isinstance(author, Problem):
            yield author
            return
        account, auth = author
        try:
            data = _load(path, partial=True)
        except (OSError, orjson.JSONDecodeError) as exc:
            yield Problem(str(path), "$", f"invalid JSON: {exc}")
            return
        if not isinstance(data, dict):
            yield Problem(str(path), "$", "not a JSON object")
            return
        if BROKEN in data:
            error = data.pop(BROKEN)
            if not any(True for _ in _items(data)):  # cut off before its first item: nothing of it
                yield Problem(str(path), "$", f"invalid JSON: {error}")
                return
            yield Problem(str(path), "$", f"invalid JSON: {error}; the items before it are read")
        yield account
        for location, kind, item, extra in _items(data):
            if _damaged(item):
                yield Problem(
                    str(path),
                    location,
                    f"malformed {kind}: damaged text (invalid UTF-8, a control "
                    f"character or a lone surrogate) or nested deeper than {MAX_DEPTH} levels",
                )
                continue
            try:
                post = self._post(account, auth, kind, item, extra)
            except MALFORMED as exc:
                reason = f"missing field {exc.args[0]}" if isinstance(exc, KeyError) else str(exc)
                yield Problem(str(path), location, f"malformed {kind}: {reason}")
                continue
            finally:
                refused, self._refused = self._refused, []
            yield post
            for reason in refused:  # a refused image path: a problem, the post still imported
                yield Problem(str(path), f"{location}: image", f"media path refused: {reason}")

    def _post(self, account: Account, auth: str, kind: str, item: Any, topic_uri: str) -> Post:
        if not isinstance(item, dict):
            raise TypeError(f"expected an object, got {type(item).__name__}")
        site = self.site
        reply_to: str | None = None
        if kind == "post":
            native = str(item["post_id"])
            post_id = f"{site}/post/{native}" if not auth else f"{site}/post/{native}_{auth}"
            when = item.get("date_published", item.get("date_added", item.get("added")))
        elif kind == "topic":
            post_id = f"{site}/topic/{item['topic_id']}_{auth or site}"
            when = item.get("added")
            parent = item.get("parent_topic_uri") or item.get("parent_topic_hash")
            reply_to = f"{site}/topic/{parent}" if parent else None
        else:
            post_id = f"{site}/comment/{item['comment_id']}_{auth or site}"
            when = item.get("added", item.get("date_added"))
            if item.get("post_id") is not None:  # a ZeroBlog comment
                reply_to = f"{site}/post/{item['post_id']}"
            elif topic_uri:
                reply_to = f"{site}/topic/{topic_uri}"
            ref = _COMMENT_REF_RE.match(str(item.get("reply_to") or ""))
            if ref:
                reply_to = f"{site}/comment/{ref.group(1)}_{ref.group(2)}"
        if when is None:
            raise KeyError("date_published" if kind == "post" else "added")
        try:
            timestamp = parse_time(when)
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            raise ValueError(f"bad time {when!r}") from exc
        body = markdown_to_text(str(item.get("body") or ""))
        mentions: list[Mention] = []
        for name, comment_id, comment_auth in _QUOTE_RE.findall(str(item.get("body") or "")):
            mentions.append(Mention(handle=name))
            if reply_to is None or reply_to.startswith(f"{site}/topic/"):
                reply_to = f"{site}/comment/{comment_id}_{comment_auth}"
        media = [
            Media(url=src) if src.lower().startswith(("http://", "https://")) else self._site_file(src)
            for src in body.images
        ]
        title = str(item.get("title") or "").strip()
        text = f"{title}\n\n{body.text}".strip() if title else body.text
        meta: dict[str, Any] = {"site": site, "kind": kind}
        if self.site_title:
            meta["site_title"] = self.site_title
        if auth:
            meta["auth_address"] = auth
        return Post(
            PostKey(self.platform, post_id),
            account.key,
            timestamp,
            text=text,
            urls=body.urls,
            hashtags=body.hashtags or hashtags_in_text(body.text),
            mentions=mentions,
            media=media,
            reply_to=PostKey(self.platform, reply_to) if reply_to else None,
            raw=orjson.dumps(item).decode(),
            metadata=meta,
        )

    def _site_file(self, reference: str) -> Media:
        """A file of the site ("/x" from the site root), hashed (missing if absent); a path
        leading out of the site is refused (kept in ``_refused`` for the caller to report)."""
        try:
            return hash_confined(self.root, reference.lstrip("/"), self.boundary)
        except PathRefused as exc:
            self._refused.append(str(exc))
            return missing_media(reference)


def _items(data: dict[str, Any]) -> Iterator[tuple[str, str, Any, str]]:
    """``(JSON path, kind, item, topic uri)`` for every post, topic and comment in a data.json."""
    for kind in ("post", "topic"):
        entries = data.get(kind) or []
        for index, item in enumerate(entries if isinstance(entries, list) else [entries]):
            yield f"{kind}[{index}]", kind, item, ""
    comments = data.get("comment")
    if isinstance(comments, list):
        for index, item in enumerate(comments):
            yield f"comment[{index}]", "comment", item, ""
    elif isinstance(comments, dict):
        for topic_uri, entries in comments.items():
            for index, item in enumerate(entries if isinstance(entries, list) else [entries]):
                yield f"comment[{topic_uri!r}][{index}]", "comment", item, str(topic_uri)
