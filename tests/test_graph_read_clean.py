"""Silence is no removal for an account whose posts detection read and found nothing in
(``services/graph/read_clean.py``, the ``read_clean`` rule of ``graph/resurgence.py``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from openiru.model import Account, AccountKey, Mention, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.services.detect import banks as detect_banks
from openiru.services.detect import scan as detect_scan
from openiru.services.graph import analysis as graph_service
from openiru.services.graph.load import load_graph
from openiru.services.graph.read_clean import read_clean
from openiru.sources.base import Record
from source_support import ListSource

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
PLATFORM = "chat.example"


def _records(old_words: str) -> list[Record]:
    """``mira.lund`` posts six times and goes quiet on a server that never shows removals;
    ``mira.lund2``, also "Mira Lund", begins two days later among the same four people."""
    old, new = AccountKey(PLATFORM, "aaaaaaaaaaaaaaaa1"), AccountKey(PLATFORM, "aaaaaaaaaaaaaaaa2")
    people = [AccountKey(PLATFORM, f"bbbbbbbbbbbbbbbb{k}") for k in range(4)]
    records: list[Record] = [
        Account(old, handle="mira.lund", display_name="Mira Lund"),
        Account(new, handle="mira.lund2", display_name="Mira Lund"),
        *(Account(p, handle=f"reader{k}") for k, p in enumerate(people)),
    ]
    for who, first in ((old, 0), (new, 8)):
        for d in range(first, first + 6):
            t = T0 + timedelta(days=d)
            records.append(Post(PostKey(PLATFORM, f"{who.account_id}/{d}"), who, t, text=f"{old_words} {d}"))
            for k, p in enumerate(people):
                records.append(
                    Post(
                        PostKey(PLATFORM, f"{p.account_id}/{d}"),
                        p,
                        t + timedelta(minutes=5 + k),
                        text=f"thanks for the note {d}",
                        mentions=[Mention(account_id=who.account_id)],
                    )
                )
    return records


def _linked(engine: sa.Engine) -> set[tuple[str, str]]:
    return {
        (r["account_id"], r["predecessor_account_id"])
        for r in graph_service.resurgence(engine)
        if r["evidence"]["link"] == "recreated"
    }


def _scan_with_lexicon(engine: sa.Engine, tmp_path: Path) -> None:
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text("term,language,kind,label\nbulletin,en,term,placeholder\n")
    detect_banks.import_lexicon(engine, lexicon, "lex")
    detect_scan.scan(engine, workers=1)


def test_a_silent_account_detection_read_and_found_nothing_in_is_not_re_created(
    engine: sa.Engine, tmp_path: Path
) -> None:
    ingest_source(engine, ListSource(_records("garden weather note for the day"), PLATFORM), after_batch=())
    link = {("aaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaaa1")}
    assert read_clean(engine, load_graph(engine, with_detection=False)) is None  # no lexicon: nothing said
    assert _linked(engine) == link  # silence where no removal shows weighs for a re-creation
    _scan_with_lexicon(engine, tmp_path)
    data = load_graph(engine, with_detection=False)
    clean = read_clean(engine, data)
    assert clean is not None and clean.all()  # every account: six or more scanned posts, no alert
    assert len(clean) == data.n == 6
    assert _linked(engine) == set()  # read, nothing to remove it for: its owner moved on


def test_a_silent_account_with_flagged_posts_is_still_re_created(engine: sa.Engine, tmp_path: Path) -> None:
    """Flagged posts are a reason for a removal; so are bare reposts of flagged posts (no words of
    their own were read); readers who only thank in words of their own are clean."""
    records = _records("the circle bulletin for the day")
    amplifier = AccountKey(PLATFORM, "cccccccccccccccc1")
    records.append(Account(amplifier, handle="relay"))
    for d in range(6):
        records.append(
            Post(
                PostKey(PLATFORM, f"relay/{d}"),
                amplifier,
                T0 + timedelta(days=d, hours=1),
                text="",
                repost_of=PostKey(PLATFORM, f"aaaaaaaaaaaaaaaa1/{d}"),
            )
        )
    ingest_source(engine, ListSource(records, PLATFORM), after_batch=())
    _scan_with_lexicon(engine, tmp_path)
    data = load_graph(engine, with_detection=False)
    clean = read_clean(engine, data)
    index = data.accounts.index()
    assert clean is not None and not clean[index[(PLATFORM, "aaaaaaaaaaaaaaaa1")]]
    assert not clean[index[(PLATFORM, "cccccccccccccccc1")]] and clean[index[(PLATFORM, "bbbbbbbbbbbbbbbb0")]]
    assert _linked(engine) == {("aaaaaaaaaaaaaaaa2", "aaaaaaaaaaaaaaaa1")}
