"""What was read from media files once, so that a re-scan does not decode them again.

``media_features`` holds, per media row (``media_key``, the content-addressed key of
``media``), the vPDQ signal of a video (ThreatExchange's ``VideoVPDQSignal`` form: a JSON list
of ``"<pdq hex>,<quality>,<timestamp>"`` strings), the text read from it (OCR of an image,
or a PDF/EPUB's pages joined by form feeds) with its ``text_origin`` (``ocr``, ``pdf``,
``epub``) and the OCR languages, and ``error``: why a file could not be read (no ffmpeg or
Tesseract, a damaged file), so that it is not tried again on every scan, and ``image_pdqs``: the PDQ of the images inside
a PDF.  Migrations ``0010_media_features`` and ``0016_document_images``.
"""

from __future__ import annotations

import sqlalchemy as sa

from .schema import TS, metadata

media_features = sa.Table(
    "media_features",
    metadata,
    sa.Column("media_key", sa.String(600), primary_key=True),
    sa.Column("vpdq", sa.Text),
    sa.Column("vpdq_frames", sa.Integer),
    sa.Column("text", sa.Text),
    sa.Column("text_origin", sa.String(16)),
    sa.Column("ocr_languages", sa.String(100)),
    sa.Column("error", sa.Text),
    sa.Column("computed_at", TS, nullable=False),
    #: a PDF's images as JSON ``[[page, number, pdq, quality], ...]`` (``[]``: none; NULL: not read yet)
    sa.Column("image_pdqs", sa.Text),
)
