"""Detection's demo step: import the demo's hash list, lexicon and known texts, scan, and score.

Registered under ``openiru.demo_steps``; :func:`score_against_truth` compares the
alerts with the ground truth the demo planted (``planted_media``,
``planted_texts``, ``planted_terms``) and is what the demo test asserts on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..services.detect.banks import import_hash_list, import_known_texts, import_lexicon
from ..services.detect.scan import scan
from ..store import tables_detect as td

DEMO_HASH_BANK = "demo-hashes"
DEMO_TEXT_BANK = "demo-texts"
DEMO_LEXICON = "demo-lexicon"


def import_demo_assets(engine: sa.Engine, out: Path, truth: dict[str, Any]) -> dict[str, Any]:
    files = truth.get("files", {})
    done: dict[str, Any] = {}
    if files.get("hash_list"):
        done["hashes"] = import_hash_list(engine, out / files["hash_list"], DEMO_HASH_BANK).as_dict()
    if files.get("lexicon"):
        done["lexicon"] = import_lexicon(engine, out / files["lexicon"], DEMO_LEXICON).as_dict()
    if files.get("known_texts"):
        done["known_texts"] = import_known_texts(engine, out / files["known_texts"], DEMO_TEXT_BANK).as_dict()
    return done


def _key(post: dict[str, str]) -> tuple[str, str]:
    return (post["platform"], post["post_id"])


def found_by_matcher(conn: sa.Connection) -> dict[str, set[tuple[str, str]]]:
    """Posts with unsuppressed hits, per family: media (pdq/md5/sha256), text, term."""
    h = td.detect_hits
    rows = conn.execute(
        sa.select(h.c.platform, h.c.post_id, h.c.matcher, h.c.media_key.is_not(None))
        .where(h.c.suppressed.is_(False))
        .distinct()
    ).all()
    found: dict[str, set[tuple[str, str]]] = {"media": set(), "text": set(), "term": set()}
    for platform, post_id, matcher, on_media in rows:
        # text and terms read in an image (OCR) are not the planted post texts: their own family
        family = (
            "media" if matcher in ("pdq", "md5", "sha256") else f"media-{matcher}" if on_media else matcher
        )
        found.setdefault(family, set()).add((platform, post_id))
    return found


def score_against_truth(engine: sa.Engine, truth: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per family: planted posts, found posts, missed and extra (false) posts."""
    expected = {
        "media": {_key(m["post"]) for m in truth.get("planted_media", [])},
        "text": {_key(t["post"]) for t in truth.get("planted_texts", [])},
        "term": {_key(t["post"]) for t in truth.get("planted_terms", [])},
    }
    with engine.connect() as conn:
        found = found_by_matcher(conn)
    report = {}
    for family, planted in expected.items():
        got = found.get(family, set())
        report[family] = {
            "planted": len(planted),
            "found": len(got & planted),
            "missed": sorted(planted - got),
            "extra": sorted(got - planted),
        }
    return report


def demo_step(engine: sa.Engine, out: Path, truth: dict[str, Any]) -> list[str]:
    """Import the detection assets, scan every post, and report against the ground truth."""
    imported = import_demo_assets(engine, Path(out), truth)
    summary = scan(engine)
    counts = ", ".join(f"{k} {v['added']}" for k, v in imported.items())
    lines = [
        f"detection: imported {counts}; "
        f"scanned {summary.posts} posts in {summary.seconds:.1f}s, {summary.alerts} alerts"
    ]
    for family, r in score_against_truth(engine, truth).items():
        lines.append(
            f"detection {family}: {r['found']}/{r['planted']} planted posts found, "
            f"{len(r['missed'])} missed, {len(r['extra'])} not planted"
        )
    return lines
