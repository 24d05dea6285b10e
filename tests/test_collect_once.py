"""Done-when of issue 15 for every connector: ``openiru watch add`` then ``openiru collect --once``
twice stores every item of the fake server once and nothing the second time; a later poll (the
target due again) reads nothing new, and items added to the fake afterwards are exactly what the
next poll stores.  Telegram (no fake MTProto server) runs the same two polls through the
scheduler with a stub client handing out real Telethon ``Message`` objects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from collect_support import FakeServer, message, tweet
from openiru.commands import collect as collect_cmd
from openiru.services.collect import watchlist
from openiru.services.collect.scheduler import Scheduler
from openiru.store import schema
from openiru.store.db import open_database
from openiru.store.tables_collect import watch_targets

Fill = Callable[[FakeServer, range], None]


def _statuses(tags: tuple[str, ...] = ()) -> Fill:
    return lambda fake, numbers: fake.add_statuses(numbers, tags=tags)


def _messages(fake: FakeServer, numbers: range) -> None:
    fake.messages.extend(message(n) for n in numbers)


def _group_messages(fake: FakeServer, numbers: range) -> None:
    fake.messages.extend(message(n, rid="GROUP1") for n in numbers)
    fake.messages.extend(message(10_000 + n) for n in numbers)  # in a public channel: not the group's


def _tweets(fake: FakeServer, numbers: range) -> None:
    fake.tweets.extend(tweet(n) for n in numbers)


def _entries(fake: FakeServer, numbers: range) -> None:
    fake.feed_items.extend((f"g{n}", f"Notice {n}") for n in numbers)


# connector, target ({url} = the fake's address), whether --server is the fake, fill, first and second batch
CASES: dict[str, tuple[str, str, bool, Fill, range, range]] = {
    "mastodon-public": ("mastodon", "public", True, _statuses(), range(1, 131), range(131, 140)),
    "mastodon-local": ("mastodon", "local", True, _statuses(), range(1, 50), range(50, 52)),
    "mastodon-tag": ("mastodon", "tag:circle", True, _statuses(("circle",)), range(1, 90), range(90, 93)),
    "mastodon-account": ("mastodon", "account:u1", True, _statuses(), range(1, 45), range(45, 47)),
    "rocketchat-channel": ("rocketchat", "channel:general", True, _messages, range(1, 251), range(251, 260)),
    "rocketchat-group": (
        "rocketchat",
        "group:editors",
        True,
        _group_messages,
        range(1, 120),
        range(120, 123),
    ),
    "x-search": ("x", "search:examplecircle", True, _tweets, range(1, 231), range(231, 235)),
    "x-user": ("x", "user:examplecircle", True, _tweets, range(1, 120), range(120, 122)),
    "x-stream-rule-polled": ("x", "stream:examplecircle", True, _tweets, range(1, 105), range(105, 107)),
    "mastodon-stream-polled": (
        "mastodon",
        "stream:tag:circle",
        True,
        _statuses(("circle",)),
        range(1, 45),
        range(45, 47),
    ),
    "x-search-all": ("x", "search-all:examplecircle", True, _tweets, range(1, 150), range(150, 152)),
    "feed-rss-etag": ("feed", "{url}/feed.xml", False, _entries, range(1, 40), range(40, 43)),
    "feed-atom-last-modified": ("feed", "{url}/atom.xml", False, _entries, range(1, 40), range(40, 43)),
}


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeServer]:
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1")  # the fake is local: allowed, as in the demo
    monkeypatch.setenv("OPENIRU_ROCKETCHAT_USER", "collector")
    monkeypatch.setenv("OPENIRU_ROCKETCHAT_PASSWORD", "s3cret-pass-word")
    monkeypatch.setenv("OPENIRU_X_BEARER_TOKEN", "x-bearer-token-1")
    monkeypatch.setenv("OPENIRU_WARC_DIR", str(tmp_path / "warc"))
    with FakeServer() as server:
        yield server


def cli(*args: str) -> str:
    app = typer.Typer()
    collect_cmd.register(app)
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == 0, result.stdout + result.stderr
    return result.stdout


def stored(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(schema.posts.c.post_id))]


def time_passes(engine: sa.Engine) -> None:
    """The target's interval has passed (its next run is due now)."""
    with engine.begin() as conn:
        conn.execute(sa.update(watch_targets).values(next_due_at=datetime.now(UTC) - timedelta(seconds=1)))


@pytest.mark.parametrize("case", [*CASES, "mastodon-min-id-as-since-id"])
def test_collect_once_twice_stores_every_item_once(case: str, fake: FakeServer, sqlite_url: str) -> None:
    if case == "mastodon-min-id-as-since-id":  # a compatible server that reads min_id as since_id
        fake.min_id_as_since = True
    connector, target, on_server, fill, first, later = CASES.get(case, CASES["mastodon-public"])
    fill(fake, first)
    target = target.format(url=fake.url)
    cli("watch", "add", connector, target, *(["--server", fake.url] if on_server else []), "--db", sqlite_url)
    one = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
    assert [(r["new_posts"], r["errors"]) for r in one] == [(len(first), [])]
    assert "no target due" in cli("collect", "--once", "--db", sqlite_url)  # second run: nothing stored
    engine = open_database(sqlite_url)
    try:
        ids = stored(engine)
        assert len(ids) == len(first) and len(set(ids)) == len(first)
        time_passes(engine)
        again = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
        assert [(r["new_posts"], r["errors"]) for r in again] == [(0, [])]  # polled, nothing new
        fill(fake, later)
        time_passes(engine)
        new = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
        assert [(r["new_posts"], r["posts_read"]) for r in new] == [(len(later), len(later))]
        ids = stored(engine)
        assert len(ids) == len(first) + len(later) == len(set(ids))
    finally:
        engine.dispose()
    if case == "rocketchat-group":  # the private group's history, not a public channel's
        assert {r[1] for r in fake.requests if r[1].endswith(".history")} == {"/api/v1/groups.history"}
    if case == "x-search-all":  # the full-archive endpoint, not recent search
        assert {r[1] for r in fake.requests if r[1].startswith("/2/tweets/")} == {"/2/tweets/search/all"}


def test_web_page_collected_once_then_only_when_changed(fake: FakeServer, sqlite_url: str) -> None:
    cli("watch", "add", "web", f"{fake.url}/page.html", "--db", sqlite_url)
    assert json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))[0]["new_posts"] == 1
    assert "no target due" in cli("collect", "--once", "--db", sqlite_url)
    engine = open_database(sqlite_url)
    try:
        time_passes(engine)
        assert json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))[0]["new_posts"] == 0
        fake.page_text = fake.page_text.replace("Placeholder article text.", "Changed article text.")
        time_passes(engine)
        assert json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))[0]["new_posts"] == 1
        assert len(stored(engine)) == 2
    finally:
        engine.dispose()


def test_telegram_two_polls_through_the_scheduler_store_each_message_once(sqlite_engine: sa.Engine) -> None:
    from test_collect_telegram import StubClient, msg

    client = StubClient([msg(n) for n in range(1, 251)])
    watchlist.add(sqlite_engine, "telegram", "@examplecircle_news")
    clock = [datetime(2026, 3, 1, 12, 0, tzinfo=UTC)]
    scheduler = Scheduler(sqlite_engine, clock=lambda: clock[0], connector_options={"session": client})
    assert [(r.new_posts, r.errors) for r in scheduler.run_due()] == [(250, [])]
    assert scheduler.run_due() == []  # not due: nothing read
    clock[0] += timedelta(minutes=16)
    assert [(r.new_posts, r.posts_read) for r in scheduler.run_due()] == [(0, 0)]
    client.messages += [msg(251), msg(252)]
    clock[0] += timedelta(minutes=16)
    assert [r.new_posts for r in scheduler.run_due()] == [2]
    ids = stored(sqlite_engine)
    assert len(ids) == 252 == len(set(ids))
    assert client.calls[-1][1] == 252 - 2  # asked for messages after the checkpoint only


def test_the_installed_command_end_to_end(fake: FakeServer, tmp_path: Path) -> None:
    """The issue's own words, through the installed ``openiru`` script in new processes."""
    fake.add_statuses(range(1, 101))
    exe = Path(sys.executable).with_name("openiru")
    db = f"sqlite:///{tmp_path / 'e2e.db'}"
    env = {**os.environ, "OPENIRU_DB": db}

    def openiru(*args: str) -> str:
        done = subprocess.run([str(exe), *args], env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    openiru("watch", "add", "mastodon", "public", "--server", fake.url)
    assert "100 new posts" in openiru("collect", "--once")
    assert "no target due" in openiru("collect", "--once")
    engine = open_database(db)
    try:
        assert len(stored(engine)) == 100 == len(set(stored(engine)))
    finally:
        engine.dispose()


FIXTURES = Path(__file__).parent / "fixtures" / "zeronet"


def test_zeronet_site_collected_once_then_only_changed_files(fake: FakeServer, sqlite_url: str) -> None:
    address = fake.add_zeronet_site(FIXTURES / "blog")
    site = fake.zeronet[address]
    cli("watch", "add", "zeronet", address, "--server", fake.url, "--db", sqlite_url)
    [first] = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
    assert (first["errors"], first["new_posts"], first["problems"]) == ([], 2, 1)  # a draft has no date
    assert first["checkpoint"]["files"].keys() == {"data/data.json"}
    assert "no target due" in cli("collect", "--once", "--db", sqlite_url)
    engine = open_database(sqlite_url)
    try:
        assert sorted(stored(engine)) == [f"{address}/post/{n}" for n in (1, 3)]
        time_passes(engine)
        [again] = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
        assert (again["new_posts"], again["posts_read"], again["pages"]) == (
            0,
            0,
            0,
        )  # unchanged: no file read
        data = json.loads(site["data/data.json"])
        data["post"].insert(
            0, {"post_id": 4, "title": "Fourth", "date_published": 1772880000, "body": "New text."}
        )
        site["data/data.json"] = json.dumps(data).encode()
        time_passes(engine)
        [new] = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
        assert new["new_posts"] == 1 and new["errors"] == []
        assert len(stored(engine)) == 3 == len(set(stored(engine)))
        with engine.connect() as conn:  # the owner named as the importer names it
            assert conn.execute(sa.select(schema.posts.c.account_id).distinct()).scalars().all() == [
                "lantern@zeroid.bit"
            ]
    finally:
        engine.dispose()
    requested = [r[1] for r in fake.requests if r[1].startswith(f"/{address}/")]
    assert requested.count(f"/{address}/data/data.json") == 2  # read when new and when changed only


def test_zeronet_follows_includes_and_reads_a_mismatched_file_only_once_it_matches(
    fake: FakeServer, sqlite_engine: sa.Engine
) -> None:
    address = fake.add_zeronet_site(FIXTURES / "talk")
    site = fake.zeronet[address]
    users = sorted({k.split("/")[2] for k in site if k.startswith("data/users/1")})
    listing = json.loads(site["data/users/content.json"])  # users' content.json included by the site
    listing["includes"] = {f"{u}/content.json": {} for u in users}
    site["data/users/content.json"] = json.dumps(listing).encode()
    tampered = f"data/users/{users[0]}/data.json"
    fake.zeronet_tampered[tampered] = site[tampered].replace(b"}", b" }", 1)
    watchlist.add(sqlite_engine, "zeronet", address, fake.url)
    clock = [datetime.now(UTC)]
    scheduler = Scheduler(sqlite_engine, clock=lambda: clock[0])
    [result] = scheduler.run_due()
    # as the import of the same folder (5 posts, 2 problems) less the tampered file's 3 posts, plus its problem
    assert (result.errors, result.new_posts, result.problems) == ([], 2, 3)
    assert set(result.checkpoint["files"]) == {f"data/users/{u}/data.json" for u in users[1:]}
    fake.zeronet_tampered.clear()  # the client has the signed file now: read at the next poll
    clock[0] += timedelta(hours=1)
    [later] = scheduler.run_due()
    assert later.new_posts == 3 and len(later.checkpoint["files"]) == len(users)
    kinds = {pid.split("/")[1] for pid in stored(sqlite_engine)}
    assert kinds == {"topic", "comment"} and len(stored(sqlite_engine)) == result.new_posts + later.new_posts


def test_rocketchat_discover_lists_public_channels_and_adds_them(fake: FakeServer, sqlite_url: str) -> None:
    listed = json.loads(
        cli("watch", "discover", "rocketchat", "--server", fake.url, "--json", "--db", sqlite_url)
    )
    assert [c["name"] for c in listed] == [f"circle-{n}" for n in range(1, 131)]  # two channels.list pages
    assert listed[0] == {"name": "circle-1", "id": "ROOM1", "topic": "Placeholder topic 1", "members": 11}
    assert json.loads(cli("watch", "list", "--json", "--db", sqlite_url)) == []  # listing only
    added = json.loads(
        cli(
            "watch",
            "discover",
            "rocketchat",
            "--server",
            fake.url,
            "--add",
            "--every",
            "1h",
            "--json",
            "--db",
            sqlite_url,
        )
    )
    watched = json.loads(cli("watch", "list", "--json", "--db", sqlite_url))
    assert [w["target"] for w in watched] == [f"channel:circle-{n}" for n in range(1, 131)]
    assert [a["watch_id"] for a in added] == [w["id"] for w in watched] and watched[0]["every_s"] == 3600
    offsets = [r[2].get("offset") for r in fake.requests if r[1] == "/api/v1/channels.list"]
    assert offsets == [["0"], ["100"], ["0"], ["100"]]


def test_telegram_bot_updates_once_each_and_mapped_as_telethon_maps_them(
    fake: FakeServer, sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collect_support import BOT_TOKEN, bot_update

    monkeypatch.setenv("OPENIRU_TELEGRAM_BOT_TOKEN", BOT_TOKEN)
    fake.updates = [bot_update(n) for n in range(1, 251)]
    groups = lambda numbers: [n for n in numbers if n % 5]  # noqa: E731 - every fifth is a private chat
    cli("watch", "add", "telegram-bot", "updates", "--server", fake.url, "--db", sqlite_url)
    [first] = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
    assert (first["errors"], first["new_posts"], first["checkpoint"]) == (
        [],
        len(groups(range(1, 251))),
        {"offset": 900000251},
    )
    assert "no target due" in cli("collect", "--once", "--db", sqlite_url)
    engine = open_database(sqlite_url)
    try:
        time_passes(engine)
        [again] = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
        assert (again["new_posts"], again["posts_read"]) == (0, 0)
        fake.updates += [bot_update(n) for n in range(251, 261)]
        time_passes(engine)
        [new] = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
        assert new["new_posts"] == len(groups(range(251, 261)))
        ids = stored(engine)
        assert len(ids) == len(groups(range(1, 261))) == len(set(ids))
        with engine.connect() as conn:
            row = conn.execute(sa.select(schema.posts).where(schema.posts.c.post_id == "1500000001/3")).one()
            raw = conn.execute(sa.text("select group_concat(state) from collect_checkpoints")).scalar()
        # the Telethon connector's keys: channel number without -100, user<id>, forward origin and post
        assert row.account_id == "user700003" and row.meta["forward_of"] == "1500000009/43"
        assert row.urls == ["https://circle.example/3"] and row.hashtags == ["circle"]
        assert BOT_TOKEN not in raw
    finally:
        engine.dispose()
    monkeypatch.setenv("OPENIRU_TELEGRAM_BOT_TOKEN", "999:wrong-token-XYZ")
    engine = open_database(sqlite_url)
    try:
        time_passes(engine)
    finally:
        engine.dispose()
    [refused] = json.loads(cli("collect", "--once", "--json", "--db", sqlite_url))
    assert refused["errors"] and "wrong-token-XYZ" not in json.dumps(refused)


def test_collected_media_downloaded_hashed_and_stored(
    fake: FakeServer, sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib

    from collect_support import status
    from openiru.services.collect.media import MediaStore

    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    image = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8
    fake.files["/system/media/a.png"] = image
    with_media = status(1, "fedi.example")
    with_media["media_attachments"] = [
        {"id": "501", "type": "image", "url": f"{fake.url}/system/media/a.png"},
        {"id": "502", "type": "image", "url": f"{fake.url}/system/media/gone.png"},  # 404: kept as its URL
        {"id": "503", "type": "image", "url": "http://10.0.0.9/internal.png"},
    ]  # refused: internal address
    fake.statuses.append(with_media)
    watchlist.add(sqlite_engine, "mastodon", "public", fake.url)
    [result] = Scheduler(sqlite_engine).run_due()
    assert (result.new_posts, result.media_downloaded, result.media_failed) == (1, 1, 2)
    digest = hashlib.sha256(image).hexdigest()
    with sqlite_engine.connect() as conn:
        rows = conn.execute(
            sa.select(schema.media.c.sha256, schema.media.c.url, schema.media.c.size).order_by(
                schema.media.c.url
            )
        ).all()
    assert (digest, f"{fake.url}/system/media/a.png", len(image)) in rows
    unhashed = {r.url for r in rows if r.sha256 is None}  # the account's avatar is not a post's media
    assert {f"{fake.url}/system/media/gone.png", "http://10.0.0.9/internal.png"} <= unhashed
    stored_file = MediaStore(tmp_path / "data" / "media").get(digest)
    assert stored_file is not None and stored_file.read_bytes() == image
