"""Text inside media: OCR of posters (Tesseract) and the pages of PDFs and EPUBs, matched against the
lexicon and the known texts like post text, the evidence citing the text read."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from openiru.detect import ocr
from openiru.detect.documents import DocumentError, document_kind, document_pages, join_pages, split_pages
from openiru.detect.evidence import ScanMedia, ScanPost
from openiru.detect.lexicon import Term
from openiru.detect.matchers import TermMatcher
from openiru.detect.media_text import MediaTextMatcher
from openiru.detect.pipeline import Detector
from openiru.detect.rules import BankItem, BankSpec, Ruleset

KNOWN = (
    "the fictional outlet north meridian bulletin issued its weekly placeholder notice about the harbour "
    "festival schedule and the volunteer rota for the spring cleaning days"
)
needs_ocr = pytest.mark.skipif(
    not ocr.available(), reason="Tesseract (tesseract-ocr) or pytesseract not installed"
)


def poster(
    path: Path,
    lines: list[str],
    background: tuple[int, int, int] = (25, 35, 70),
    ink: tuple[int, int, int] = (250, 235, 190),
) -> Path:
    """A poster with burned-in text, drawn with the font Pillow bundles."""
    image = Image.new("RGB", (960, 540), background)
    draw = ImageDraw.Draw(image)
    shade = tuple(min(255, c + 25) if sum(background) < 384 else c - 25 for c in background)
    for x in range(0, 960, 40):  # a faint pattern behind the text, as posters have
        draw.line([(x, 0), (x + 200, 540)], fill=shade, width=6)
    font = ImageFont.load_default(size=60)
    for row, line in enumerate(lines):
        draw.text((50, 90 + row * 120), line, font=font, fill=ink)
    image.save(path)
    return path


def pdf(path: Path, pages: list[str]) -> Path:
    from fpdf import FPDF

    doc = FPDF()
    doc.set_font("helvetica", size=11)
    for text in pages:
        doc.add_page()
        doc.multi_cell(0, 6, text)
    doc.output(str(path))
    return path


def rules() -> Ruleset:
    return Ruleset(
        banks={"known": BankSpec("known", "text")},
        items=[BankItem(7, "known", "text", KNOWN, "bulletin-1", "fictional")],
        terms=[Term(3, "meridian cause", "en", "term", "fictional slogan", lexicon="slogans")],
    )


@needs_ocr
def test_poster_text_raises_a_term_hit_citing_the_ocr_text(tmp_path: Path) -> None:
    image = poster(tmp_path / "poster.png", ["JOIN THE NORTH", "MERIDIAN CAUSE", "TODAY"])
    post = ScanPost(
        "x", "p1", "a1", "look at this", media=[ScanMedia("sha256:p", path=str(image), mime="image/png")]
    )
    (result,) = Detector(rules(), [MediaTextMatcher(rules()), TermMatcher(rules())]).scan([post])
    (hit,) = [h for h in result.alerting_hits if h.matcher == "term"]
    assert hit.term == "meridian cause" and hit.media_key == "sha256:p" and hit.bank == "slogans"
    evidence = hit.evidence()
    assert evidence["origin"] == "ocr" and "MERIDIAN CAUSE" in evidence["ocr_text"]
    start, end = evidence["text_span"]
    assert evidence["ocr_text"][start:end].lower() == "meridian cause"


@needs_ocr
def test_poster_without_the_term_and_an_unreadable_image_find_nothing(tmp_path: Path) -> None:
    image = poster(
        tmp_path / "calm.png",
        ["SPRING MARKET", "SATURDAY 10-16"],
        background=(230, 230, 220),
        ink=(30, 30, 30),
    )
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\nnot really")
    matcher = MediaTextMatcher(rules())
    post = ScanPost(
        "x",
        "p2",
        "a1",
        media=[
            ScanMedia("k1", path=str(image), mime="image/png"),
            ScanMedia("k2", path=str(broken), mime="image/png"),
        ],
    )
    (result,) = Detector(rules(), [matcher]).scan([post])
    assert result.hits == []
    assert "k2" in matcher.skipped and "k1" not in matcher.skipped
    assert "SPRING MARKET" in ocr.ocr_image(image).text


def test_pdf_whose_page_contains_a_known_text_matches_it(tmp_path: Path) -> None:
    filler = "A neutral page about the fictional town's library opening hours and its reading room. " * 12
    path = pdf(
        tmp_path / "magazine.pdf", ["Issue 4 cover", filler + " " + KNOWN + " " + filler, "Back cover"]
    )
    pages = document_pages(path)
    assert len(pages) == 3 and "harbour" in pages[1]
    post = ScanPost("x", "p3", "a1", media=[ScanMedia("sha256:m", path=str(path), mime="application/pdf")])
    (result,) = Detector(rules(), [MediaTextMatcher(rules())]).scan([post])
    (hit,) = result.alerting_hits
    assert (hit.matcher, hit.item, hit.media_key) == ("text", "bulletin-1", "sha256:m")
    assert hit.similarity is not None and hit.similarity >= 0.8
    assert hit.detail["origin"] == "pdf" and hit.detail["pages"] == [2]
    other = pdf(tmp_path / "other.pdf", [filler])
    (miss,) = Detector(rules(), [MediaTextMatcher(rules())]).scan(
        [ScanPost("x", "p4", "a1", media=[ScanMedia("k", path=str(other), mime="application/pdf")])]
    )
    assert miss.hits == []


def test_stored_text_is_used_and_pages_round_trip() -> None:
    text = join_pages(["one", "two " + KNOWN.upper(), "three"])
    assert split_pages(text)[1].startswith("two ")
    post = ScanPost(
        "x", "p5", "a1", media=[ScanMedia("k", path="/nonexistent.pdf", mime="application/pdf", text=text)]
    )
    (result,) = Detector(rules(), [MediaTextMatcher(rules())]).scan([post])
    assert [(h.matcher, h.detail["pages"]) for h in result.hits] == [("text", [2])]


def test_epub_chapters_are_pages(tmp_path: Path) -> None:
    path = tmp_path / "book.epub"
    with zipfile.ZipFile(path, "w") as book:
        book.writestr("mimetype", "application/epub+zip")
        book.writestr(
            "META-INF/container.xml",
            '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf"/></rootfiles></container>',
        )
        book.writestr(
            "OEBPS/content.opf",
            '<package xmlns="http://www.idpf.org/2007/opf"><manifest>'
            '<item id="c1" href="one.xhtml"/><item id="c2" href="two.xhtml"/></manifest>'
            '<spine><itemref idref="c2"/><itemref idref="c1"/></spine></package>',
        )
        book.writestr("OEBPS/one.xhtml", "<html><body><p>First written</p><script>x()</script></body></html>")
        book.writestr("OEBPS/two.xhtml", f"<html><body><h1>Read first</h1><p>{KNOWN}</p></body></html>")
    assert document_kind(str(path)) == "epub"
    pages = document_pages(path)
    assert pages[0].startswith("Read first") and pages[1] == "First written"


def test_damaged_documents_raise_a_document_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.pdf"
    bad.write_bytes(b"%PDF-1.4\n garbage without objects")
    with pytest.raises(DocumentError, match="bad.pdf"):
        document_pages(bad)
    fake = tmp_path / "fake.epub"
    fake.write_bytes(b"not a zip")
    with pytest.raises(DocumentError, match="fake.epub"):
        document_pages(fake)
    assert document_kind("a.PDF") == "pdf" and document_kind("a.png", "image/png") is None
