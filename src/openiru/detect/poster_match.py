"""The ``pdq+ocr`` matcher: a known poster re-made on a new background (hits ``pdq+ocr``).

A poster's message is its text; re-made on another background, with another colour or a
shifted layout, its PDQ hash moves beyond the match distance (31) while the text stays the
same.  Posters with the same layout but other words move PDQ about as far: measured on
Pillow-drawn posters (``tests/test_poster_match.py``), re-makes of one poster lay at PDQ
distances 48-80 from it, other posters on the very same background at 88-92, random images
around 128.  So neither figure alone tells a re-make, and both together do: a hit needs

* the PDQ distance above the bank's ``pdq_max_distance`` (below it, the ``pdq`` matcher hits
  already) and at most :data:`LOOSE_PDQ_DISTANCE` (90);
* the similarity of the OCR texts, normalised as post text is (:mod:`.normalise`), at least
  the bank's ``text_min_similarity`` (0.8): difflib's ratio of the two normalised texts
  (2 × matched characters / both lengths), which OCR's stray letters barely move;
* at least :data:`MIN_TEXT_CHARS` normalised characters of text on both (a two-word poster
  is no evidence).

The bank side is an ``ocr`` item, written by ``openiru bank add IMAGE`` next to the image's
``pdq`` item under the same item name: its value is the PDQ hex, a space, then the text
Tesseract read (on one line).  The scanned side is ``ScanMedia.pdq`` with ``ScanMedia.text`` (the OCR
text stored at scan), or, where no text is known yet, the image file OCR'd here once.  The
evidence carries both figures (``pdq_distance``, ``text_similarity``), the text read and the
bank item's text; the strength is 0.9 × the text similarity.
"""

from __future__ import annotations

from collections.abc import Sequence
from difflib import SequenceMatcher

import numpy as np

from .evidence import Hit, ScanMedia, ScanPost, ScanResult
from .matcher import MEDIA, BuiltinMatcher, MatcherExample
from .media_text import is_image
from .normalise import normalise
from .ocr import OCRError, OCRUnavailable, ocr_image
from .pdq import hex_to_bytes, is_pdq_hex
from .pdq_index import PDQIndex
from .rules import BankItem, BankSpec, Ruleset

LOOSE_PDQ_DISTANCE = 90
MIN_TEXT_CHARS = 12
#: characters of normalised text compared (posters are short; this bounds difflib's time)
COMPARED_CHARS = 2000
CITED_CHARS = 1000


def ocr_value(pdq: str, text: str) -> str:
    """An ``ocr`` bank item's value, on one line (as hash-list files want it): the poster's PDQ
    hex, a space, its OCR text with line breaks and runs of spaces made single spaces."""
    return f"{pdq.lower()} {' '.join(text.split())}"


def parse_ocr_value(value: str) -> tuple[str, str] | None:
    """(PDQ hex, text) of an ``ocr`` item's value, or None when it is not one."""
    pdq, _, text = value.strip().partition(" ")
    pdq = pdq.lower()
    return (pdq, text.strip()) if is_pdq_hex(pdq) and text.strip() else None


def text_similarity(a: str, b: str) -> float:
    """difflib's ratio of two normalised texts (1.0: the same characters in the same order)."""
    return SequenceMatcher(None, a[:COMPARED_CHARS], b[:COMPARED_CHARS], autojunk=False).ratio()


class PosterMatcher(BuiltinMatcher):
    """PDQ within a loose distance and OCR text alike: a poster re-made on a new background."""

    name, kind, order = "pdq+ocr", MEDIA, 35

    def __init__(self, ruleset: Ruleset, loose_distance: int = LOOSE_PDQ_DISTANCE) -> None:
        self.ruleset = ruleset
        self.loose_distance = loose_distance
        self.items: list[tuple[BankItem, str, str]] = []  # (item, normalised text, text as read)
        hashes: list[str] = []
        for item in ruleset.items:
            parsed = parse_ocr_value(item.value) if item.kind == "ocr" else None
            if parsed is None or item.bank not in ruleset.banks:
                continue
            norm = normalise(parsed[1])
            if len(norm) >= MIN_TEXT_CHARS:
                self.items.append((item, norm, parsed[1]))
                hashes.append(parsed[0])
        self.index = PDQIndex(hex_to_bytes(hashes)) if hashes else None
        self.skipped: dict[str, str] = {}

    def _text(self, media: ScanMedia, cache: dict[str, str | None]) -> str | None:
        if media.text is not None:
            return media.text
        path = media.path or ""
        if not path or not is_image(media):
            return None
        if path not in cache:
            try:
                cache[path] = ocr_image(path).text
            except (OCRUnavailable, OCRError, OSError) as exc:
                cache[path] = None
                self.skipped[media.key] = str(exc)
        return cache[path]

    def apply(self, results: Sequence[ScanResult], normalised: Sequence[str]) -> None:
        if self.index is None:
            return
        queries = [
            (result, media)
            for result in results
            for media in result.post.media
            if media.pdq and is_pdq_hex(media.pdq)
        ]
        if not queries:
            return
        # brute force: every pair within the loose distance (the multi-index's probes grow
        # steeply past distance 31, and the bank holds one ocr item per poster added)
        found = self.index.brute_force(hex_to_bytes([m.pdq or "" for _, m in queries]), self.loose_distance)
        cache: dict[str, str | None] = {}
        for q, (idx, dist) in enumerate(found.per_query(len(queries))):
            result, media = queries[q]
            read: str | None = None
            for i, d in zip(idx.tolist(), dist.tolist(), strict=True):
                item, known, known_text = self.items[i]
                spec = self.ruleset.banks[item.bank]
                if d <= spec.pdq_max_distance:
                    continue  # the pdq matcher's hit
                if media.pdq_quality is not None and media.pdq_quality < spec.pdq_min_quality:
                    continue
                if read is None:
                    read = normalise(self._text(media, cache) or "")
                if len(read) < MIN_TEXT_CHARS:
                    break
                similarity = text_similarity(read, known)
                if similarity < spec.text_min_similarity:
                    continue
                detail = {
                    "pdq_distance": int(d),
                    "text_similarity": round(similarity, 3),
                    "origin": "ocr",
                    "ocr_text": (media.text or "")[:CITED_CHARS] or read[:CITED_CHARS],
                    "bank_text": known_text[:CITED_CHARS],
                }
                result.hits.append(
                    Hit(
                        self.name,
                        round(0.9 * similarity, 4),
                        item.bank,
                        item.id,
                        item.item,
                        item.label,
                        media_key=media.key,
                        distance=int(d),
                        similarity=round(similarity, 4),
                        detail=detail,
                    )
                )

    @classmethod
    def get_examples(cls) -> list[MatcherExample]:
        rng = np.random.default_rng(18)
        known = rng.integers(0, 256, size=32, dtype=np.uint8)
        remade = known.copy()
        remade[:7] ^= 0xFF  # 56 bits off: beyond 31, within 90
        text = "HARBOUR FESTIVAL\nvolunteers meet at the north gate at noon"
        rules = Ruleset(
            banks={"p": BankSpec("p", "pdq")},
            items=[BankItem(1, "p", "ocr", ocr_value(bytes(known).hex(), text), "poster-1", "fictional")],
        )

        def medium(key: str, pdq: np.ndarray, read: str) -> ScanMedia:
            return ScanMedia(key, mime="image/png", pdq=bytes(pdq).hex(), pdq_quality=90, text=read)

        far = known.copy()
        far[:14] ^= 0xFF  # 112 bits off
        hit = [ScanPost("example", "p1", "a1", media=[medium("m1", remade, text.upper().replace("\n", " "))])]
        miss = [
            ScanPost(
                "example", "p2", "a1", media=[medium("m2", remade, "GARDEN READING every friday evening")]
            ),
            ScanPost("example", "p3", "a1", media=[medium("m3", far, text)]),
            ScanPost("example", "p4", "a1", media=[medium("m4", known, text)]),  # the pdq matcher's
        ]
        return [MatcherExample(rules, hit, miss)]
