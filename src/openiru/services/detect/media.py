"""Media files into banks and against banks: images, videos and documents.

``openiru bank add FILE… --bank NAME`` hashes each file by what it is: an image gives its PDQ
hash and MD5 (and, where Tesseract reads text in it, an ``ocr`` item: its PDQ and that text, for
the ``pdq+ocr`` matcher), a video its vPDQ signal (ThreatExchange's ``VideoVPDQSignal``) and MD5, a PDF
or EPUB its MD5 and the text of each page as a known text (item ``<name> p.<n>``), so that a
re-made copy of the document is found page by page, and a PDF the PDQ of each image inside it
(item ``<name> img.<page>.<n>``, :mod:`openiru.detect.document_images`); any other file its MD5.

``openiru match FILE`` on a video looks its vPDQ signal up among the banks' ``vpdq`` items
(:class:`~openiru.detect.video_match.VideoIndex`: every bank video's frame hashes in one PDQ
index) and reports, per matched item, the query-match and compare-match percentages and the
matched time ranges in both videos; on a document, its pages' text against the known texts
and lexicons (:class:`~openiru.detect.media_text.MediaTextMatcher`, with the pages and an
excerpt); on a video, also the text of a few of its frames (``frames_text``, matches with their
``frame_time``); on an image, the text Tesseract reads in it the same way (``ocr_text``, terms with
their ``text_span``), and its PDQ with that text against the banks' posters (``pdq+ocr``).  MD5/SHA-256 and PDQ look-ups stay those of :mod:`.match`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ...detect import ocr
from ...detect.document_images import DocumentImage, pdf_images
from ...detect.documents import DocumentError, document_kind, document_pages
from ...detect.normalise import normalise
from ...detect.pdq import DEFAULT_MIN_QUALITY, pdq_of_file
from ...detect.poster_match import MIN_TEXT_CHARS, ocr_value
from ...detect.video import VideoFrameHash, VideoHashError, from_signal, hash_video, to_signal
from ...detect.video_match import VideoIndex
from ...detect.video_matcher import VIDEO_SUFFIXES
from ...errors import ConfigError, NotFoundError
from ...model import HashRecord
from ...sources.media import guess_mime, hash_file
from ...store import tables_detect as td
from ..access.change_audit import audited_import
from .banks import ImportSummary, add_records, ensure_bank, ruleset_changed
from .media_text_match import match_document, match_frames_text, match_image

#: pages shorter than this (normalised or not) are not worth a known-text item
MIN_PAGE_CHARS = 80


def file_kind(path: Path) -> str:
    """``video``, ``document``, ``image`` or ``file``, from the name and the first bytes."""
    with open(path, "rb") as fh:
        head = fh.read(64)
    mime = guess_mime(path, head) or ""
    if mime.startswith("video/") or path.suffix.lower() in VIDEO_SUFFIXES:
        return "video"
    if document_kind(str(path), mime):
        return "document"
    return "image" if mime.startswith("image/") else "file"


def file_records(
    path: Path, item: str | None = None, label: str | None = None
) -> tuple[str, list[HashRecord]]:
    """The kind of a file and the bank records it gives (see the module's docstring)."""
    if not path.is_file():
        raise NotFoundError(f"{path}: no such file")
    kind = file_kind(path)
    name = item or path.name
    media = hash_file(path)
    records = [HashRecord("md5", media.md5 or "", name, label, source=path.name)]
    if kind == "image":
        try:
            pdq, _quality = pdq_of_file(path)
            records.insert(0, HashRecord("pdq", pdq, name, label, source=path.name))
        except (OSError, ValueError, SyntaxError):
            kind = "file"  # not a decodable image after all
        else:
            text = poster_text(path)
            if text:  # for the pdq+ocr matcher: the poster re-made on another background
                records.append(HashRecord("ocr", ocr_value(pdq, text), name, label, source=path.name))
    elif kind == "video":
        try:
            records.insert(0, HashRecord("vpdq", to_signal(hash_video(path)), name, label, source=path.name))
        except VideoHashError as exc:
            raise ConfigError(f"{path.name}: {exc}") from None
    elif kind == "document":
        try:
            pages = document_pages(path, document_kind(str(path), media.mime))
        except DocumentError as exc:
            raise ConfigError(str(exc)) from None
        records += [
            HashRecord("text", " ".join(page.split()), f"{name} p.{n}", label, source=path.name)
            for n, page in enumerate(pages, start=1)
            if len(page.strip()) >= MIN_PAGE_CHARS
        ]
        records += [
            HashRecord("pdq", image.pdq, f"{name} img.{image.page}.{image.number}", label, source=path.name)
            for image in _images(path, media.mime)
            if image.quality >= DEFAULT_MIN_QUALITY
        ]
    return kind, records


def _images(path: Path, mime: str | None) -> list[DocumentImage]:
    """The PDQ of the images inside a PDF (none for an EPUB)."""
    if document_kind(str(path), mime) != "pdf":
        return []
    try:
        return pdf_images(path)
    except DocumentError as exc:
        raise ConfigError(str(exc)) from None


def poster_text(path: Path) -> str | None:
    """The text Tesseract reads in an image, where there is enough of it to match a re-made
    poster by (:mod:`openiru.detect.poster_match`); None without Tesseract or text."""
    if not ocr.available():
        return None
    try:
        text = ocr.ocr_image(path).text
    except ocr.OCRError:
        return None
    return text if len(normalise(text)) >= MIN_TEXT_CHARS else None


@audited_import("bank.add", "bank")
def add_files(
    engine: sa.Engine,
    paths: Sequence[Path],
    bank: str,
    *,
    label: str | None = None,
    item: str | None = None,
    purpose: str | None = None,
) -> ImportSummary:
    """Hash media files into a bank (created if new); counts as an import of ``paths``."""
    summary = ImportSummary(", ".join(str(p) for p in paths), bank)
    records: list[HashRecord] = []
    for path in paths:
        records += file_records(Path(path), item if len(paths) == 1 else None, label)[1]
    with engine.begin() as conn:
        ensure_bank(conn, bank, "mixed", purpose)
        summary.added, summary.existing, summary.removed = add_records(conn, bank, records)
        if summary.added:
            ruleset_changed(conn)
    return summary


def _items(conn: sa.Connection, kind: str, banks: Sequence[str] | None) -> list[sa.Row[Any]]:
    t = td.detect_bank_items
    stmt = sa.select(
        t.c.id, t.c.bank, t.c.value, t.c.item, t.c.label, t.c.organisation, t.c.outlet, t.c.status
    ).where(t.c.kind == kind)
    if banks:
        stmt = stmt.where(t.c.bank.in_(list(banks)))
    return list(conn.execute(stmt.order_by(t.c.id)))


def _item_dict(row: sa.Row[Any], kind: str) -> dict[str, Any]:
    return {
        "bank": row.bank,
        "item": row.item,
        "label": row.label,
        "organisation": row.organisation,
        "outlet": row.outlet,
        "item_id": row.id,
        "status": row.status,
        "kind": kind,
    }


def match_video(
    engine: sa.Engine, features: list[VideoFrameHash], banks: Sequence[str] | None = None
) -> list[dict[str, Any]]:
    """The banks' vPDQ items this video matches, best first, with percentages and time ranges."""
    b = td.detect_banks
    with engine.connect() as conn:
        rows = _items(conn, "vpdq", banks)
        settings = {
            r.name: (r.pdq_max_distance, r.pdq_min_quality)
            for r in conn.execute(sa.select(b.c.name, b.c.pdq_max_distance, b.c.pdq_min_quality))
        }
    videos: list[tuple[str, list[VideoFrameHash]]] = []
    kept: list[sa.Row[Any]] = []
    for row in rows:
        try:
            videos.append((str(len(kept)), from_signal(row.value)))
            kept.append(row)
        except ValueError:
            continue
    if not kept:
        return []
    quality = min(settings.get(r.bank, (31, 50))[1] for r in kept)
    radius = max(settings.get(r.bank, (31, 50))[0] for r in kept)
    out = []
    for m in VideoIndex(videos, min_quality=quality).search(features, radius):
        if m.is_match():
            out.append(
                {
                    **_item_dict(kept[int(m.key)], "vpdq"),
                    "query_match_percent": round(m.query_match_percent, 2),
                    "compared_match_percent": round(m.compared_match_percent, 2),
                    "query_ranges": [list(r) for r in m.query_ranges],
                    "compared_ranges": [list(r) for r in m.compared_ranges],
                }
            )
    return out


def file_matches(engine: sa.Engine, path: Path, banks: Sequence[str] | None = None) -> dict[str, Any]:
    """What a video or a document adds to a file's result in ``openiru match``: its media kind,
    and its vPDQ or text matches (``error`` where the file could not be read)."""
    kind = file_kind(path)
    if kind == "video":
        try:
            features = hash_video(path)
        except VideoHashError as exc:
            return {"media": kind, "error": str(exc)}
        found = {"media": kind, "frames": len(features), "matches": match_video(engine, features, banks)}
        read = match_frames_text(engine, path, features, banks)
        found["matches"] += read.pop("matches", [])
        return found | read
    if kind == "document":
        try:
            found = match_document(engine, path, banks)
            images = _images(path, guess_mime(path))
        except (DocumentError, ConfigError) as exc:
            return {"media": kind, "error": str(exc)}
        usable = [i for i in images if i.quality >= DEFAULT_MIN_QUALITY]  # looked up by match()
        found["images"] = [{"page": i.page, "pdq": i.pdq, "quality": i.quality} for i in usable]
        return {"media": kind, **found}
    if kind == "image":
        return {"media": kind, **match_image(engine, path, banks)}
    return {"media": kind, "matches": []}
