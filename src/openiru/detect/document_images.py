"""PDQ of the images inside PDF documents (issue 18, item 3).

A magazine re-issued with new pages, or a manual re-typeset, changes the file's MD5 and much
of its text, but its photographs and posters are often the same images.  Each image a PDF's
pages draw (``pypdf``'s ``page.images``: the XObjects, decoded with Pillow) is hashed with
PDQ, so ``bank add DOC.pdf`` adds them as PDQ items (item ``<name> img.<page>.<n>``) and
``match DOC.pdf`` looks them up in the PDQ banks, naming the page of each.

Bounds: at most :data:`MAX_IMAGES` images per document, each at least :data:`MIN_SIDE`
pixels on its short side (icons, rules and bullets are no evidence); an image hashed twice
(a logo on every page) is kept once, at its first page.  An image ``pypdf`` or Pillow cannot
decode (an unsupported filter) is left out; a PDF that cannot be opened is a
:class:`~openiru.detect.documents.DocumentError`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from .documents import MAX_PAGES, DocumentError
from .pdq import pdq_of_image

MAX_IMAGES = 200
MIN_SIDE = 64


def _read_errors() -> tuple[type[BaseException], ...]:
    """What a damaged PDF raises while it is read (pypdf imported here: a scan without documents
    loads no PDF reader, ~0.2 s of its start-up)."""
    from pypdf.errors import PyPdfError

    return (PyPdfError, OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError)


@dataclass(frozen=True, slots=True)
class DocumentImage:
    """One image of a document: the page it is on (from 1), its number there (from 1), its PDQ."""

    page: int
    number: int
    pdq: str
    quality: int


def _hash(image: Image.Image) -> tuple[str, int] | None:
    try:
        image.load()
        if min(image.size) < MIN_SIDE:
            return None
        return pdq_of_image(image)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def pdf_images(path: str | Path) -> list[DocumentImage]:
    """The PDQ of each distinct image inside a PDF's pages, in page order."""
    from pypdf import PdfReader

    read_errors = _read_errors()
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    found: list[DocumentImage] = []
    seen: set[str] = set()
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise DocumentError(f"{Path(path).name}: the PDF is encrypted")
        for page_number, page in enumerate(reader.pages, start=1):
            if page_number > MAX_PAGES or len(found) >= MAX_IMAGES:
                break
            try:
                images = list(page.images)
            except read_errors:
                continue  # this page's images cannot be listed; the others can
            for number, item in enumerate(images, start=1):
                try:
                    image = item.image
                except read_errors:
                    continue
                hashed = _hash(image) if image is not None else None
                if hashed is None or hashed[0] in seen:
                    continue
                seen.add(hashed[0])
                found.append(DocumentImage(page_number, number, hashed[0], hashed[1]))
                if len(found) >= MAX_IMAGES:
                    break
    except read_errors as exc:
        if isinstance(exc, DocumentError):
            raise
        raise DocumentError(f"{Path(path).name}: not a readable PDF ({type(exc).__name__}: {exc})") from None
    return found
