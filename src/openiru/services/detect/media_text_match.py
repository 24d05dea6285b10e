"""The text inside media files against the banks, for ``openiru match``: documents, images, videos.

A document's pages, the text Tesseract reads in an image, and the text of a few of a video's
frames (one per scene, :mod:`openiru.detect.video_text`) go through the media-text matcher
(:class:`~openiru.detect.media_text.MediaTextMatcher`: lexicon terms and known texts, as at
scan); an image's PDQ with its text also through the ``pdq+ocr`` matcher
(:class:`~openiru.detect.poster_match.PosterMatcher`, a known poster re-made on a new
background).  Each match names its bank item and kind, with what locates it: the ``page`` or
``pages``, the ``text_span`` in the OCR text, the ``frame_time(s)``, the ``pdq_distance`` and
``text_similarity``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ...detect import ocr
from ...detect.documents import document_kind, document_pages, join_pages
from ...detect.evidence import Hit, ScanMedia, ScanPost
from ...detect.media_text import CITED_CHARS, MediaTextMatcher
from ...detect.pdq import pdq_of_file
from ...detect.poster_match import PosterMatcher
from ...detect.rules import Ruleset
from ...detect.video import VideoFrameHash, VideoHashError
from ...detect.video_text import frames_text, pick_times, read_frames_text
from ...sources.media import guess_mime
from .banks import load_ruleset


def match_document(engine: sa.Engine, path: Path, banks: Sequence[str] | None = None) -> dict[str, Any]:
    """``{"pages": n, "matches": [...]}``: known texts and lexicon terms in a document's pages."""
    ruleset = _text_ruleset(engine, banks)
    kind = document_kind(str(path), guess_mime(path)) or "pdf"
    pages = document_pages(path, kind)
    mime = {"pdf": "application/pdf", "epub": "application/epub+zip"}[kind]
    media = ScanMedia("input", path=str(path), mime=mime, text=join_pages(pages))
    results = MediaTextMatcher(ruleset).scan([ScanPost("match", "input", "input", media=[media])], [""])[0]
    return {"pages": len(pages), "matches": [_hit_dict(hit) for hit in results]}


#: evidence keys a text or pdq+ocr match carries into ``openiru match``'s result
_DETAIL_KEYS = (
    "origin",
    "pages",
    "page",
    "excerpt",
    "text_span",
    "pdq_distance",
    "text_similarity",
    "frame_time",
    "frame_times",
)


def _hit_dict(hit: Hit) -> dict[str, Any]:
    found: dict[str, Any] = {
        "bank": hit.bank,
        "item": hit.item,
        "label": hit.label,
        "item_id": hit.item_id,
        "kind": hit.matcher,
    }
    if hit.distance is not None:
        found["distance"] = hit.distance
    if hit.similarity is not None:
        found["similarity"] = hit.similarity
    if hit.term is not None:
        found["term"] = hit.term
    found.update({k: v for k, v in hit.detail.items() if k in _DETAIL_KEYS})
    return found


def _text_ruleset(engine: sa.Engine, banks: Sequence[str] | None) -> Ruleset:
    with engine.connect() as conn:
        ruleset = load_ruleset(conn, include_pdq=False)
    if banks:
        ruleset.items = [i for i in ruleset.items if i.bank in banks]
        ruleset.terms = [t for t in ruleset.terms if t.lexicon in banks]
    return ruleset


def match_frames_text(
    engine: sa.Engine, path: Path, features: list[VideoFrameHash], banks: Sequence[str] | None = None
) -> dict[str, Any]:
    """The text of a few of a video's frames (one per scene, :mod:`openiru.detect.video_text`)
    against the lexicons and known texts: ``frames_text`` (time and text of each frame read)
    and the matches added to the video's, each with its ``frame_time(s)``; nothing without
    Tesseract."""
    if not ocr.available():
        return {}
    try:
        pages = read_frames_text(path, pick_times(features))
    except (ocr.OCRUnavailable, VideoHashError):
        return {}
    text = frames_text(pages)
    media = ScanMedia("input", path=str(path), mime="video/mp4", text=text)
    post = [ScanPost("match", "input", "input", media=[media])]
    hits = MediaTextMatcher(_text_ruleset(engine, banks)).scan(post, [""])[0]
    return {
        "frames_text": [{"time": t, "text": x[:CITED_CHARS]} for t, x in pages],
        "matches": [_hit_dict(hit) for hit in hits],
    }


def match_image(engine: sa.Engine, path: Path, banks: Sequence[str] | None = None) -> dict[str, Any]:
    """``{"ocr_text": ..., "matches": [...]}``: the image's text (Tesseract) against the lexicons
    and known texts, and its PDQ with that text against the banks' posters (``pdq+ocr``); without
    Tesseract, ``ocr_error`` says why (its PDQ and exact hashes are still looked up)."""
    try:
        text = ocr.ocr_image(path).text
    except (ocr.OCRUnavailable, ocr.OCRError) as exc:
        return {"ocr_error": str(exc), "matches": []}
    ruleset = _text_ruleset(engine, banks)
    try:
        pdq, quality = pdq_of_file(path)
    except (OSError, ValueError, SyntaxError):
        pdq, quality = None, None
    mime = guess_mime(path) or "image/png"
    media = ScanMedia("input", path=str(path), mime=mime, pdq=pdq, pdq_quality=quality, text=text)
    post = [ScanPost("match", "input", "input", media=[media])]
    hits = [*MediaTextMatcher(ruleset).scan(post, [""])[0], *PosterMatcher(ruleset).scan(post, [""])[0]]
    return {"ocr_text": text[:CITED_CHARS], "matches": [_hit_dict(hit) for hit in hits]}
