"""What is read from collected media once and stored: vPDQ of videos, OCR text of images, text of documents.

Before a scan batch runs, :func:`fill_media_features` gives each medium of the batch what
``media_features`` holds for it (``ScanMedia.vpdq``, ``ScanMedia.text``) and computes what is
missing: a video is hashed with vPDQ (:func:`openiru.detect.video.hash_video`) and, with OCR
on, a few of its frames (one per scene, at most five) are read (:mod:`openiru.detect.video_text`),
an image is OCR'd (:mod:`openiru.detect.ocr`), a PDF or EPUB has its pages' text extracted and a
PDF's images are hashed with PDQ (``ScanMedia.images``, :mod:`openiru.detect.document_images`,
looked up by the pdq matcher like posted images).  The file is
read only from the media store, by the row's SHA-256 (never from a path a row records).
What was read goes into ``media_features`` in the batch's transaction, so the next scan of
the same medium (a re-scan after a bank change, the same video posted again) decodes nothing.

A file that cannot be read (a damaged video, an image Tesseract fails on) is stored with its
``error`` and not tried again; a missing tool (no ffmpeg, no Tesseract) stores nothing, so
installing it later fills the gaps on the next scan.  ``OPENIRU_OCR=0`` turns OCR off (it is
the slowest step: about 0.3 s an image, see ``benchmarks/media.py``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from ...detect import ocr
from ...detect.document_images import pdf_images
from ...detect.documents import DocumentError, document_kind, document_pages, join_pages
from ...detect.evidence import ScanMedia, ScanPost
from ...detect.media_text import is_image
from ...detect.video import VideoFrameHash, VideoHashError, ffmpeg_path, hash_video, to_signal
from ...detect.video import vpdq as vpdq_module
from ...detect.video_matcher import is_video
from ...detect.video_text import frames_text, pick_times, read_frames_text
from ...store import tables_media as tm
from ...store.writer import dialect_insert
from ..collect.media import MediaStore

LOOKUP_CHUNK = 900


def ocr_enabled() -> bool:
    """OCR at scan time: on where Tesseract is installed, unless ``OPENIRU_OCR=0``."""
    return (
        os.environ.get("OPENIRU_OCR", "1").strip().lower() not in ("0", "false", "no", "off")
        and ocr.available()
    )


def _what(media: ScanMedia, want_ocr: bool) -> str | None:
    """``video``, ``pdf``/``epub``, ``ocr`` or None: what can be read from this medium."""
    if is_video(media):
        return "video" if (vpdq_module is not None or ffmpeg_path()) else None
    kind = document_kind(media.path, media.mime)
    if kind:
        return kind
    return "ocr" if want_ocr and is_image(media) else None


def _stored(conn: sa.Connection, keys: list[str]) -> dict[str, sa.Row[Any]]:
    t = tm.media_features
    found: dict[str, sa.Row[Any]] = {}
    for start in range(0, len(keys), LOOKUP_CHUNK):
        for row in conn.execute(sa.select(t).where(t.c.media_key.in_(keys[start : start + LOOKUP_CHUNK]))):
            found[row.media_key] = row
    return found


def _frames_text(path: str, features: list[VideoFrameHash]) -> dict[str, Any]:
    """The text of a few of a video's frames (``text``, ``text_origin`` ``video``), or nothing
    where none is read or OCR is not here (a missing tool is not the file's error)."""
    try:
        pages = read_frames_text(path, pick_times(features))
    except (ocr.OCRUnavailable, VideoHashError, OSError):
        return {}
    if not pages:
        return {}
    return {"text": frames_text(pages), "text_origin": "video", "ocr_languages": ocr.ocr_languages()}


def _compute(media: ScanMedia, what: str, path: str, want_ocr: bool = False) -> dict[str, Any]:
    row: dict[str, Any] = {
        "media_key": media.key,
        "vpdq": None,
        "vpdq_frames": None,
        "text": None,
        "text_origin": None,
        "ocr_languages": None,
        "error": None,
        "image_pdqs": None,
    }
    try:
        if what == "video":
            features = hash_video(path)
            row.update(vpdq=to_signal(features), vpdq_frames=len(features))
            if want_ocr:
                row.update(_frames_text(path, features))
        elif what == "ocr":
            found = ocr.ocr_image(path)
            row.update(text=found.text, text_origin="ocr", ocr_languages=found.languages)
        else:
            row.update(text=join_pages(document_pages(path, what)), text_origin=what)
            if what == "pdf":
                row["image_pdqs"] = _images_json(path)
    except (VideoHashError, ocr.OCRError, DocumentError, OSError) as exc:
        row["error"] = str(exc)[:1000]
    return row


def _images_json(path: str) -> str:
    """A PDF's images as stored in ``media_features.image_pdqs`` (``[]`` where it has none)."""
    return json.dumps([[i.page, i.number, i.pdq, i.quality] for i in pdf_images(path)])


def _images(stored: str | None) -> list[tuple[int, str, int]] | None:
    if stored is None:
        return None
    return [(int(page), str(pdq), int(quality)) for page, _n, pdq, quality in json.loads(stored)]


def fill_media_features(
    conn: sa.Connection,
    posts: Sequence[ScanPost],
    store: MediaStore | None = None,
    *,
    want_ocr: bool | None = None,
) -> int:
    """Give the batch's media their stored vPDQ and text, computing and storing what is missing;
    how many media were read now."""
    want_ocr = ocr_enabled() if want_ocr is None else want_ocr
    todo: dict[str, tuple[str, list[ScanMedia]]] = {}
    for post in posts:
        for media in post.media:
            what = _what(media, want_ocr) if media.sha256 else None
            if what is not None:
                todo.setdefault(media.key, (what, []))[1].append(media)
    if not todo:
        return 0
    stored = _stored(conn, list(todo))
    store = store or MediaStore()
    new_rows = []
    for key, (what, copies) in todo.items():
        row: Any = stored.get(key)
        if row is None:
            path = store.get(copies[0].sha256)
            if path is None:
                continue
            computed = _compute(copies[0], what, str(path), want_ocr)
            new_rows.append({**computed, "computed_at": datetime.now(UTC)})
            row = _Row(computed)
        elif what == "pdf" and row.image_pdqs is None and not row.error:
            row = _Row({**row._mapping, "image_pdqs": _fill_images(conn, key, store, copies[0])})
        for media in copies:
            if media.images is None and row.image_pdqs is not None:
                media.images = _images(row.image_pdqs)
            if row.vpdq and not media.vpdq:
                media.vpdq = row.vpdq
            if media.text is None and (row.text is not None or row.error):
                media.text = row.text or ""  # a file that could not be read is not tried again
    if new_rows:
        conn.execute(dialect_insert(conn, tm.media_features).on_conflict_do_nothing(), new_rows)
    return len(new_rows)


def _fill_images(conn: sa.Connection, key: str, store: MediaStore, media: ScanMedia) -> str | None:
    """The images of a PDF read before ``image_pdqs`` existed: hashed now and stored."""
    path = store.get(media.sha256) if media.sha256 else None
    if path is None:
        return None
    try:
        value = _images_json(str(path))
    except (DocumentError, OSError):
        value = "[]"  # its text was read; images that cannot be listed are not tried again
    t = tm.media_features
    conn.execute(sa.update(t).where(t.c.media_key == key).values(image_pdqs=value))
    return value


class _Row:
    """A computed row read like a stored one."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.vpdq, self.text, self.error = values["vpdq"], values["text"], values["error"]
        self.image_pdqs = values.get("image_pdqs")
