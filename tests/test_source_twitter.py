"""twarc2 X API v2 JSONL importer: pages, streaming lines, flattened tweets, broken lines."""

from __future__ import annotations

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
from openiru.sources.twitter import TwitterV2Source, snowflake_time
from openiru.store import schema

FIXTURES = Path(__file__).parent / "fixtures"
TW = FIXTURES / "twarc2"
SEARCH, STREAM, FLAT = TW / "search.jsonl", TW / "stream.jsonl", TW / "flattened.jsonl"
NESTED, BROKEN = TW / "flattened_nested.jsonl", TW / "broken.jsonl"

DAWN, RELAY, REPORTER, ARCHIVE, MIRROR = (f"160000000000000000{i}" for i in range(1, 6))
T0, T1, T2, T3, T4 = (
    "1762870271800246273",
    "1763504450565046274",
    "1763505708856246275",
    "1763519550059446276",
    "1763527099806646277",
)
T5, T6, S1, S2 = "1763851738936246278", "1763852116423606279", "1764199027307446280", "1764201543889846281"


def read(path: Path) -> tuple[dict[str, Post], dict[str, Account], list[Problem]]:
    posts: dict[str, Post] = {}
    accounts: dict[str, Account] = {}
    problems: list[Problem] = []
    for record in TwitterV2Source(path).records():
        if isinstance(record, Post):
            posts[record.key.post_id] = record
        elif isinstance(record, Account):
            accounts[record.key.account_id] = record
        else:
            problems.append(record)
    return posts, accounts, problems


def test_page_lines_give_every_field() -> None:
    posts, accounts, problems = read(SEARCH)
    assert problems == []
    assert set(posts) == {T0, T1, T2, T3, T4, T5, T6}  # T0 only in includes.tweets
    assert set(accounts) == {DAWN, RELAY, REPORTER, ARCHIVE}

    t1 = posts[T1]
    assert t1.account.account_id == DAWN and t1.key.platform == "x"
    assert t1.timestamp == datetime(2024, 3, 1, 10, 0, tzinfo=UTC)
    assert t1.language == "en" and t1.metadata["conversation_id"] == T1
    assert t1.hashtags == ["DawnBulletin", "Notice"]
    assert t1.urls == ["https://dawn-bulletin.example/issue/12"]  # the photo link is media, not a URL
    assert [(m.url, m.native_key, m.mime) for m in t1.media] == [
        ("https://pbs.twimg.com/media/GHplaceholder1.jpg", f"x:3_{T1}", "image/jpeg")
    ]
    assert orjson.loads(t1.raw)["public_metrics"]["like_count"] == 40

    t2 = posts[T2]  # retweet of a tweet seen only in includes: "RT @archive_voice:" is not a mention
    assert t2.repost_of == PostKey("x", T0) and t2.mentions == []
    assert posts[T0].account.account_id == ARCHIVE and posts[T0].hashtags == ["ArchiveNote"]
    assert posts[T3].quote_of == PostKey("x", T1)
    assert posts[T3].urls == [f"https://twitter.com/dawn_media/status/{T1}"]

    t4 = posts[T4]
    assert t4.reply_to == PostKey("x", T3) and t4.reply_to_account is not None
    assert t4.reply_to_account.account_id == REPORTER
    assert t4.text == "@jl_reporter Texte de remplacement & suite"  # X's HTML escaping undone
    assert t4.language == "fr" and t4.metadata["conversation_id"] == T3
    assert t4.mentions == [Mention(handle="jl_reporter", account_id=REPORTER)]

    t5 = posts[T5]  # no created_at: the time comes from the snowflake id
    assert t5.timestamp == datetime(2024, 3, 2, 9, 0, tzinfo=UTC) == snowflake_time(T5)
    assert [(m.url, m.mime) for m in t5.media] == [
        ("https://pbs.twimg.com/ext_tw_video_thumb/placeholder5/pu/img/thumb5.jpg", "video/mp4")
    ]
    t6 = posts[T6]  # the retweeted author's mention is dropped, the others kept
    assert t6.repost_of == PostKey("x", T5)
    assert t6.mentions == [Mention(handle="jl_reporter", account_id=REPORTER)]

    dawn = accounts[DAWN]
    assert (dawn.handle, dawn.display_name, dawn.followers) == ("dawn_media", "Dawn Media Office", 1520)
    assert dawn.bio == "Fictional outlet used in OpenIRU test data."
    assert dawn.created_at == datetime(2022, 1, 10, 8, 0, tzinfo=UTC)
    assert dawn.avatar is not None
    assert dawn.avatar.url == "https://pbs.twimg.com/profile_images/1600000000000000001/dawn_normal.jpg"


def _comparable(post: Post) -> tuple[object, ...]:
    return (
        post.account,
        post.timestamp,
        post.text,
        post.language,
        post.urls,
        post.hashtags,
        post.mentions,
        post.reply_to,
        post.reply_to_account,
        post.repost_of,
        post.quote_of,
        [(m.url, m.native_key) for m in post.media],
    )


def test_flattened_lines_give_the_same_posts_as_pages() -> None:
    """flattened.jsonl is search.jsonl run through twarc's own ``ensure_flattened``."""
    pages, page_accounts, _ = read(SEARCH)
    flat, flat_accounts, problems = read(FLAT)
    assert problems == []
    assert set(flat) == set(pages)
    for post_id, post in pages.items():
        assert _comparable(flat[post_id]) == _comparable(post), post_id
    assert set(flat_accounts) == set(page_accounts)
    assert flat_accounts[DAWN].followers == 1520


def test_nested_referenced_tweet_and_streaming_lines() -> None:
    posts, accounts, problems = read(NESTED)
    assert problems == [] and set(accounts) == {MIRROR, DAWN}
    retweet = posts["1765000000000000201"]
    assert retweet.repost_of == PostKey("x", T1) and retweet.mentions == []
    assert posts[T1].account.account_id == DAWN

    posts, accounts, problems = read(STREAM)
    assert problems == [] and set(posts) == {S1, S2} and set(accounts) == {MIRROR, RELAY}
    assert posts[S1].language == "ar" and posts[S1].hashtags == ["DawnBulletin"]
    assert posts[S2].quote_of == PostKey("x", S1)


def test_broken_lines_are_problems_naming_file_and_line() -> None:
    posts, _, problems = read(BROKEN)
    assert set(posts) == {"1765000000000000101", "1765000000000000104", "1765000000000000105"}
    found = [(p.location, p.reason.split(":")[0]) for p in problems]
    assert found == [
        ("line 2", "invalid JSON"),
        ("line 3", "not a tweet or response page"),
        ("line 4: data[0]", "invalid tweet"),
        ("line 7", "invalid JSON"),
    ]
    assert all(p.file == str(BROKEN) and p.kind == "error" for p in problems)
    assert "no author_id" in problems[2].reason


def test_sniff_recognises_twarc2_and_rejects_other_formats() -> None:
    for path in (SEARCH, STREAM, FLAT, NESTED, BROKEN):
        assert TwitterV2Source.sniff(path, read_head(path)) >= 0.85, path
        assert TelegramExportSource.sniff(path, read_head(path)) == 0.0, path
    others = [
        p
        for p in FIXTURES.rglob("*")
        if p.is_file() and TW not in p.parents and p.suffix in {".json", ".jsonl", ".csv"}
    ]
    assert others, "expected fixtures of the other formats"
    for path in others:
        assert TwitterV2Source.sniff(path, read_head(path)) == 0.0, path


def test_auto_detection_picks_twarc2() -> None:
    for path in (SEARCH, STREAM, FLAT):
        head = read_head(path)
        scores = {}
        for ep in entry_points(group="openiru.sources"):
            try:
                scores[ep.name] = ep.load().sniff(path, head)
            except ImportError:
                continue
        assert max(scores, key=lambda name: scores[name]) == "twarc2", (path, scores)


def test_import_into_the_store_is_idempotent(engine: sa.Engine) -> None:
    first = ingest_source(engine, TwitterV2Source(SEARCH), after_batch=())
    assert (first.posts, first.accounts, first.edges) == (7, 4, 7)
    again = ingest_source(engine, TwitterV2Source(SEARCH), after_batch=())
    assert (again.posts, again.edges) == (0, 0)
    ingest_source(engine, TwitterV2Source(FLAT), after_batch=())
    stats = platform_stats(engine)["platforms"]["x"]
    assert {k: stats[k] for k in ("posts", "accounts", "edges", "media")} == {
        "posts": 7,
        "accounts": 4,
        "edges": 7,
        "media": 2,
    }
    assert stats["unresolved_edges"] == 0
    with engine.connect() as conn:
        e = schema.edges
        rows = conn.execute(sa.select(e.c.post_id, e.c.kind, e.c.target_account_id)).all()
        dawn = conn.execute(sa.select(schema.accounts).where(schema.accounts.c.account_id == DAWN)).one()
        t1 = conn.execute(sa.select(schema.posts).where(schema.posts.c.post_id == T1)).one()
    assert set(rows) == {
        (T2, "repost", ARCHIVE),
        (T3, "quote", DAWN),
        (T4, "mention", REPORTER),
        (T4, "reply", REPORTER),
        (T5, "mention", REPORTER),
        (T6, "repost", DAWN),
        (T6, "mention", REPORTER),
    }
    assert dawn.handle == "dawn_media" and dawn.followers == 1520
    assert dawn.avatar_media.startswith("url:https://pbs.twimg.com/profile_images/")
    assert t1.hashtags == ["DawnBulletin", "Notice"] and t1.language == "en"
    assert orjson.loads(t1.raw)["id"] == T1


@pytest.mark.parametrize("path", [BROKEN])
def test_broken_file_imports_what_is_valid(engine: sa.Engine, path: Path) -> None:
    summary = ingest_source(engine, TwitterV2Source(path), after_batch=())
    assert summary.posts == 3
    assert summary.errors == {"invalid JSON": 2, "not a tweet or response page": 1, "invalid tweet": 1}
    assert any(p.startswith(f"{path}:line 4: data[0]: invalid tweet") for p in summary.problems)


def test_user_pages_give_accounts_and_repeated_users_are_yielded_once(tmp_path: Path) -> None:
    user = {
        "id": "1600000000000000009",
        "username": "page_user",
        "name": "Page User",
        "public_metrics": {"followers_count": 3},
    }
    page = {
        "data": [user],
        "meta": {"result_count": 1},
        "__twarc": {"url": "https://api.twitter.com/2/users"},
    }
    path = tmp_path / "users.jsonl"
    path.write_bytes(orjson.dumps(page) + b"\n" + orjson.dumps(page) + b"\n")
    assert TwitterV2Source.sniff(path, read_head(path)) >= 0.9
    records = list(TwitterV2Source(path).records())
    assert len(records) == 1 and isinstance(records[0], Account)
    assert (records[0].handle, records[0].followers) == ("page_user", 3)


def test_users_lookup_errors_mark_accounts_suspended_or_deleted(engine: sa.Engine) -> None:
    """``twarc2 users`` reports suspended and deleted accounts in the page's ``errors``; an account
    named by id gets that status, with the look-up's time, without losing what is known of it."""
    posts, accounts, problems = read(TW / "users.jsonl")
    assert not posts and not problems
    suspended, deleted = accounts["1500000000000000002"], accounts["1500000000000000003"]
    assert (suspended.status, deleted.status) == ("suspended", "deleted")
    assert suspended.status_changed_at is None  # the look-up says that, not when
    assert suspended.metadata == {"status_checked_at": "2026-05-02T08:30:00+00:00"}
    found = accounts["1500000000000000001"]  # returned by the look-up: alive when it was made
    assert (found.status, found.status_changed_at) == ("active", datetime(2026, 5, 2, 8, 30, tzinfo=UTC))
    assert "ashen_relay" not in accounts  # a username cannot be matched to an account id
    with engine.begin() as conn:  # the suspended account was known by its handle before
        conn.execute(
            schema.accounts.insert().values(
                platform="x", account_id="1500000000000000002", handle="ember_relay", status="active"
            )
        )
    ingest_source(engine, TwitterV2Source(TW / "users.jsonl"))
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(schema.accounts).where(schema.accounts.c.account_id == "1500000000000000002")
        ).one()
    assert (row.handle, row.status) == ("ember_relay", "suspended")
