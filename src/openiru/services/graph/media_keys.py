"""The graph's content key of each posted medium, with media that are one content joined (issue 18).

:func:`media_content_keys` starts from each medium's own key (``pdq:<hash>`` where a good PDQ is
known, else ``sha256:<hash>``) and joins, through
:func:`openiru.graph.media_identity.same_content_keys`:

* media that detection matched to the same bank item: the ``detect_hits`` rows with a
  ``media_key`` whose matcher names the content itself (PDQ, vPDQ, pdq+OCR, exact hashes, and
  a known text found in an image's OCR text; not a lexicon term, and not a known text quoted
  inside a document, which holds many texts), unsuppressed;
* videos of the corpus that match each other by vPDQ without any bank: the vPDQ signals stored
  in ``media_features`` for the posted media, compared all against all in one frame index
  (:meth:`openiru.detect.video_match.VideoIndex.similar_pairs`).

A store without the detection or media-feature tables (structure only) keeps the media's own keys.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from ...detect.video import VideoFrameHash, from_signal
from ...detect.video_match import VideoIndex
from ...graph.media_identity import SAME_CONTENT_MATCHERS, item_key, same_content_keys
from ...store import tables_media as tm
from ...store.tables_detect import detect_hits

log = logging.getLogger(__name__)


@contextmanager
def _optional_table(what: str) -> Iterator[None]:
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:  # table not there
        log.info("no %s: %s", what, exc.__class__.__name__)


def _origin(detail: Any) -> str | None:
    if isinstance(detail, str):
        try:
            detail = json.loads(detail)
        except ValueError:
            return None
    return detail.get("origin") if isinstance(detail, dict) else None


def bank_items(conn: sa.Connection, keys: Collection[str]) -> list[tuple[str, str]]:
    """(media key, item key) of every unsuppressed hit naming a medium's content."""
    h = detect_hits
    out: list[tuple[str, str]] = []
    query = sa.select(h.c.media_key, h.c.matcher, h.c.bank, h.c.item, h.c.item_id, h.c.detail).where(
        h.c.matcher.in_(sorted(SAME_CONTENT_MATCHERS)),
        h.c.suppressed.is_(False),
        h.c.bank.is_not(None),
        h.c.item_id.is_not(None),
    )
    with _optional_table("detection hits"), conn.begin_nested():
        for r in conn.execute(query.where(h.c.media_key.is_not(None))):  # fewer hits than media
            if r.media_key not in keys:
                continue
            if r.matcher == "text" and _origin(r.detail) != "ocr":
                continue  # a known text quoted in a document: the document is not that text
            out.append((r.media_key, item_key(r.bank, r.item, r.item_id)))
    return out


def similar_videos(conn: sa.Connection, keys: Collection[str]) -> list[tuple[str, str]]:
    """Pairs of posted videos whose stored vPDQ signals match each other."""
    t = tm.media_features
    videos: list[tuple[str, list[VideoFrameHash]]] = []
    with _optional_table("media features"), conn.begin_nested():
        for r in conn.execute(sa.select(t.c.media_key, t.c.vpdq).where(t.c.vpdq.is_not(None))):
            if r.media_key not in keys:
                continue  # a video not posted in the graph's posts
            try:
                videos.append((r.media_key, from_signal(r.vpdq)))
            except ValueError:
                continue  # a damaged signal: the video keeps its own key
    if len(videos) < 2:
        return []
    return VideoIndex(videos).similar_pairs()


def media_content_keys(
    conn: sa.Connection, base: Mapping[str, str], with_detection: bool = True
) -> dict[str, str]:
    """Media key -> content key for the media of ``base`` (media key -> its own content key)."""
    if not base:
        return {}
    items = bank_items(conn, base) if with_detection else []
    return same_content_keys(base, items, similar_videos(conn, base))
