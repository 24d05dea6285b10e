"""Serving collected media files without letting them execute in the browser.

Collected files are hostile by assumption.  The type a response declares is
decided from the file's first bytes against a short allow-list of inert image
and video formats; anything else (HTML, SVG, scripts, PDFs, unknown) goes out
as ``application/octet-stream`` with ``Content-Disposition: attachment``.  The
recorded MIME type and the file name are never trusted.  ``nosniff`` and a
sandboxing CSP come from the security middleware.

Only files inside the media store (``services.media_store``, by content hash) or the
evidence folder are served; any other path, whatever a database row says, is a 404.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi.responses import FileResponse, Response

from ..services.collect.media import MediaStore
from ..services.referral.evidence import evidence_root
from ..sources.media import sniff_mime
from .errors import ApiError

#: The types served inline: inert images and video only (SVG is deliberately absent).  The type
#: itself comes from the file's first bytes (``sources.media.sniff_mime``), never from its name.
INERT_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp", "video/mp4", "video/webm"})


def inert_type(head: bytes) -> str | None:
    """The inert type the first bytes show, or None (then the file goes out as an attachment)."""
    mime = sniff_mime(head)
    return mime if mime in INERT_TYPES else None


def servable(path: str | Path) -> bool:
    """Whether ``path`` (links resolved) lies in the media store or the evidence folder."""
    real = os.path.realpath(path)
    return any(
        real.startswith(os.path.realpath(root) + os.sep) for root in (MediaStore().root, evidence_root())
    )


def safe_media_response(path: str | None) -> Response:
    if not path:
        raise ApiError(404, "not_found", "the media file was not collected")
    file = Path(path)
    if not servable(file) or not file.is_file():
        raise ApiError(404, "not_found", "the media file is not on this server")
    with file.open("rb") as fh:
        head = fh.read(32)
    mime = inert_type(head)
    if mime is None:
        return FileResponse(
            file,
            media_type="application/octet-stream",
            filename="media.bin",
            content_disposition_type="attachment",
        )
    return FileResponse(
        file, media_type=mime, content_disposition_type="inline", filename=f"media.{mime.split('/')[1]}"
    )
