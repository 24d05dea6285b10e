"""Retroactive rescans after a lexicon import: only the posts the token index names, same hits as
a rescan of every post (issue 14); terms the index cannot answer re-scan everything."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from openiru.model import AccountKey, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.services.detect import banks as detect_banks
from openiru.services.detect import scan as detect_scan
from openiru.services.detect.tokens import MARKER, index_tokens, post_tokens, term_words
from openiru.sources.base import Record
from openiru.store import tables_detect as td
from source_support import ListSource

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
TEXTS = [
    ("en1", "The Velmor Herald published the notice at dawn", []),
    ("en2", "north and meridian apart, nothing to see", []),
    ("en3", "News from NORTH  Meridian today!", []),
    ("leet", "join the d43sh channel now", []),
    ("spaced", "they wrote d a e s h on the wall", []),
    ("tagged", "forwarded item", ["SilverDawn"]),
    ("intag", "see x#silverdawn and more", []),
    ("ar1", "بيان إلى الأنصار في المدينة", []),
    ("ar2", "بَيَانٌ جديد عن الانصار", []),
    ("ru1", "Новости дня: встреча у ворот", []),
    ("fr1", "Le Héraut de Velmor, édition spéciale", []),
    ("zh1", "今天的新闻很重要", []),
    ("plain1", "weather is fine today", []),
    ("plain2", "a recipe for bread and soup", []),
    ("plain3", "velmor is a town; the herald is a paper", []),
]
BASE_LEXICON = "term,language,kind,label\nbread,en,term,food\n"
NEW_LEXICON = (
    "term,language,kind,label\nVelmor Herald,en,outlet,org\nnorth meridian,en,term,org\n"
    "daesh,en,term,org\n#SilverDawn,en,hashtag,org\nالأنصار,ar,term,org\nНовости,ru,term,org\n"
    "Héraut de Velmor,fr,outlet,org\nsoup kitchen,en,term,none\n"
)


def _posts() -> list[Record]:
    return [
        Post(
            PostKey("testnet", pid),
            AccountKey("testnet", "a" + pid),
            T0 + timedelta(minutes=i),
            text=text,
            hashtags=tags,
        )
        for i, (pid, text, tags) in enumerate(TEXTS)
    ]


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _state(engine: sa.Engine) -> tuple[set[tuple], set[tuple]]:
    """Every hit (post, matcher, term, span) and every open alert's post."""
    h, al = td.detect_hits, td.detect_alerts
    with engine.connect() as conn:
        hits = {
            tuple(r)
            for r in conn.execute(
                sa.select(
                    h.c.platform,
                    h.c.post_id,
                    h.c.matcher,
                    h.c.term,
                    h.c.span_start,
                    h.c.span_end,
                    h.c.suppressed,
                )
            )
        }
        alerts = {tuple(r) for r in conn.execute(sa.select(al.c.platform, al.c.post_id, al.c.status))}
    return hits, alerts


@pytest.fixture
def scanned(engine: sa.Engine, tmp_path: Path) -> sa.Engine:
    """The multilingual posts, scanned once with a one-term lexicon (so the token index covers them)."""
    ingest_source(engine, ListSource(_posts()))
    detect_banks.import_lexicon(engine, _write(tmp_path / "base.csv", BASE_LEXICON), "base")
    assert detect_scan.scan(engine, workers=1).posts == len(TEXTS)
    return engine


def test_new_terms_rescan_only_candidates_with_the_hits_of_a_full_rescan(
    scanned: sa.Engine, tmp_path: Path
) -> None:
    engine = scanned
    detect_banks.import_lexicon(engine, _write(tmp_path / "new.csv", NEW_LEXICON), "new")
    indexed = detect_scan.scan(engine, workers=1)
    # candidates: en1 plain3 (velmor + herald), fr1, en2 en3 (north + meridian), leet spaced (daesh),
    # tagged (not intag: "#silverdawn" after a letter is no hashtag), ar1 ar2, ru1; not plain2 (no "kitchen")
    assert indexed.posts == 11 < len(TEXTS)
    after_indexed = _state(engine)
    terms = {(r[1], r[3]) for r in after_indexed[0] if r[2] == "term"}
    assert {
        ("en1", "Velmor Herald"),
        ("en3", "north meridian"),
        ("leet", "daesh"),
        ("spaced", "daesh"),
        ("tagged", "#SilverDawn"),
        ("ar1", "الأنصار"),
        ("ar2", "الأنصار"),
        ("ru1", "Новости"),
        ("fr1", "Héraut de Velmor"),
        ("plain2", "bread"),
    } <= terms
    assert not {("en2", "north meridian"), ("plain3", "Velmor Herald"), ("intag", "#SilverDawn")} & terms
    full = detect_scan.scan(engine, rescan=True, workers=1)
    assert full.posts == len(TEXTS)
    assert _state(engine) == after_indexed


def test_terms_the_index_cannot_answer_rescan_every_post(scanned: sa.Engine, tmp_path: Path) -> None:
    engine = scanned
    detect_banks.import_lexicon(
        engine, _write(tmp_path / "zh.csv", "term,language,kind,label\n新闻,zh,term,x\n")
    )
    assert detect_scan.scan(engine, workers=1).posts == len(TEXTS)
    assert ("zh1", "新闻") in {(r[1], r[3]) for r in _state(engine)[0]}
    detect_banks.import_lexicon(
        engine, _write(tmp_path / "d.csv", "term,language,kind,label\nvelmor.example,en,outlet,x\n")
    )
    assert detect_scan.scan(engine, workers=1).posts == len(TEXTS)
    detect_banks.import_lexicon(
        engine, _write(tmp_path / "w.csv", "term,language,kind,label\nweather,en,term,x\n")
    )
    assert detect_scan.scan(engine, workers=1).posts == 1  # plain1 only: the index answers again


def test_an_index_not_known_to_cover_every_post_means_a_full_rescan(
    scanned: sa.Engine, tmp_path: Path
) -> None:
    engine = scanned
    with engine.begin() as conn:  # as after the migration, in a database scanned before it
        conn.execute(sa.delete(td.detect_state).where(td.detect_state.c.key == MARKER))
        conn.execute(sa.delete(td.detect_post_tokens))
    detect_banks.import_lexicon(
        engine, _write(tmp_path / "w.csv", "term,language,kind,label\nweather,en,term,x\n")
    )
    assert detect_scan.scan(engine, workers=1).posts == len(TEXTS)
    detect_banks.import_lexicon(
        engine, _write(tmp_path / "s.csv", "term,language,kind,label\nsoup,en,term,x\n")
    )
    assert detect_scan.scan(engine, workers=1).posts == 1  # the full rescan indexed every post


def test_index_tokens_follow_the_matcher() -> None:
    assert index_tokens("see x#silverdawn ##tag") == {
        "see",
        "x#silverdawn",
        "silverdawn",
        "##tag",
        "#tag",
        "tag",
    }
    assert {"daesh", "#silverdawn", "silverdawn"} <= post_tokens("d43sh", ["SilverDawn"]) & post_tokens(
        "d a e s h", ["SilverDawn"]
    )
    assert term_words("North  Meridian!", "term") == ["north", "meridian"]
    assert term_words("#SilverDawn", "hashtag") == ["#silverdawn"]
    assert term_words("新闻", "term") is None and term_words("velmor.example", "outlet") is None
    assert term_words("!!!", "term") == []


def test_token_lookup_reads_the_index_in_chunks(scanned: sa.Engine) -> None:
    from openiru.services.detect.tokens import _holding

    wanted = [["velmor", "herald"], ["bread"], ["الانصار"], ["absent"]]
    with scanned.connect() as conn:
        whole, chunked = _holding(conn, wanted), _holding(conn, wanted, chunk=2)
    assert whole == chunked == {("testnet", p) for p in ("en1", "plain3", "plain2", "ar1", "ar2")}


def test_token_rows_are_little_endian_uint32_sorted(engine: sa.Engine) -> None:
    """write_tokens' rows (driver SQL, array-packed) hold what NumPy's ``<u4`` packing of the sorted
    CRC-32s of post_tokens gives, on SQLite and PostgreSQL; a second write keeps the first row."""
    from openiru.detect.evidence import ScanPost, ScanResult
    from openiru.services.detect.tokens import token_hash, write_tokens

    posts = [
        ScanPost("x", str(i), "a", text, [], tags, [], None, "en")
        for i, (text, tags) in enumerate(
            [
                ("see x#silverdawn ##tag", ["SilverDawn"]),
                ("Бюллетень зеркало", []),
                ("", []),
                ("d43sh", ["#T"]),
            ]
        )
    ]
    with engine.begin() as conn:
        write_tokens(conn, [ScanResult(p) for p in posts])
        write_tokens(conn, [ScanResult(ScanPost("x", "0", "a", "other words", [], [], [], None, "en"))])
        t = td.detect_post_tokens
        stored = {r.post_id: bytes(r.tokens) for r in conn.execute(sa.select(t.c.post_id, t.c.tokens))}
    want = {
        p.post_id: np.array(
            sorted({token_hash(w) for w in post_tokens(p.text, p.hashtags)}), dtype="<u4"
        ).tobytes()
        for p in posts
    }
    assert stored == want and stored["2"] == b""
    assert len(stored["0"]) == 4 * len(post_tokens(posts[0].text, posts[0].hashtags)) > 4 * 5
