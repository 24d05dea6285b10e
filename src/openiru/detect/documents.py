"""Documents (PDF magazines and manuals, EPUB books): their text, page by page.

A known text met inside a magazine is found by matching each page's text as known texts
are matched in posts (:mod:`openiru.detect.media_text`); the file itself is matched by its
MD5/SHA-256 like any medium.  PDF text comes from ``pypdf`` (pure Python, no poppler);
an EPUB is a ZIP of XHTML chapters, read with the standard library (one chapter a "page",
in the order of the package's spine).

Pages are joined with form feeds (``"\\f"``, as ``pdftotext`` separates them), which is how
a document's text is stored and handed to the matchers (:func:`split_pages`).  Bounds keep
a hostile file from exhausting the host: at most ``MAX_PAGES`` pages and ``MAX_CHARS``
characters are kept; a damaged or encrypted file is a :class:`DocumentError` naming why.
"""

from __future__ import annotations

import logging
import posixpath
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from xml.etree import ElementTree

PDF_SUFFIXES = frozenset({".pdf"})
EPUB_SUFFIXES = frozenset({".epub"})
DOCUMENT_MIMES = {"application/pdf": "pdf", "application/epub+zip": "epub"}
MAX_PAGES = 2000
MAX_CHARS = 5_000_000
PAGE_BREAK = "\f"


class DocumentError(ValueError):
    """A document whose text could not be read (damaged, encrypted, not what its name says)."""


def document_kind(path: str | None, mime: str | None = None) -> str | None:
    """``"pdf"`` or ``"epub"`` by MIME type, else by file name; None for other media."""
    if mime and mime.lower() in DOCUMENT_MIMES:
        return DOCUMENT_MIMES[mime.lower()]
    if mime and not mime.lower().startswith(("application/octet-stream", "application/zip")):
        return None
    suffix = Path(path or "").suffix.lower()
    return "pdf" if suffix in PDF_SUFFIXES else "epub" if suffix in EPUB_SUFFIXES else None


def _bounded(pages: list[str]) -> list[str]:
    kept, total = [], 0
    for page in pages[:MAX_PAGES]:
        page = page.replace(PAGE_BREAK, " ")[: max(0, MAX_CHARS - total)]
        total += len(page)
        kept.append(page)
    return kept


def pdf_pages(path: str | Path) -> list[str]:
    """The text of each page of a PDF (``pypdf``'s layout-free extraction)."""
    from pypdf import PdfReader  # here: a scan without documents loads no PDF reader (~0.2 s)
    from pypdf.errors import PyPdfError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damaged files log each repair
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{Path(path).name}: the PDF is encrypted")
        pages = []
        for number, page in enumerate(reader.pages):
            if number >= MAX_PAGES:
                break
            pages.append(page.extract_text() or "")
    except (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
        if isinstance(exc, DocumentError):
            raise
        raise DocumentError(f"{Path(path).name}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    return _bounded(pages)


class _TextOf(HTMLParser):
    """The visible text of an XHTML chapter (scripts and styles left out)."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("p", "div", "br", "h1", "h2", "h3", "h4", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _xhtml_text(data: bytes) -> str:
    parser = _TextOf()
    parser.feed(data.decode("utf-8", "replace"))
    parser.close()
    return re.sub(r"[ \t]+", " ", "".join(parser.parts)).strip()


def epub_pages(path: str | Path) -> list[str]:
    """The text of each chapter of an EPUB, in spine order."""
    try:
        with zipfile.ZipFile(path) as book:
            container = ElementTree.fromstring(book.read("META-INF/container.xml"))
            rootfile = next(e.get("full-path") for e in container.iter() if e.tag.endswith("rootfile"))
            opf = ElementTree.fromstring(book.read(rootfile or ""))
            base = posixpath.dirname(rootfile or "")
            manifest = {e.get("id"): e.get("href") for e in opf.iter() if e.tag.endswith("}item")}
            spine = [e.get("idref") for e in opf.iter() if e.tag.endswith("}itemref")]
            pages, total = [], 0
            for idref in spine[:MAX_PAGES]:
                href = manifest.get(idref)
                if not href:
                    continue
                info = book.getinfo(posixpath.normpath(posixpath.join(base, href)))
                if info.file_size > MAX_CHARS * 4 or total > MAX_CHARS:
                    break
                total += info.file_size
                pages.append(_xhtml_text(book.read(info)))
    except (zipfile.BadZipFile, KeyError, StopIteration, ElementTree.ParseError, OSError, ValueError) as exc:
        raise DocumentError(f"{Path(path).name}: not a readable EPUB ({type(exc).__name__}: {exc})") from None
    return _bounded(pages)


def document_pages(path: str | Path, kind: str | None = None) -> list[str]:
    """The pages of a PDF or an EPUB (``kind`` from the file name where not given)."""
    kind = kind or document_kind(str(path))
    if kind == "pdf":
        return pdf_pages(path)
    if kind == "epub":
        return epub_pages(path)
    raise DocumentError(f"{Path(path).name}: not a PDF or EPUB document")


def join_pages(pages: list[str]) -> str:
    """Pages as one stored text, separated by form feeds."""
    return PAGE_BREAK.join(pages)


def split_pages(text: str) -> list[str]:
    """The inverse of :func:`join_pages`."""
    return text.split(PAGE_BREAK)
