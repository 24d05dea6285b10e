"""Rocket.Chat importer: history, getMessage and JSONL through the ingest service, both databases."""

from __future__ import annotations

import json
import random
import tracemalloc
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path

import sqlalchemy as sa

from mutation_support import mutated
from openiru.model import Account, Post, utc
from openiru.services.collect.counts import platform_stats
from openiru.services.collect.ingest import ingest_source
from openiru.sources.base import Problem
from openiru.sources.jsonio import read_head
from openiru.sources.rocketchat import RocketChatSource
from openiru.store import schema

FIXTURES = Path(__file__).parent / "fixtures" / "rocketchat"
HISTORY = FIXTURES / "channels_history.json"
GET_MESSAGE = FIXTURES / "get_message.json"
LINES = FIXTURES / "messages.jsonl"

TELEGRAM_HEAD = (
    b'{\n "name": "Chan",\n "type": "public_channel",\n "id": 1,\n "messages": [\n'
    b'  {"id": 1, "type": "message", "date": "2026-01-01T00:00:00", "from": "A",'
    b' "from_id": "channel1", "text": "hi"}]}'
)
TWARC2_LINE = (
    b'{"data": [{"id": "1", "text": "hi", "author_id": "2", "created_at": "2026-01-01T00:00:00.000Z"}],'
    b' "includes": {"users": []}, "__twarc": {"url": "x"}}\n'
)
MASTODON_LINE = (
    b'{"id": "1", "created_at": "2026-01-01T00:00:00Z", "content": "<p>x</p>",'
    b' "account": {"id": "2", "acct": "a"}}\n'
)


def best_source(path: Path) -> str:
    """What ``--format auto`` picks (services.ingest.detect_format's rule over loadable plugins)."""
    head = read_head(path)
    scores = {}
    for ep in entry_points(group="openiru.sources"):
        try:
            scores[ep.name] = ep.load().sniff(path, head)
        except ImportError:
            continue
    return max(scores, key=lambda name: scores[name])


def test_auto_format_picks_rocketchat() -> None:
    for path in (HISTORY, GET_MESSAGE, LINES):
        assert best_source(path) == "rocketchat", path.name


def test_sniff_rejects_other_formats(tmp_path: Path) -> None:
    for name, head in (("result.json", TELEGRAM_HEAD), ("t.jsonl", TWARC2_LINE), ("m.jsonl", MASTODON_LINE)):
        path = tmp_path / name
        path.write_bytes(head)
        assert RocketChatSource.sniff(path, head) == 0.0, name


def _rows(engine: sa.Engine, table: sa.Table) -> dict[str, sa.Row]:
    with engine.connect() as conn:
        return {r[1]: r for r in conn.execute(sa.select(table))}


def test_history_fields_land_in_the_store(engine: sa.Engine) -> None:
    summary = ingest_source(engine, RocketChatSource(HISTORY), after_batch=())
    assert summary.posts == 4
    assert dict(summary.skipped) == {"system message": 1}
    assert dict(summary.errors) == {"malformed message": 1}
    assert summary.problems == [f"{HISTORY}:messages[5]: malformed message: missing field u._id"]

    posts = _rows(engine, schema.posts)
    assert "Lp0oK9iJ8uH7yG6tF" not in posts  # the system message
    reply = posts["Rt4yU6iO8pA1sD3fG"]
    assert reply.account_id == "uB6nYq2mXkP4sT7wA"
    assert reply.text == "@quill thanks, mirrored at https://mirror.example.com/a/12 for @all"
    assert reply.reply_to == "Hx3pQ9rT2vW8yK1dN"
    assert reply.urls == ["https://mirror.example.com/a/12"]
    assert reply.mentions == ["kT9vL2pQ7wE4rY1uI"]  # @all is not an account
    assert reply.meta["channels"] == ["news"]
    assert reply.meta["edited_at"].startswith("2026-03-02T10:06:30")
    assert reply.meta["host"] == "chat.example.org"  # from the quote permalink in the same file
    assert utc(reply.timestamp) == datetime(2026, 3, 2, 10, 5, tzinfo=UTC)
    quote = posts["Zq7kYpWc3bXn2RtLm"]
    assert quote.quote_of == "Hx3pQ9rT2vW8yK1dN"
    assert posts["Hx3pQ9rT2vW8yK1dN"].urls == ["https://files.example.net/notes.pdf"]

    accounts = _rows(engine, schema.accounts)
    assert set(accounts) == {"uB6nYq2mXkP4sT7wA", "kT9vL2pQ7wE4rY1uI"}
    quill = accounts["kT9vL2pQ7wE4rY1uI"]
    assert (quill.handle, quill.display_name) == ("quill", "Quill Bulletin")
    assert quill.meta["host"] == "chat.example.org"

    with engine.connect() as conn:
        media = conn.execute(
            sa.text(
                "select pm.post_id, pm.position, m.url, m.mime, m.size from post_media pm"
                " join media m on m.media_key = pm.media_key order by pm.position"
            )
        ).all()
        edges = conn.execute(
            sa.text("select post_id, kind, target_account_id from edges order by post_id, kind")
        ).all()
    assert [tuple(m) for m in media] == [
        (
            "Wm5cR8tY1uI3oP6aS",
            0,
            "https://chat.example.org/file-upload/F1le0000000000001/poster.png",
            "image/png",
            20480,
        ),
        (
            "Wm5cR8tY1uI3oP6aS",
            1,
            "https://chat.example.org/file-upload/F1le0000000000002/thumb-poster.png",
            "image/png",
            2048,
        ),
    ]
    assert [tuple(e) for e in edges] == [
        ("Rt4yU6iO8pA1sD3fG", "mention", "kT9vL2pQ7wE4rY1uI"),
        ("Rt4yU6iO8pA1sD3fG", "reply", "kT9vL2pQ7wE4rY1uI"),
        ("Zq7kYpWc3bXn2RtLm", "quote", "kT9vL2pQ7wE4rY1uI"),
    ]
    stats = platform_stats(engine)["platforms"]["rocketchat"]
    assert (stats["posts"], stats["accounts"], stats["edges"], stats["media"]) == (4, 2, 3, 2)

    again = ingest_source(engine, RocketChatSource(HISTORY), after_batch=())
    assert (again.posts, again.edges) == (0, 0)
    assert platform_stats(engine)["platforms"]["rocketchat"]["posts"] == 4


def test_get_message_and_jsonl_with_platform_host(sqlite_engine: sa.Engine) -> None:
    # Parsing variants: storage on both databases is covered by the field test above.
    engine = sqlite_engine
    one = ingest_source(engine, RocketChatSource(GET_MESSAGE, "chat.example.org"), after_batch=())
    assert one.posts == 1 and not one.errors
    lines = ingest_source(engine, RocketChatSource(LINES, "chat.example.org"), after_batch=())
    assert lines.posts == 2
    assert dict(lines.skipped) == {"system message": 1}
    assert dict(lines.errors) == {"invalid JSON": 1, "malformed message": 1}
    assert any(p.startswith(f"{LINES}:line 4: malformed message: bad ts") for p in lines.problems)
    posts = _rows(engine, schema.posts)
    assert set(posts) == {"Gm1sG2nM3eS4sA5gE", "Dd1pM0000000000001", "Dd1pM0000000000005"}
    first = posts["Dd1pM0000000000001"]
    assert utc(first.timestamp) == datetime.fromtimestamp(1772870400, UTC)  # {"$date": ms}
    assert first.meta["host"] == "chat.example.org" and first.meta["room_id"] == "MIGRATEDroom00001"
    assert first.mentions is None  # @here addresses the room
    assert posts["Dd1pM0000000000005"].reply_to == "Dd1pM0000000000001"
    stats = platform_stats(engine)["platforms"]
    assert list(stats) == ["chat.example.org"]
    assert stats["chat.example.org"]["edges"] == 2  # mention and reply to relay.one


def test_truncated_history_keeps_what_came_before(tmp_path: Path) -> None:
    text = HISTORY.read_text()
    cut = tmp_path / "history.json"
    cut.write_text(text[: text.index('"_id": "Rt4yU6iO8pA1sD3fG"')])
    records = list(RocketChatSource(cut).records())
    posts = [r for r in records if not isinstance(r, Problem) and hasattr(r, "text")]
    problems = [r for r in records if isinstance(r, Problem)]
    assert [p.key.post_id for p in posts] == ["Zq7kYpWc3bXn2RtLm", "Wm5cR8tY1uI3oP6aS"]
    assert problems[-1].reason.startswith("invalid JSON") and problems[-1].location == "after messages[3]"


def test_history_document_is_streamed_in_constant_memory(tmp_path: Path) -> None:
    peaks, sizes = [], []
    for n in (200, 1600):
        path = tmp_path / f"history{n}.json"
        path.write_text(
            json.dumps(
                {
                    "messages": [
                        {
                            "_id": f"m{i}",
                            "rid": "room",
                            "msg": "placeholder " * 80,
                            "ts": {"$date": 1772870400000 + i},
                            "u": {"_id": f"u{i % 7}", "username": f"user{i % 7}"},
                        }
                        for i in range(n)
                    ],
                    "success": True,
                }
            )
        )
        tracemalloc.start()
        try:
            count = sum(1 for _ in RocketChatSource(path).records())
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert count == 2 * n  # an account and a post per message
        sizes.append(path.stat().st_size)
    assert peaks[1] < peaks[0] * 1.25 + 65536  # independent of the file size
    assert peaks[1] < sizes[1] / 2


def test_odd_values_never_crash_the_importer(tmp_path: Path) -> None:
    messages = json.loads(HISTORY.read_text())["messages"]
    rng = random.Random(3)
    for round_ in range(60):
        path = tmp_path / f"h{round_}.jsonl"
        path.write_text("\n".join(json.dumps(mutated(m, rng)) for m in messages))
        records = list(RocketChatSource(path).records())
        assert all(isinstance(r, Account | Post | Problem) for r in records)
        assert sum(isinstance(r, Post | Problem) for r in records) == len(messages)


def test_a_folder_of_room_exports_is_one_import() -> None:
    assert best_source(FIXTURES) == "rocketchat"
    records = list(RocketChatSource(FIXTURES).records())
    posts = [r for r in records if isinstance(r, Post)]
    assert len(posts) == 7  # 4 history + 1 getMessage + 2 JSONL
    assert {p.file for p in records if isinstance(p, Problem)} == {str(HISTORY), str(LINES)}


def test_sync_messages_response(tmp_path: Path) -> None:
    message = json.loads(GET_MESSAGE.read_text())["message"]
    pretty, compact = tmp_path / "sync.json", tmp_path / "sync.jsonl"
    response = {"result": {"updated": [message], "deleted": []}, "success": True}
    pretty.write_text(json.dumps(response, indent=1))
    compact.write_text(json.dumps(response) + "\n")
    for path in (pretty, compact):
        assert best_source(path) == "rocketchat", path.name
        posts = [r for r in RocketChatSource(path).records() if isinstance(r, Post)]
        assert [p.key.post_id for p in posts] == ["Gm1sG2nM3eS4sA5gE"]


def test_long_response_lines_are_streamed_one_after_another(tmp_path: Path) -> None:
    """Responses saved one per line, each longer than the sniffing head (a page of 100 messages)."""
    path = tmp_path / "pages.jsonl"
    pages = [
        {
            "messages": [
                {
                    "_id": f"p{page}m{i}",
                    "rid": "room",
                    "msg": "placeholder " * 100,
                    "ts": "2026-03-01T10:00:00Z",
                    "u": {"_id": "u1", "username": "one"},
                }
                for i in range(100)
            ],
            "success": True,
        }
        for page in range(2)
    ]
    path.write_text("\n".join(json.dumps(p) for p in pages) + "\n")
    assert len(path.read_bytes().split(b"\n", 1)[0]) > 65536
    assert best_source(path) == "rocketchat"
    posts = [r for r in RocketChatSource(path).records() if isinstance(r, Post)]
    assert len(posts) == 200 and posts[-1].key.post_id == "p1m99"


def test_long_message_lines_are_read_as_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "long.jsonl"
    lines = [
        {
            "_id": f"L{i}",
            "rid": "room",
            "msg": "placeholder " * 7000,
            "ts": "2026-03-01T10:00:00Z",
            "u": {"_id": "u1", "username": "one"},
        }
        for i in range(3)
    ]
    path.write_text("\n".join(json.dumps(m) for m in lines) + "\n")
    assert len(path.read_bytes().split(b"\n", 1)[0]) > 65536
    assert best_source(path) == "rocketchat"
    posts = [r for r in RocketChatSource(path).records() if isinstance(r, Post)]
    assert [p.key.post_id for p in posts] == ["L0", "L1", "L2"]
