"""Media helpers shared by the importers: hash a local file, or record a missing one.

``hash_file`` reads the file once in 1 MiB chunks and computes SHA-256 and MD5
together (hashlib), so memory stays constant for large videos.  The MIME type
comes from the file name (stdlib ``mimetypes``) and, where the name says
nothing, from the first bytes: a handful of signatures of the media formats
platform exports carry.  Those few signatures are written here rather than
adding libmagic (a C library that is not always present on air-gapped hosts)
for a decision only used for display and filtering.

A file an export names is hashed with :func:`hash_confined`, which refuses any
path leading out of the export's folder (see :mod:`.paths`).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
from pathlib import Path

from ..model import Media
from .paths import PathRefused, open_confined

__all__ = ["PathRefused", "guess_mime", "hash_confined", "hash_file", "missing_media", "sniff_mime"]

CHUNK = 1 << 20

#: Leading bytes of common media formats, for files whose name has no known extension.
_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"RIFF", 0, "application/octet-stream"),  # refined below (WEBP / WAVE / AVI)
    (b"ftyp", 4, "video/mp4"),
    (b"\x1aE\xdf\xa3", 0, "video/webm"),
    (b"OggS", 0, "audio/ogg"),
    (b"%PDF-", 0, "application/pdf"),
    (b"PK\x03\x04", 0, "application/zip"),
    (b"ID3", 0, "audio/mpeg"),
)


def sniff_mime(head: bytes) -> str | None:
    """The MIME type that the first bytes of a file indicate, if known."""
    for magic, offset, mime in _SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            if magic == b"RIFF":
                kind = head[8:12]
                return {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}.get(
                    kind, "application/octet-stream"
                )
            return mime
    return None


def guess_mime(path: Path, head: bytes = b"") -> str | None:
    """MIME type from the file name, else from its first bytes."""
    by_name, _ = mimetypes.guess_type(path.name, strict=False)
    return by_name or sniff_mime(head)


def hash_file(path: Path) -> Media:
    """A Media item for a local file the caller trusts (not one an export names: for those,
    :func:`hash_confined`): sha256, md5, mime, size and path.

    A file that does not exist or cannot be read gives a missing Media item
    (the reference kept as its path) rather than raising: an export without its
    media files must still import.
    """
    path = Path(path)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
    except OSError:
        return missing_media(str(path))
    return _hash_fd(fd, path, str(path))


def hash_confined(root: Path, reference: str, boundary: Path | None = None) -> Media:
    """A Media item for the file ``reference`` names inside the export folder ``root``.

    Raises :class:`PathRefused` for a path that leads out of ``root`` (absolute, ``..``, a
    symbolic link out), a system or special file; the caller reports it as a problem of the
    record and imports the record without it.  An absent file gives a missing item.
    """
    try:
        fd = open_confined(root, reference, boundary=boundary)
    except OSError:
        return missing_media(reference)
    return _hash_fd(fd, Path(os.path.realpath(Path(root) / reference)), reference)


def _hash_fd(fd: int, path: Path, reference: str) -> Media:
    """Hash an open file in 1 MiB chunks (closing it); a read error gives a missing item."""
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    head = b""
    try:
        with open(fd, "rb", closefd=True) as fh:
            while chunk := fh.read(CHUNK):
                if not head:
                    head = chunk[:64]
                sha256.update(chunk)
                md5.update(chunk)
                size += len(chunk)
    except OSError:
        return missing_media(reference)
    return Media(
        sha256=sha256.hexdigest(), md5=md5.hexdigest(), mime=guess_mime(path, head), size=size, path=str(path)
    )


def missing_media(reference: str) -> Media:
    """A media item the export refers to but does not contain.

    ``reference`` is what the export says (a relative path, or Telegram's
    "(File not included. ...)" notice); it is kept as the item's path and the
    item is marked missing, so it is counted and can be fetched later.
    """
    return Media(path=reference, missing=True, mime=guess_mime(Path(reference)) if reference else None)
