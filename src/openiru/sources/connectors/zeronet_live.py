"""ZeroNet sites, live, through a local ZeroNet client's HTTP interface.

Target: a site address (``1…`` or ``name.bit``); ``--server`` the client's UI server
(default ``http://127.0.0.1:43110``, which must be on ``OPENIRU_FETCH_ALLOW`` like any
internal address).  The client serves a site's files that are not HTML as they are, at
``<server>/<address>/<inner path>``; a poll reads:

1. the site's ``content.json`` and every ``content.json`` it ``includes`` (recursively, at
   most :data:`MAX_CONTENTS`), and the owner's ``data/users/<address>/content.json`` where
   there is one (the owner's name, as the importer reads it), always (they are small and
   say what changed);
2. every JSON data file those list under ``data/`` whose ``sha512`` (ZeroNet's: the first
   64 hex digits of SHA-512) differs from the checkpoint, checked against that digest; a
   file that does not match is a problem and is read again next time.

The files read are laid out as the site's folder (a temporary one) and mapped by the
export importer (:class:`openiru.sources.zeronet.ZeroNetSiteSource`: ZeroBlog posts, ZeroTalk
topics and comments, authors by ``cert_user_id``), so a collected post and an imported one
are the same post; only changed files are laid out, so an unchanged site is no page and a
changed file yields its own items.  The checkpoint is ``{"files": {inner path: sha512}}``.
Each fetch is captured to WARC like a feed's.  Limit: a user's ``content.json`` that no
``content.json`` includes is unknown to the HTTP interface (the client learns of users
from its peers), so such users' data is not read; import the client's ``data/`` folder
for those.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

import orjson

from ..base import Problem, Record
from ..zeronet import ZeroNetSiteSource
from .base import Checkpoint, Page, Target
from .feeds import _Fetching
from .polite import ConnectorError, polite_send

DEFAULT_SERVER = "http://127.0.0.1:43110"
MAX_CONTENTS = 2000
_ADDRESS = re.compile(
    r"^(1[A-Za-z0-9]{25,34}|[a-z0-9][a-z0-9-]{0,62}\.bit)$"
)  # Bitcoin-style address, or a .bit name


def zeronet_digest(data: bytes) -> str:
    """ZeroNet's file digest: SHA-512 truncated to 64 hex digits."""
    return hashlib.sha512(data).hexdigest()[:64]


def _safe(inner: str) -> bool:
    path = PurePosixPath(inner)
    return bool(inner) and not path.is_absolute() and ".." not in path.parts and "\\" not in inner


class ZeroNetConnector(_Fetching):
    """A ZeroNet site through the local client's UI server (see the module's note)."""

    name = "zeronet"
    default_platform = "zeronet"
    target_forms = "a site address (1... or name.bit)"

    @classmethod
    def check_target(cls, target: Target) -> None:
        if not _ADDRESS.match(target.target):
            raise ValueError(f"ZeroNet target {target.target!r}: expected {cls.target_forms}")

    def _url(self, inner: str) -> str:
        return f"{(self.target.server or DEFAULT_SERVER).rstrip('/')}/{self.target.target}/{inner}"

    def _get(self, inner: str) -> tuple[bytes, dict[str, str]]:
        url = self._url(inner)
        client = self.session
        if client is None:
            raise ConnectorError(f"{url}: no HTTP client given (an SSRF-safe Outbound client is required)")
        response = polite_send(lambda: client.get(url), url, self.backoff)
        if response.status_code != 200:
            raise ConnectorError(f"{self.target}: {inner}: HTTP {response.status_code}")
        return response.content, self.capture(url, {}, response)

    def _contents(self) -> dict[str, dict[str, Any]]:
        """Every content.json of the site by inner path: the root's and those it includes."""
        found: dict[str, dict[str, Any]] = {}
        todo = ["content.json"]
        while todo and len(found) < MAX_CONTENTS:
            inner = todo.pop(0)
            if inner in found:
                continue
            try:
                content = orjson.loads(self._get(inner)[0])
            except orjson.JSONDecodeError as exc:
                if inner == "content.json":
                    raise ConnectorError(f"{self.target}: content.json: invalid JSON: {exc}") from None
                continue
            if not isinstance(content, dict):
                continue
            found[inner] = content
            folder = PurePosixPath(inner).parent
            for include in content.get("includes") or {}:
                path = str(folder / include)
                if _safe(path) and path.endswith("content.json"):
                    todo.append(path.removeprefix("./"))
        owner = f"data/users/{self.target.target}/content.json"  # where the importer finds the owner's name
        if owner not in found:
            try:
                content = orjson.loads(self._get(owner)[0])
            except (ConnectorError, orjson.JSONDecodeError):
                content = None
            if isinstance(content, dict):
                found[owner] = content
        return found

    def pages(self, checkpoint: Checkpoint | None) -> Iterator[Page]:
        known: dict[str, str] = dict((checkpoint or {}).get("files") or {})
        contents = self._contents()
        if contents["content.json"].get("address") not in (
            None,
            self.target.target,
        ) and not self.target.target.endswith(".bit"):
            raise ConnectorError(f"{self.target}: content.json names another site")
        changed: dict[str, str] = {}
        for inner, content in contents.items():
            folder = PurePosixPath(inner).parent
            for name, info in (content.get("files") or {}).items():
                path = str(folder / name).removeprefix("./")
                digest = str((info or {}).get("sha512") or "") if isinstance(info, dict) else ""
                if (
                    path.endswith(".json")
                    and path.startswith("data/")
                    and _safe(path)
                    and not path.endswith("content.json")
                    and known.get(path) != digest
                ):
                    changed[path] = digest
        if not changed:
            return
        records: list[Record] = []
        with tempfile.TemporaryDirectory(prefix="openiru-zeronet-") as tmp:
            root = Path(tmp)
            for inner, content in contents.items():
                if inner == "content.json":  # only the changed files are listed: only they are read
                    content = {**content, "files": {p: {"sha512": d} for p, d in changed.items()}}
                target = root / inner
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(orjson.dumps(content))
            for path, digest in changed.items():
                data, _warc = self._get(path)
                if digest and zeronet_digest(data) != digest:
                    records.append(
                        Problem(str(self.target), path, "sha512 differs from content.json: not read")
                    )
                    continue
                (root / path).parent.mkdir(parents=True, exist_ok=True)
                (root / path).write_bytes(data)
                known[path] = digest
            source = ZeroNetSiteSource(root, self.platform)
            source.boundary = root
            records.extend(self._located(r) for r in source.records())
        yield Page(records, {"files": known}, items=len(changed))

    def _located(self, record: Record) -> Record:
        """Problems name the site's file, not the temporary folder."""
        if isinstance(record, Problem) and "openiru-zeronet-" in record.file:
            inner = record.file.split("openiru-zeronet-", 1)[1].partition("/")[2]
            return dataclasses.replace(record, file=f"{self.target}/{inner}")
        return record
