"""Serving collected media files without letting them execute in the browser.

Collected files are hostile by assumption.  The type a response declares is
decided from the file's first bytes against a short allow-list of inert image
and video formats; anything else (HTML, SVG, scripts, PDFs, unknown) goes out
as ``application/octet-stream`` with ``Content-Disposition: attachment``.  The
recorded MIME type and the file name are never trusted.  ``nosniff`` and a
sandboxing CSP come from the security middleware.
"""

from __future__ import annotations

from pathlib import Path

from fastapi.responses import FileResponse, Response

from .errors import ApiError

#: (magic bytes, offset, type): inert formats only; SVG is deliberately absent.
_INERT: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"ftyp", 4, "video/mp4"),
    (b"\x1a\x45\xdf\xa3", 0, "video/webm"),
)


def inert_type(head: bytes) -> str | None:
    for magic, offset, mime in _INERT:
        if head[offset:offset + len(magic)] == magic:
            if mime == "image/webp" and head[:4] != b"RIFF":
                continue
            return mime
    return None


def safe_media_response(path: str | None) -> Response:
    if not path:
        raise ApiError(404, "not_found", "the media file was not collected")
    file = Path(path)
    if not file.is_file():
        raise ApiError(404, "not_found", "the media file is not on this server")
    with file.open("rb") as fh:
        head = fh.read(32)
    mime = inert_type(head)
    if mime is None:
        return FileResponse(file, media_type="application/octet-stream", filename="media.bin",
                            content_disposition_type="attachment")
    return FileResponse(file, media_type=mime, content_disposition_type="inline", filename=f"media.{mime.split('/')[1]}")
