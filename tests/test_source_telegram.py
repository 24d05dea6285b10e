"""Telegram Desktop export importer: single chat, full export, older exports, streaming."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from openiru.model import Account, Mention, Post, PostKey
from openiru.services.collect.counts import platform_stats
from openiru.services.collect.ingest import ingest_source
from openiru.sources.base import Problem
from openiru.sources.jsonio import read_head
from openiru.sources.telegram import TelegramExportSource
from openiru.sources.telegram_stream import ChatStream
from openiru.sources.twitter import TwitterV2Source
from openiru.store import schema

FIXTURES = Path(__file__).parent / "fixtures"
TG = FIXTURES / "telegram"
CHANNEL, FULL, LEGACY = TG / "channel", TG / "full_export", TG / "legacy"
NOT_INCLUDED = "(File not included. Change data exporting settings to download.)"


def read(path: Path) -> tuple[dict[str, Post], dict[str, Account], list[Problem]]:
    posts: dict[str, Post] = {}
    accounts: dict[str, Account] = {}
    problems: list[Problem] = []
    for record in TelegramExportSource(path).records():
        if isinstance(record, Post):
            posts[record.key.post_id] = record
        elif isinstance(record, Account):
            accounts.setdefault(record.key.account_id, record)
        else:
            problems.append(record)
    return posts, accounts, problems


def test_single_channel_every_field() -> None:
    posts, accounts, problems = read(CHANNEL)
    assert set(posts) == {f"1712345678/{i}" for i in (2, 3, 4, 5, 6)}
    assert [(p.location, p.kind, p.reason) for p in problems] == [
        ("messages[0]", "skipped", "service message: create_channel")
    ]
    channel = accounts["channel1712345678"]
    assert channel.display_name == "Dawn Media Office Channel"

    first = posts["1712345678/2"]
    assert first.account.account_id == "channel1712345678"
    assert first.timestamp == datetime(2024, 3, 2, 9, 15, tzinfo=UTC)
    assert (
        first.text
        == "Placeholder bulletin 12. #DawnBulletin Full text: https://dawn-bulletin.example/issue/12"
    )
    assert first.hashtags == ["DawnBulletin"] and first.urls == ["https://dawn-bulletin.example/issue/12"]
    photo = CHANNEL / "photos" / "photo_1@02-03-2024_09-15-00.jpg"
    [media] = first.media
    assert media.sha256 == hashlib.sha256(photo.read_bytes()).hexdigest()
    assert media.md5 == hashlib.md5(photo.read_bytes()).hexdigest()
    assert (media.mime, media.size, media.missing) == ("image/jpeg", photo.stat().st_size, False)
    assert orjson.loads(first.raw)["photo_file_size"] == 890
    assert first.metadata["chat_type"] == "public_channel"

    [not_included] = posts["1712345678/3"].media
    assert not_included.missing and not_included.path == NOT_INCLUDED
    assert not_included.key == "ref:telegram:1712345678/3:photo"
    [absent] = posts["1712345678/4"].media
    assert absent.missing and absent.path == "video_files/clip_4.mp4" and absent.mime == "video/mp4"

    forwarded = posts["1712345678/5"]
    assert forwarded.forward_from_name == "Unlisted Placeholder Source" and forwarded.forward_from is None

    edited = posts["1712345678/6"]
    assert edited.reply_to == PostKey("telegram", "1712345678/2")
    assert edited.metadata["edited"] == "2024-03-02T12:05:00+00:00"
    assert edited.mentions == [Mention(handle="relay_amplifier"), Mention(account_id="user5550001")]
    assert edited.urls == ["https://archive-mirror.example/dawn/12"]
    assert edited.hashtags == ["Notice"]
    assert edited.text.startswith("Update to the bulletin, thanks @relay_amplifier and Placeholder Person.")


def test_full_export_chats_left_chats_and_personal_information() -> None:
    posts, accounts, problems = read(FULL / "result.json")
    assert set(posts) == {
        "1800000001/2",
        "1800000001/3",
        "1800000001/4",
        "1712345678/7",
        "1712345678/8",
        "5550001/20",
        "5550001/21",
        "1799999999/12",
    }
    assert [(p.location, p.kind) for p in problems] == [("chats.list[0].messages[0]", "skipped")]
    assert set(accounts) == {
        "channel1712345678",
        "channel1799999999",
        "user5550001",
        "user5550002",
        "user5550003",
        "user5550099",
    }
    assert accounts["channel1799999999"].display_name == "Relay Amplifier Channel"
    assert posts["1800000001/2"].forward_from_name == "Dawn Media Office Channel"
    assert posts["1800000001/2"].media[0].sha256 is not None
    assert posts["1800000001/3"].reply_to == PostKey("telegram", "1800000001/2")
    assert posts["1712345678/8"].account.account_id == "channel1712345678"  # channel post, no from_id
    [pdf] = posts["1712345678/7"].media
    assert (pdf.mime, pdf.size, pdf.missing) == ("application/pdf", 103, False)
    assert posts["1799999999/12"].urls == ["https://relay-mirror.example/a/12"]


def test_older_export_without_unixtime_or_text_entities() -> None:
    posts, accounts, problems = read(LEGACY)
    assert set(posts) == {"4400001/102", "4400001/103", "4400001/104"}
    assert len(problems) == 1 and problems[0].kind == "skipped"
    assert set(accounts) == {"user7700001", "user7700002"}  # integer from_id of older exports
    old = posts["4400001/102"]
    assert old.timestamp == datetime(2019, 6, 1, 8, 5, tzinfo=UTC)  # "date" taken as UTC
    assert old.hashtags == ["OldTag"] and old.urls == ["http://old-outlet.example/p/1"]
    assert "edited" not in old.metadata  # 1970-01-01 means never edited
    reply = posts["4400001/103"]
    assert reply.metadata["edited"] == "2019-06-01T08:12:30+00:00"
    assert reply.mentions == [Mention(handle="old_member")] and reply.media[0].missing


def test_import_stats_edges_and_idempotency(engine: sa.Engine) -> None:
    for path in (FULL, CHANNEL):
        ingest_source(engine, TelegramExportSource(path), after_batch=())
    summary = ingest_source(engine, TelegramExportSource(LEGACY), after_batch=())
    assert summary.skipped == {"service message": 1} and summary.posts == 3
    counts = platform_stats(engine)["platforms"]["telegram"]
    # posts 8 + 5 + 3; accounts 6 (full) + 0 new (channel) + 2 (legacy)
    assert {k: counts[k] for k in ("posts", "accounts", "media")} == {"posts": 16, "accounts": 8, "media": 6}
    with engine.connect() as conn:
        e = schema.edges
        edges = {
            (r.post_id, r.kind, r.target_ref): r.target_account_id
            for r in conn.execute(sa.select(e.c.post_id, e.c.kind, e.c.target_ref, e.c.target_account_id))
        }
    assert edges[("1800000001/2", "forward", "name:Dawn Media Office Channel")] == "channel1712345678"
    assert edges[("1800000001/4", "forward", "name:Relay Amplifier Channel")] == "channel1799999999"
    assert edges[("1800000001/3", "reply", "post:1800000001/2")] == "user5550002"
    assert edges[("1712345678/6", "mention", "user5550001")] == "user5550001"
    assert edges[("1712345678/5", "forward", "name:Unlisted Placeholder Source")] is None
    assert edges[("4400001/104", "forward", "name:Old Member")] == "user7700001"
    assert counts["edges"] == sum(v is not None for v in edges.values())
    for path in (FULL, CHANNEL, LEGACY):
        again = ingest_source(engine, TelegramExportSource(path), after_batch=())
        assert (again.posts, again.edges) == (0, 0)
    assert platform_stats(engine)["platforms"]["telegram"] == counts


def test_sniff_recognises_telegram_and_rejects_other_formats() -> None:
    for path in (CHANNEL, FULL, LEGACY / "result.json"):
        assert TelegramExportSource.sniff(path, read_head(path)) >= 0.9, path
        assert TwitterV2Source.sniff(path, read_head(path)) == 0.0, path
        scores = {}
        for ep in entry_points(group="openiru.sources"):
            try:
                scores[ep.name] = ep.load().sniff(path, read_head(path))
            except ImportError:
                continue
        assert max(scores, key=lambda name: scores[name]) == "telegram", (path, scores)
    others = [
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and TG not in p.parents and p.suffix in {".json", ".jsonl", ".csv"}
    ]
    for path in others:
        assert TelegramExportSource.sniff(path, read_head(path)) == 0.0, path


def _export(path: Path, chats: int, per_chat: int) -> Path:
    doc = {
        "about": "x",
        "personal_information": {"user_id": 1, "first_name": "A"},
        "chats": {
            "about": "x",
            "list": [
                {
                    "name": f"Chat {c}",
                    "type": "public_channel",
                    "id": 1000 + c,
                    "messages": [
                        {
                            "id": i,
                            "type": "message",
                            "date": "2024-01-01T00:00:00",
                            "date_unixtime": "1704067200",
                            "from": f"Chat {c}",
                            "from_id": f"channel{1000 + c}",
                            "text": "x" * 50,
                        }
                        for i in range(per_chat)
                    ],
                }
                for c in range(chats)
            ],
        },
        "left_chats": {"about": "x", "list": []},
    }
    path.write_text(json.dumps(doc, indent=1))
    return path


def test_stream_spans_chunks_and_keeps_each_message_with_its_chat(tmp_path: Path) -> None:
    path = _export(tmp_path / "result.json", chats=7, per_chat=150)
    seen: list[tuple[object, int]] = []
    chat = None
    for event in ChatStream(path, queue_size=2, chunk_size=1024):
        if event[0] == "chat":
            chat = event[1]["id"]
        elif event[0] == "msg":
            assert event[1]["from_id"] == f"channel{chat}"
            seen.append((chat, event[1]["id"]))
    assert seen == [(1000 + c, i) for c in range(7) for i in range(150)]


def test_truncated_export_keeps_what_came_before(tmp_path: Path) -> None:
    whole = _export(tmp_path / "whole.json", chats=2, per_chat=200).read_bytes()
    cut = tmp_path / "result.json"
    cut.write_bytes(whole[: len(whole) * 3 // 4])
    posts, _, problems = read(cut)
    assert 250 < len(posts) < 400
    assert len(problems) == 1 and problems[0].kind == "error"
    assert problems[0].reason.startswith("invalid JSON") and "near byte" in problems[0].location


def test_a_consumer_that_stops_early_ends_the_parser_thread(tmp_path: Path) -> None:
    path = _export(tmp_path / "result.json", chats=3, per_chat=2000)
    stream = iter(ChatStream(path, queue_size=1, chunk_size=4096))
    for _ in range(10):
        next(stream)
    stream.close()  # type: ignore[attr-defined]
    assert not [t for t in threading.enumerate() if t.name.startswith("telegram-")]
    assert sum(1 for e in ChatStream(path) if e[0] == "msg") == 6000


def test_malformed_messages_name_their_json_path_and_strict_stops(tmp_path: Path, sqlite_url: str) -> None:
    from openiru.errors import RecordError
    from openiru.store.db import open_database

    chat = {
        "name": "Chat",
        "type": "private_supergroup",
        "id": 77,
        "messages": [
            {
                "id": 1,
                "type": "message",
                "date": "2024-01-01T00:00:00",
                "from": "A",
                "from_id": "user1",
                "text": "ok",
            },
            {"id": 2, "type": "message", "from": "A", "from_id": "user1", "text": "no date"},
            {"id": 3, "type": "message", "date": "2024-01-01T00:02:00", "from_id": "user1", "text": 42},
            "not a message",
            {"id": 5, "type": "message", "date": "2024-01-01T00:04:00", "from_id": "user1", "text": "fine"},
        ],
    }
    path = tmp_path / "result.json"
    path.write_text(json.dumps({"chats": {"list": [chat]}, "left_chats": {"list": []}}))
    posts, _, problems = read(path)
    assert set(posts) == {"77/1", "77/5"}
    assert [(p.location, p.reason.split(":")[0]) for p in problems] == [
        ("chats.list[0].messages[1]", "invalid message"),
        ("chats.list[0].messages[2]", "invalid message"),
        ("chats.list[0].messages[3]", "invalid message"),
    ]
    assert "'date'" in problems[0].reason and "invalid text" in problems[1].reason

    engine = open_database(sqlite_url)
    try:
        with pytest.raises(RecordError) as stopped:
            ingest_source(engine, TelegramExportSource(path), strict=True, after_batch=())
        assert stopped.value.location == "chats.list[0].messages[1]"
        assert platform_stats(engine)["platforms"]["telegram"]["posts"] == 1  # message 1 kept
    finally:
        engine.dispose()
