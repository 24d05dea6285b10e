"""Alert cards made by the scan from what it writes (issue 14) equal the cards read back from the
database (:func:`~openiru.services.detect.triage.build_cards`), on SQLite and PostgreSQL: hits in
strength order with ties in insertion order, suppressed hits left out, details through JSON."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa

from openiru.detect.evidence import Hit, ScanResult
from openiru.services.collect.ingest import ingest_path
from openiru.services.detect import banks as detect_banks
from openiru.services.detect import scan as detect_scan
from openiru.services.detect.store import load_posts, write_results
from openiru.services.detect.triage import build_cards
from openiru.store import schema
from openiru.store import tables_detect as td

ROOT = Path(__file__).parent.parent
_spec = importlib.util.spec_from_file_location("ingest_benchmark_c", ROOT / "benchmarks" / "ingest.py")
assert _spec and _spec.loader
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


def _stored_cards(conn: sa.Connection) -> dict[tuple[str, str], str]:
    a = td.detect_alerts
    return {
        (r.platform, r.post_id): r.card for r in conn.execute(sa.select(a.c.platform, a.c.post_id, a.c.card))
    }


def _hits(i: int) -> list[Hit]:
    """Several kinds of hit: ties in strength, suppressed ones, spans, details, long floats."""
    hits = [
        Hit("term", 0.5, "lex", None, None, "org", term="w", span=(0, i % 7 + 1)),
        Hit("text", 0.8123456789, "texts", 7, "k7", "org", similarity=0.8123456789),
        Hit("term", 0.5, "lex", None, None, None, term="v", span=(3, 9), detail={"origin": "ocr", "page": i}),
        Hit("pdq", 0.9, "pdq", 3, "item-3", None, media_key="m1", distance=i % 31, suppressed=i % 2 == 0),
        Hit("url", 0.6, "urls", 5, "u5", "x", detail={"quarantined": True, "n": [1, 2.5, None], "s": "é"}),
    ]
    return hits[: 1 + i % len(hits)] if i % 5 else hits


def test_cards_from_the_scans_rows_equal_cards_read_back(engine: sa.Engine, tmp_path: Path) -> None:
    path = bench.write_twarc2(tmp_path / "t.jsonl", 120, seed=3)
    ingest_path(engine, path, "twarc2", after_batch=())
    p = schema.posts
    with engine.begin() as conn:
        keys = [(r.platform, r.post_id) for r in conn.execute(sa.select(p.c.platform, p.c.post_id))]
        posts = load_posts(conn, keys)
        results = [ScanResult(post, _hits(i)) for i, post in enumerate(posts)]
        results[4].hits = [Hit("pdq", 0.9, "pdq", 3, "item-3", None, suppressed=True)]  # no alert
        counts = write_results(conn, results, loaded=True)
        stored = _stored_cards(conn)
        read_back = build_cards(conn, list(stored))
    assert stored == read_back and len(stored) == counts["alerts"] == len(posts) - 1
    assert any('"suppressed"' not in c and '"quarantined":true' in c for c in stored.values())


def test_a_scan_writes_the_cards_build_cards_reads(engine: sa.Engine, tmp_path: Path) -> None:
    path = bench.write_twarc2(tmp_path / "t.jsonl", 300, seed=5)
    ingest_path(engine, path, "twarc2", after_batch=())
    lexicon = tmp_path / "l.csv"
    lexicon.write_text(
        "term,language,kind,label\nbulletin mirror,en,term,x\nrelay sample,en,term,y\nTag7,en,hashtag,z\n"
    )
    detect_banks.import_lexicon(engine, lexicon)
    summary = detect_scan.scan(engine, workers=1, batch_size=97)
    with engine.connect() as conn:
        stored = _stored_cards(conn)
        assert stored == build_cards(conn, list(stored))
    assert summary.alerts == len(stored) > 20
