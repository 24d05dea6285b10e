"""The ``media-text`` matcher: text inside media (OCR of images, pages of documents) against
the lexicons and known texts (hits ``term`` and ``text``).

A medium's text is ``ScanMedia.text`` where it was read already (stored at scan time by
the media-features service), else it is read here from ``ScanMedia.path`` (the media
store's copy): an image through Tesseract (:mod:`openiru.detect.ocr`), a PDF or EPUB page by
page (:mod:`openiru.detect.documents`).  The text then takes the path post text takes:
normalisation, the lexicon (Aho-Corasick) and the known texts (MinHash LSH).  A document's
pages are matched one by one, and in windows of 400 and 1,600 normalised characters, so a
known text printed inside a long page still scores by containment.

Hits are ``term`` and ``text`` hits like those on post text, with ``media_key`` set and the
evidence citing where the text came from: ``origin`` (``ocr``, ``pdf``/``epub`` or ``video``),
the OCR text (``ocr_text``, up to 2,000 characters) or the pages and an excerpt, and the term's
span in that text.  A video's text is that of a few of its frames, read at scan
(:mod:`.video_text`; never here from the file): each hit names the ``frame_time`` (terms) or
``frame_times`` (known texts) it was read at, with that frame's ``ocr_text``.  A medium that cannot be read (no Tesseract, a damaged file) is left
out, with the reason in :attr:`MediaTextMatcher.skipped`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .documents import DocumentError, document_kind, document_pages, join_pages, split_pages
from .evidence import TERM_STRENGTH, Hit, ScanMedia, ScanPost, ScanResult
from .lexicon import LexiconMatcher, Term
from .matcher import MEDIA, BuiltinMatcher, MatcherExample
from .neardup import KnownText, KnownTextIndex
from .normalise import normalise_with_offsets, original_span
from .ocr import OCRError, OCRUnavailable, ocr_image
from .rules import BankItem, BankSpec, Ruleset
from .video_matcher import is_video
from .video_text import parse_frames_text

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff"})
#: (window, step) in normalised characters for matching known texts inside long pages
WINDOWS = ((400, 200), (1600, 800))
CITED_CHARS = 2000


def is_image(media: ScanMedia) -> bool:
    """Whether a medium is a still image (by MIME type, else by file name)."""
    if media.mime:
        return media.mime.lower().startswith("image/")
    return Path(media.path or "").suffix.lower() in IMAGE_SUFFIXES


def media_origin(media: ScanMedia) -> str | None:
    """``ocr`` for an image, ``pdf``/``epub`` for a document, ``video`` for a video whose frames'
    text was read at scan (:mod:`.video_text`), None for media without text."""
    if is_video(media):
        return "video" if media.text else None
    kind = document_kind(media.path, media.mime)
    return kind or ("ocr" if is_image(media) else None)


def read_text(path: str, origin: str) -> str:
    """The text of a medium's file: OCR for an image, pages joined by form feeds for a document."""
    if origin == "ocr":
        return ocr_image(path).text
    return join_pages(document_pages(path, origin))


def _windows(norm: str) -> list[str]:
    out = [norm]
    for size, step in WINDOWS:
        if len(norm) > size:
            out += [norm[i : i + size] for i in range(0, len(norm) - step, step)]
    return out


class MediaTextMatcher(BuiltinMatcher):
    """Lexicon terms and known texts in the text of images (OCR) and documents (pages)."""

    name, kind, order = "media-text", MEDIA, 30

    def __init__(self, ruleset: Ruleset) -> None:
        self.ruleset = ruleset
        self.items: dict[int, BankItem] = {
            item.id: item
            for item in ruleset.items
            if item.kind == "text" and ruleset.banks.get(item.bank) is not None
        }
        self.compiled: tuple[LexiconMatcher, KnownTextIndex] | None = None
        self.skipped: dict[str, str] = {}

    def _compiled(self) -> tuple[LexiconMatcher, KnownTextIndex]:
        """The lexicon's automaton and the known texts' index, built at the first medium with text:
        most scans meet none (no image or document with a stored file), and building both again
        beside the text matchers' took ~0.5 s of every ``openiru scan``'s start."""
        if self.compiled is None:
            banks = self.ruleset.banks
            known = [
                KnownText(i.id, i.value, i.item, i.label, i.bank, banks[i.bank].text_min_similarity)
                for i in self.items.values()
            ]
            self.compiled = (LexiconMatcher(self.ruleset.terms), KnownTextIndex(known))
        return self.compiled

    def _text(self, media: ScanMedia, origin: str, cache: dict[str, str | None]) -> str | None:
        if media.text is not None:
            return media.text
        path = media.path or ""
        if not path:
            return None
        if path not in cache:
            try:
                cache[path] = read_text(path, origin)
            except (OCRUnavailable, OCRError, DocumentError, OSError) as exc:
                cache[path] = None
                self.skipped[media.key] = str(exc)
        return cache[path]

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        if not self.ruleset.terms and not self.items:
            return
        cache: dict[str, str | None] = {}
        for result in results:
            for media in result.post.media:
                origin = media_origin(media)
                if origin is None:
                    continue
                text = self._text(media, origin, cache)
                if text and text.strip():
                    self._match(result, media, origin, text)

    def _match(self, result: ScanResult, media: ScanMedia, origin: str, text: str) -> None:
        times: list[float | None] = []
        if origin == "video":  # one page per frame read, headed by its time
            times, pages = (list(column) for column in zip(*parse_frames_text(text), strict=True))
        else:
            pages = [text] if origin == "ocr" else split_pages(text)
        cite: dict[str, Any] = {"origin": origin}
        if origin == "ocr":
            cite["ocr_text"] = text[:CITED_CHARS]
        seen_terms: set[int] = set()
        best: dict[int, tuple[float, list[int], str]] = {}
        lexicon, known = self._compiled()
        for number, page in enumerate(pages, start=1):
            norm, offsets = normalise_with_offsets(page)
            for m in lexicon.find(norm):
                if m.term.id in seen_terms:
                    continue
                seen_terms.add(m.term.id)
                start, end = original_span(offsets, m.start, m.end, len(page))
                detail: dict[str, Any] = {
                    **cite,
                    "kind": m.term.kind,
                    "language": m.term.language or None,
                    "text_span": [start, end],
                }
                if origin == "video":
                    detail.update(frame_time=times[number - 1], ocr_text=page[:CITED_CHARS])
                elif origin != "ocr":
                    detail.update(page=number, excerpt=page[max(0, start - 200) : end + 200])
                result.hits.append(
                    Hit(
                        "term",
                        TERM_STRENGTH.get(m.term.kind, 0.5),
                        m.term.lexicon,
                        m.term.id,
                        m.term.term,
                        m.term.label,
                        media_key=media.key,
                        term=m.term.term,
                        detail=detail,
                    )
                )
            if not len(known):
                continue
            for matches in known.find_batch(_windows(norm)):
                for match in matches:
                    score, numbers, excerpt = best.get(match.known.id, (0.0, [], page))
                    if number not in numbers:
                        numbers.append(number)
                    best[match.known.id] = (max(score, match.similarity), numbers, excerpt)
        for item_id, (score, numbers, page) in sorted(best.items(), key=lambda kv: -kv[1][0]):
            item = self.items[item_id]
            detail = dict(cite)
            if origin == "video":
                detail.update(frame_times=[times[n - 1] for n in numbers], ocr_text=page[:CITED_CHARS])
            elif origin != "ocr":
                detail.update(pages=numbers, excerpt=page[:CITED_CHARS])
            result.hits.append(
                Hit(
                    "text",
                    score,
                    item.bank,
                    item.id,
                    item.item,
                    item.label,
                    media_key=media.key,
                    similarity=score,
                    detail=detail,
                )
            )

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        known = (
            "the fictional outlet north meridian bulletin issued its weekly placeholder notice about "
            "the harbour festival schedule and the volunteer rota for the spring cleaning days"
        )
        rules = Ruleset(
            banks={"t": BankSpec("t", "text")},
            items=[BankItem(1, "t", "text", known, "item-1")],
            terms=[Term(2, "north meridian", "en", "outlet", "fictional outlet")],
        )
        poster = ScanMedia("m1", mime="image/png", text="JOIN\nNORTH  MERIDIAN\ntoday")
        magazine = ScanMedia(
            "m2",
            mime="application/pdf",
            text="cover page\fcontents: " + known.upper() + " and more\fback page",
        )
        clip = ScanMedia("m5", mime="video/mp4", text="[0.000 s]\nopening\f[4.000 s]\nNORTH MERIDIAN")
        hit = [
            ScanPost("example", "t1", "a1", media=[poster]),
            ScanPost("example", "t2", "a1", media=[magazine]),
            ScanPost("example", "t5", "a1", media=[clip]),
        ]
        miss = [
            ScanPost("example", "t3", "a1", media=[ScanMedia("m3", mime="image/png", text="a sunny day")]),
            ScanPost(
                "example",
                "t4",
                "a1",
                "north meridian only in the post text",
                media=[ScanMedia("m4", mime="video/mp4")],  # no frame text read
            ),
        ]
        return [MatcherExample(rules, hit, miss)]
