"""Mastodon Status importer: every field through the ingest service, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import random
import tracemalloc
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from mutation_support import mutated
from openiru.cli import app
from openiru.model import Account, Post, utc
from openiru.services.collect.counts import platform_stats
from openiru.services.collect.ingest import ingest_source
from openiru.sources.base import Problem
from openiru.sources.html import html_to_text, markdown_to_text
from openiru.sources.jsonio import read_head
from openiru.sources.mastodon import MastodonStatusSource
from openiru.store import schema

FIXTURES = Path(__file__).parent / "fixtures" / "mastodon"
ARRAY = FIXTURES / "statuses.json"
LINES = FIXTURES / "statuses.jsonl"

#: Heads of the other formats, as the other importers read them.
TWARC2_LINE = (
    b'{"data": [{"id": "1", "text": "hi", "author_id": "2", "created_at": "2026-01-01T00:00:00.000Z",'
    b' "edit_history_tweet_ids": ["1"]}], "includes": {"users": []}, "__twarc": {"url": "x"}}\n'
)
TELEGRAM_HEAD = (
    b'{\n "name": "Chan", "type": "public_channel", "id": 1, "messages": [\n'
    b'  {"id": 1, "type": "message", "date": "2026-01-01T00:00:00", "from": "A",'
    b' "from_id": "channel1", "text": "hi"}]}'
)
ACTIVITYPUB_HEAD = (
    b'{"@context": "https://www.w3.org/ns/activitystreams", "id": "https://a.example/o",'
    b' "type": "OrderedCollection", "orderedItems": [{"type": "Create", "actor": "u",'
    b' "object": {"type": "Note", "id": "n", "attributedTo": "u", "content": "<p>x</p>",'
    b' "published": "2026-01-01T00:00:00Z", "uri": "n", "acct": "a", "account": "u",'
    b' "created_at": "2026-01-01"}}]}'
)


def best_source(path: Path) -> str:
    """What ``--format auto`` picks: the highest sniff over every importable source plugin
    (the same rule as services.ingest.detect_format, tolerant of plugins not built yet)."""
    head = read_head(path)
    scores = {}
    for ep in entry_points(group="openiru.sources"):
        try:
            cls = ep.load()
        except ImportError:
            continue
        scores[ep.name] = cls.sniff(path, head)
    return max(scores, key=lambda name: scores[name])


def test_auto_format_picks_mastodon_for_array_and_jsonl() -> None:
    assert best_source(ARRAY) == "mastodon"
    assert best_source(LINES) == "mastodon"


def test_sniff_rejects_other_formats(tmp_path: Path) -> None:
    for name, head in (
        ("t.jsonl", TWARC2_LINE),
        ("result.json", TELEGRAM_HEAD),
        ("outbox.json", ACTIVITYPUB_HEAD),
    ):
        path = tmp_path / name
        path.write_bytes(head)
        assert MastodonStatusSource.sniff(path, head) == 0.0, name
    assert MastodonStatusSource.sniff(tmp_path, b"") == 0.0


def _rows(engine: sa.Engine, table: sa.Table) -> dict[str, sa.Row]:
    """Rows of the posts or accounts table by native id, with typed columns."""
    with engine.connect() as conn:
        return {r[1]: r for r in conn.execute(sa.select(table))}


def test_status_fields_land_in_the_store(engine: sa.Engine) -> None:
    summary = ingest_source(engine, MastodonStatusSource(ARRAY), after_batch=())
    assert summary.format == "mastodon"
    assert summary.posts == 4 and summary.posts_read == 4
    assert dict(summary.errors) == {"malformed status": 2}
    assert any("$[3]" in p and "missing field account" in p for p in summary.problems)
    assert any("$[4]" in p for p in summary.problems)

    posts = _rows(engine, schema.posts)
    first = posts["111000000000000001"]
    assert first.account_id == "109000000000000001"
    assert first.text == (
        "Weekly bulletin from @riverpost is out: https://bulletin.example.org/issue/12"
        " #PlaceholderNews\n\nSecond paragraph & more."
    )
    assert first.language == "en"
    assert first.urls == ["https://bulletin.example.org/issue/12"]
    assert first.hashtags == ["placeholdernews"]
    assert first.mentions == ["109000000000000002"]
    assert first.meta["host"] == "social.example"
    assert first.meta["uri"].endswith("/statuses/111000000000000001")
    assert json.loads(first.raw)["id"] == "111000000000000001"
    assert utc(first.timestamp) == datetime(2026, 3, 1, 10, 0, tzinfo=UTC)

    reply = posts["111000000000000002"]
    assert reply.reply_to == "111000000000000001" and reply.language == "fr"
    assert reply.meta["host"] == "other.example"
    assert reply.meta["spoiler_text"] == "placeholder warning"

    reblog, inner = posts["111000000000000003"], posts["111000000000000004"]
    assert reblog.repost_of == "111000000000000004" and reblog.account_id == "109000000000000003"
    assert reblog.text == ""
    assert inner.account_id == "109000000000000004" and inner.text == "Neutraler Platzhaltertext #Archiv"
    assert inner.hashtags == ["archiv"]

    accounts = _rows(engine, schema.accounts)
    north = accounts["109000000000000001"]
    assert north.handle == "northwind" and north.display_name == "Northwind Media (fictional)"
    assert north.bio == "Fictional outlet used in tests. northwind.example.net"
    assert north.followers == 1250
    assert north.avatar_media.startswith("url:https://social.example/system/accounts/avatars/")
    assert north.meta["host"] == "social.example"
    river = accounts["109000000000000002"]
    assert river.handle == "riverpost@other.example" and river.meta["bot"] is True
    assert river.meta["host"] == "other.example"

    with engine.connect() as conn:
        media = conn.execute(
            sa.text(
                "select m.url, m.mime, pm.post_id from media m join post_media pm on pm.media_key = m.media_key"
                " order by pm.post_id"
            )
        ).all()
        edges = conn.execute(
            sa.text(
                "select post_id, kind, source_account_id, target_account_id from edges order by post_id, kind"
            )
        ).all()
    assert [(m.post_id, m.url, m.mime) for m in media] == [
        (
            "111000000000000001",
            "https://social.example/system/media_attachments/files/112/000/000/000/000/001/original/f00d.jpg",
            "image/jpeg",
        ),
        ("111000000000000004", "https://third.example/media/clip.mp4", "video/mp4"),
    ]
    assert [tuple(e) for e in edges] == [
        ("111000000000000001", "mention", "109000000000000001", "109000000000000002"),
        ("111000000000000002", "mention", "109000000000000002", "109000000000000001"),
        ("111000000000000002", "reply", "109000000000000002", "109000000000000001"),
        ("111000000000000003", "repost", "109000000000000003", "109000000000000004"),
    ]
    stats = platform_stats(engine)["platforms"]["mastodon"]
    assert (stats["posts"], stats["accounts"], stats["edges"], stats["media"]) == (4, 4, 4, 2)

    again = ingest_source(engine, MastodonStatusSource(ARRAY), after_batch=())
    assert again.posts == 0 and again.edges == 0
    assert platform_stats(engine)["platforms"]["mastodon"]["posts"] == 4


def test_jsonl_with_bad_lines_and_platform_override(sqlite_engine: sa.Engine) -> None:
    # Parsing variants: storage on both databases is covered by the field test above.
    engine = sqlite_engine
    summary = ingest_source(engine, MastodonStatusSource(LINES, "chat.example.social"), after_batch=())
    assert summary.posts == 2
    assert dict(summary.errors) == {"invalid JSON": 1, "malformed status": 1}
    assert any(p.startswith(f"{LINES}:line 2: invalid JSON") for p in summary.problems)
    assert any("line 3" in p and "bad created_at 'not a date'" in p for p in summary.problems)
    stats = platform_stats(engine)["platforms"]
    assert list(stats) == ["chat.example.social"]
    # The account of the malformed line 3 came only from that line: nothing half-imported.
    assert stats["chat.example.social"]["accounts"] == 2
    assert stats["chat.example.social"]["edges"] == 2  # reply and mention, both to account 55


def test_cli_ingest_and_stats(tmp_path: Path) -> None:
    missing = _unloadable_sources()
    if missing:
        pytest.skip(f"source plugins not importable yet: {', '.join(missing)}")
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    runner = CliRunner()
    result = runner.invoke(app, ["ingest", str(ARRAY), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(app, ["stats", "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["platforms"]["mastodon"] == {
        **data["platforms"]["mastodon"],
        "posts": 4,
        "accounts": 4,
        "edges": 4,
        "media": 2,
    }


def _unloadable_sources() -> list[str]:
    missing = []
    for ep in entry_points(group="openiru.sources"):
        try:
            ep.load()
        except ImportError:
            missing.append(ep.name)
    return missing


def _peak_bytes(source: MastodonStatusSource) -> int:
    tracemalloc.start()
    try:
        for _ in source.records():
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_json_array_is_streamed_in_constant_memory(tmp_path: Path) -> None:
    peaks, sizes = [], []
    for n in (200, 1600):
        path = tmp_path / f"statuses{n}.json"
        path.write_text(
            json.dumps(
                [
                    {
                        "id": str(i),
                        "created_at": "2026-03-01T10:00:00Z",
                        "content": "<p>" + "placeholder " * 80 + "</p>",
                        "account": {"id": str(i % 7), "acct": f"user{i % 7}"},
                    }
                    for i in range(n)
                ]
            )
        )
        peaks.append(_peak_bytes(MastodonStatusSource(path)))
        sizes.append(path.stat().st_size)
    assert sizes[1] > 7 * sizes[0]
    assert peaks[1] < peaks[0] * 1.25 + 65536  # independent of the file size
    assert peaks[1] < sizes[1] / 4


def test_odd_values_never_crash_the_importer(tmp_path: Path) -> None:
    statuses = json.loads(ARRAY.read_text())[:3]
    rng = random.Random(2)
    for round_ in range(60):
        path = tmp_path / f"s{round_}.json"
        path.write_text(json.dumps([mutated(s, rng) for s in statuses]))
        records = list(MastodonStatusSource(path).records())
        assert all(isinstance(r, Account | Post | Problem) for r in records)
        assert sum(isinstance(r, Post | Problem) for r in records) >= 3  # every status accounted for


def test_quote_posts_link_the_quoted_status(tmp_path: Path) -> None:
    quoted = {
        "id": "900",
        "created_at": "2026-03-02T09:00:00Z",
        "content": "<p>original placeholder</p>",
        "account": {"id": "41", "acct": "origin@far.example", "url": "https://far.example/@origin"},
    }
    path = tmp_path / "quotes.jsonl"
    path.write_text(
        "\n".join(
            json.dumps(s)
            for s in (
                {
                    "id": "901",
                    "created_at": "2026-03-02T10:00:00Z",
                    "content": '<p class="quote-inline">RE: <a href="https://far.example/@origin/900">'
                    "https://far.example/@origin/900</a></p><p>comment on it</p>",
                    "account": {"id": "42", "acct": "quoter"},
                    "quote": {"state": "accepted", "quoted_status": quoted},
                },
                {
                    "id": "902",
                    "created_at": "2026-03-02T10:05:00Z",
                    "content": "<p>shallow</p>",
                    "account": {"id": "42", "acct": "quoter"},
                    "quote": {"state": "accepted", "quoted_status_id": "900"},
                },
                {
                    "id": "903",
                    "created_at": "2026-03-02T10:06:00Z",
                    "content": "<p>revoked</p>",
                    "account": {"id": "42", "acct": "quoter"},
                    "quote": {"state": "revoked", "quoted_status": None},
                },
            )
        )
    )
    posts = {r.key.post_id: r for r in MastodonStatusSource(path).records() if isinstance(r, Post)}
    assert list(posts) == ["900", "901", "902", "903"]  # the quoted status is a post too
    assert posts["901"].quote_of == posts["902"].quote_of == posts["900"].key
    assert posts["901"].text == "comment on it" and posts["901"].urls == []  # the RE: fallback left out
    assert posts["903"].quote_of is None


def test_html_to_text_rules() -> None:
    """The HTML conversion Mastodon and ActivityPub content goes through (sources/html.py)."""
    plain = html_to_text("plain & simple https://a.example/x.")
    assert (plain.text, plain.urls) == ("plain & simple https://a.example/x.", ["https://a.example/x"])
    parsed = html_to_text(
        "<p>one\ntwo<br>three</p><script>x()</script><p>four "
        '<img src="/i.png" alt="[image]"> <a href="https://b.example/p">b</a></p>'
    )
    assert parsed.text == "one two\nthree\n\nfour [image] b"
    assert parsed.urls == ["https://b.example/p"] and parsed.images == ["/i.png"]
    md = markdown_to_text("See [site](https://c.example/s) ![alt](img/a.png) and https://d.example/q, ok")
    assert md.text == "See site alt and https://d.example/q, ok"
    assert md.urls == ["https://c.example/s", "https://d.example/q"] and md.images == ["img/a.png"]


def test_a_folder_of_status_exports_is_one_import() -> None:
    assert best_source(FIXTURES) == "mastodon"
    posts = [r for r in MastodonStatusSource(FIXTURES).records() if isinstance(r, Post)]
    assert len(posts) == 6  # 4 from the array, 2 from the JSONL file
