"""The media store: collected files kept by content (SHA-256), the only place media is served from.

An import hashes the files an export names (confined to the export's folder,
``sources.paths``); the ingest hook here then copies each one into
``$OPENIRU_DATA/media/<sha256[:2]>/<sha256>``.  The copy is verified: its bytes
must hash to the SHA-256 the import recorded, so a file swapped after it was
hashed is not stored.  The API's media route and evidence capture read only
from this store, by the hash of a media row, never from the ``path`` a row
records: a database row naming ``/etc/passwd`` (written by an older version, a
restore or a hand edit) serves nothing.  The store also keeps media of uploads
whose temporary folder is gone once the import ends.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import sqlalchemy as sa

from ...model import Media, Post

CHUNK = 1 << 20
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def data_dir() -> Path:
    """``$OPENIRU_DATA`` (as evidence uses it), default ``./openiru-data``."""
    return Path(os.environ.get("OPENIRU_DATA", "openiru-data"))


class MediaStore:
    """Files by SHA-256 under one folder; writes are atomic (temporary file, then rename)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = Path(root) if root is not None else data_dir() / "media"

    def path_of(self, sha256: str | None) -> Path | None:
        """Where a file with this hash is kept (it may not be there); None for a non-hash."""
        if not sha256 or not _SHA256.match(sha256):
            return None
        return self.root / sha256[:2] / sha256

    def get(self, sha256: str | None) -> Path | None:
        """The stored file with this hash, or None."""
        path = self.path_of(sha256)
        return path if path is not None and path.is_file() and not path.is_symlink() else None

    def put(self, source: Path | str, sha256: str) -> bool:
        """Copy ``source`` in if its bytes hash to ``sha256``; whether the store now has it."""
        dest = self.path_of(sha256)
        if dest is None:
            return False
        if dest.is_file():
            return True
        flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
        try:
            fd = os.open(source, flags)
        except OSError:
            return False
        dest.parent.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        tmp_fd, tmp_name = tempfile.mkstemp(dir=dest.parent, prefix=".incoming-")
        try:
            with open(fd, "rb") as src, open(tmp_fd, "wb") as out:
                if not _is_regular(src.fileno()):
                    raise OSError("not a regular file")
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
            if digest.hexdigest() != sha256:  # changed since the import hashed it
                raise OSError("content changed")
            os.replace(tmp_name, dest)
            return True
        except OSError:
            Path(tmp_name).unlink(missing_ok=True)
            return False

    def put_media(self, items: Iterable[Media]) -> int:
        """Store every collected (hashed, local) item; how many are newly stored."""
        added = 0
        for m in items:
            if m.missing or not m.sha256 or not m.path or self.get(m.sha256) is not None:
                continue
            added += self.put(m.path, m.sha256)
        return added


def _is_regular(fd: int) -> bool:
    return stat.S_ISREG(os.fstat(fd).st_mode)


def ingest_hook(engine: sa.Engine) -> Callable[[sa.Connection, list[Post]], None]:
    """The ``openiru.ingest_hooks`` factory: store each batch's media as it is written."""
    store = MediaStore()

    def hook(conn: sa.Connection, posts: list[Post]) -> None:
        store.put_media(m for post in posts for m in post.media)

    hook.wants = lambda: "media"  # type: ignore[attr-defined]  # only posts with media to store (ingest.py)
    return hook
