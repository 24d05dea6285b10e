"""Graph services on SQLite and PostgreSQL: seeds, detection results (present, absent), domain
registry, loading the store into arrays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.errors import NotFoundError
from openiru.model import Account, AccountKey, Media, Mention, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.services.graph import analysis as graph_service
from openiru.services.graph.load import detection_results, domain_registry, load_graph
from openiru.sources.base import Record
from source_support import ListSource

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


def _records() -> list[Record]:
    a, b, c = AccountKey("x", "10"), AccountKey("x", "20"), AccountKey("telegram", "channel30")
    image = Media(sha256="ab" * 32, pdq="f" * 64, pdq_quality=90)
    return [
        Account(a, handle="lamp_post", display_name="Lamp Post", created_at=T0 - timedelta(days=3)),
        Account(b, handle="reader"),
        Account(c, display_name="Lamp Post"),
        Post(
            PostKey("x", "1"),
            a,
            T0,
            text="placeholder bulletin number one for the test here",
            urls=["https://www.files.example/a?utm_source=x"],
            hashtags=["one", "two"],
            media=[image],
        ),
        Post(
            PostKey("x", "2"),
            b,
            T0 + timedelta(minutes=1),
            text="RT",
            repost_of=PostKey("x", "1"),
            mentions=[Mention(account_id="10")],
        ),
        Post(
            PostKey("telegram", "30/1"),
            c,
            T0 + timedelta(minutes=2),
            text="placeholder bulletin number one for the test here",
            media=[image],
        ),
    ]


def test_load_graph_reads_every_table(engine: sa.Engine) -> None:
    ingest_source(engine, ListSource(_records(), "x"), after_batch=())
    data = load_graph(engine)
    index = data.accounts.index()
    assert data.n == 3 and len(data.posts) == 3 and len(data.edges) >= 2
    a = index[("x", "10")]
    assert (
        data.accounts.created_at is not None
        and data.accounts.created_at[a] == (T0 - timedelta(days=3)).timestamp()
    )
    labels = set(data.content.labels)
    assert "media:pdq:" + "f" * 64 in labels  # PDQ preferred to SHA-256
    assert "https://files.example/a" in labels  # normalised URL
    assert "#one #two" in labels and "post:x:1" in labels  # hashtag set, reposted post
    assert int(data.posts.mentions.sum()) == 1
    only_tg = load_graph(engine, platforms=["telegram"])
    assert only_tg.accounts.platform == ["telegram"]
    later = load_graph(engine, since=T0 + timedelta(seconds=30))
    assert len(later.posts) == 2


def test_seeds_are_recorded_with_and_without_an_actor(engine: sa.Engine) -> None:
    ingest_source(engine, ListSource(_records(), "x"), after_batch=())
    row = graph_service.add_seed(engine, "x", "10", "analyst7", "known outlet")
    assert row["known_account"] and row["added_by"] == "analyst7"
    assert not graph_service.add_seed(engine, "x", "999")["known_account"]
    graph_service.add_seed(engine, "x", "10")  # again: idempotent, no actor needed
    seeds = graph_service.list_seeds(engine)
    assert [(s["platform"], s["account_id"], s["added_by"]) for s in seeds] == [
        ("x", "10", None),
        ("x", "999", None),
    ]
    data = load_graph(engine)
    assert data.accounts.index()[("x", "10")] in data.seeds
    graph_service.remove_seed(engine, "x", "999")
    with pytest.raises(NotFoundError):
        graph_service.remove_seed(engine, "x", "999")


def test_missing_detection_tables_mean_no_detection_results(engine: sa.Engine) -> None:
    ingest_source(engine, ListSource(_records(), "x"), after_batch=())
    with engine.connect() as conn:
        assert detection_results(conn) == ([], {})  # tables there, nothing flagged
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE detect_alerts"))
    with engine.connect() as conn:
        assert detection_results(conn) == ([], {})
    ranked = graph_service.key_accounts(engine)
    assert ranked and ranked[0]["evidence"]["seed_source"] == "structure"


def test_domain_registry_knows_builtin_and_provider_domains(engine: sa.Engine) -> None:
    registry = domain_registry(engine)
    assert registry["t.me"] == "telegram" and registry["youtube.com"] == "youtube"


def test_the_loader_says_whether_a_lexicon_read_the_texts(engine: sa.Engine, tmp_path: Path) -> None:
    """``GraphData.lexicon``: detection results from a scan with a lexicon loaded (the ranking then
    treats many posts without one hit as a finding); not without detection, not without a lexicon."""
    from openiru.services.detect import banks as detect_banks
    from openiru.services.detect import scan as detect_scan

    ingest_source(engine, ListSource(_records(), "x"), after_batch=())
    assert not load_graph(engine).lexicon
    lexicon = tmp_path / "lexicon.csv"
    lexicon.write_text("term,language,kind,label\nbulletin,en,term,placeholder\n")
    detect_banks.import_lexicon(engine, lexicon, "lex")
    detect_scan.scan(engine, workers=1)
    data = load_graph(engine)
    assert data.detection and data.lexicon
    assert not load_graph(engine, with_detection=False).lexicon


def test_accounts_load_in_one_order_whatever_order_they_were_stored_in(tmp_path: Path) -> None:
    """Account indices (and with them ties and community detection) do not depend on the order the
    store holds the rows in: SQLite's insertion order, PostgreSQL's none."""
    from openiru.store.db import open_database

    records = _records()
    orders = []
    for name, recs in (("forward", records), ("backward", records[2::-1] + records[3:])):
        engine = open_database(f"sqlite:///{tmp_path / name}.db")
        ingest_source(engine, ListSource(recs, "x"), after_batch=())
        orders.append(list(load_graph(engine).accounts.account_id))
        engine.dispose()
    assert orders[0] == orders[1] == ["channel30", "10", "20"]  # by platform (telegram, x), then id
