"""Text in images: OCR with Tesseract (Debian's ``tesseract-ocr``) through ``pytesseract``.

Posters, infographics and quote cards carry their message as text burned into the image;
reading it back lets the lexicon, known-text and classifier matchers see it like post text
(:mod:`openiru.detect.media_text`).  Tesseract is the engine: its trained data ships in
Debian packages (``tesseract-ocr-ara``, ``-fas``, ``-urd``, ``-pus``, ``-rus``, ``-tur``,
``-fra``, ``-deu``, ``-eng``), read from the local ``tessdata`` folder, so nothing is ever
downloaded at run time (air-gapped).  ``pytesseract`` runs the ``tesseract`` binary on an
image handed over through a temporary file of its own, then removed.

Languages: ``OPENIRU_OCR_LANGUAGES`` (Tesseract's ``eng+ara+...`` form) chooses them, by
default English and Arabic, the scripts most releases use; each language added slows
recognition (see ``benchmarks/media.py``).  Languages whose data is not installed are left
out; with none left, or without the binary, :class:`OCRUnavailable` says what to install.

Before recognition the image is made grey, light text on a dark background is inverted
(Tesseract's LSTM reads dark on light best) and small images are enlarged to about
1,600 pixels wide, since Tesseract wants letters some 20-30 pixels high.
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageOps

try:  # the Python wrapper; the engine itself is Debian's tesseract-ocr
    import pytesseract
except ImportError:  # pragma: no cover - depends on the machine
    pytesseract = None

#: The languages OpenIRU's deployments read (Tesseract codes), and the default subset.
SUPPORTED_LANGUAGES = ("eng", "ara", "fas", "urd", "pus", "rus", "tur", "fra", "deu")
DEFAULT_LANGUAGES = "eng+ara"
#: Images narrower than this are enlarged to it before recognition.
MIN_WIDTH = 1600
#: Larger images are reduced to this many pixels (bounds memory and time on huge scans).
MAX_PIXELS = 16_000_000
#: Tesseract's page segmentation mode: 6, one block of text (posters and quote cards are laid out
#: as one; the automatic mode 3 lost whole lines of Arabic posters in ``benchmarks/media.py``).
PAGE_SEGMENTATION = 6
#: Seconds Tesseract may take on one image before it is given up.
TIMEOUT = 60


class OCRUnavailable(RuntimeError):
    """No OCR engine here (pytesseract or the tesseract binary or its language data missing)."""


class OCRError(RuntimeError):
    """An image that could not be read or recognised."""


@dataclass(frozen=True, slots=True)
class OCRText:
    """The text Tesseract read in one image, and the languages it read with."""

    text: str
    languages: str


def tesseract_path() -> str | None:
    """The ``tesseract`` executable, or None where it is not installed."""
    return shutil.which("tesseract")


@lru_cache(maxsize=1)
def installed_languages() -> frozenset[str]:
    """The languages whose trained data Tesseract finds here (empty without Tesseract)."""
    if pytesseract is None or tesseract_path() is None:
        return frozenset()
    try:
        return frozenset(pytesseract.get_languages(config=""))
    except (OSError, RuntimeError, pytesseract.TesseractError):  # pragma: no cover - broken install
        return frozenset()


def ocr_languages(wanted: str | None = None) -> str:
    """``wanted`` (else ``OPENIRU_OCR_LANGUAGES``, else the default) less what is not installed."""
    if pytesseract is None:
        raise OCRUnavailable(
            "pytesseract is not installed (pip install pytesseract); text in images is not read"
        )
    if tesseract_path() is None:
        raise OCRUnavailable(
            "Tesseract is not installed (Debian: apt-get install tesseract-ocr "
            "tesseract-ocr-ara ...); text in images is not read"
        )
    names = [
        n
        for n in re.split(
            r"[+,\s]+", wanted or os.environ.get("OPENIRU_OCR_LANGUAGES", "") or DEFAULT_LANGUAGES
        )
        if n
    ]
    have = installed_languages()
    kept = [n for n in dict.fromkeys(names) if n in have]
    if not kept:
        raise OCRUnavailable(
            f"no Tesseract language data for {'+'.join(names)} "
            f"(Debian: tesseract-ocr-{names[0] if names else 'eng'})"
        )
    return "+".join(kept)


def available() -> bool:
    """Whether images can be OCR'd here with the configured languages."""
    try:
        ocr_languages()
    except OCRUnavailable:
        return False
    return True


def prepare(image: Image.Image) -> Image.Image:
    """Grey, dark text on light, and a size Tesseract reads well."""
    grey = ImageOps.exif_transpose(image).convert("L")
    if grey.width * grey.height > MAX_PIXELS:
        scale = (MAX_PIXELS / (grey.width * grey.height)) ** 0.5
        grey = grey.resize((max(1, int(grey.width * scale)), max(1, int(grey.height * scale))))
    elif 0 < grey.width < MIN_WIDTH:
        scale = MIN_WIDTH / grey.width
        grey = grey.resize((MIN_WIDTH, max(1, int(grey.height * scale))), Image.Resampling.LANCZOS)
    histogram = grey.histogram()
    mean = sum(i * n for i, n in enumerate(histogram)) / max(1, sum(histogram))
    return ImageOps.invert(grey) if mean < 110 else grey


def clean_text(text: str) -> str:
    """Tesseract's output with blank lines and trailing spaces removed."""
    lines = (" ".join(line.split()) for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def ocr_image(image: Image.Image | str | Path, languages: str | None = None) -> OCRText:
    """The text in an image (a PIL image or a file), read with ``languages`` (see :func:`ocr_languages`)."""
    langs = ocr_languages(languages)
    assert pytesseract is not None
    try:
        if isinstance(image, (str, Path)):
            with Image.open(image) as opened:
                opened.load()
                prepared = prepare(opened)
        else:
            prepared = prepare(image)
    except (OSError, ValueError, Image.DecompressionBombError) as exc:
        raise OCRError(f"not a readable image: {exc}") from None
    try:
        text = pytesseract.image_to_string(
            prepared, lang=langs, config=f"--psm {PAGE_SEGMENTATION}", timeout=TIMEOUT
        )
    except RuntimeError as exc:  # pytesseract's timeout, and TesseractError (a RuntimeError)
        raise OCRError(f"Tesseract failed: {str(exc).strip()[:200]}") from None
    return OCRText(clean_text(text), langs)
