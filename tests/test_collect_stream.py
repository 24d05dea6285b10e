"""Mastodon streaming (server-sent events) against the local fake: statuses stored as they are
streamed, the gap since the checkpoint filled over REST on every (re)connect, each status once
across a dropped stream, reconnect backoff, a refused stream (expired token) without its token
in the error, a hashtag stream, and one stream per target across two schedulers (leases)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from collect_support import FakeServer
from openiru.services.collect import watchlist
from openiru.services.collect.scheduler import Scheduler
from openiru.services.collect.streaming import TargetStream
from openiru.sources.connectors.base import Target
from openiru.store import schema

TOKEN = "masto-stream-token-987"


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeServer]:
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1")
    with FakeServer() as server:
        yield server


def until(check: Callable[[], bool], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def stored(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(sa.select(schema.posts.c.post_id))]


def started(runner: TargetStream) -> threading.Thread:
    thread = threading.Thread(target=runner.run, daemon=True)
    thread.start()
    return thread


def test_stream_gap_fill_live_statuses_and_reconnect_once_each(
    fake: FakeServer, sqlite_engine: sa.Engine
) -> None:
    fake.add_statuses(range(1, 60))  # before the collector starts: the gap fill reads them
    waits: list[float] = []
    runner = TargetStream(sqlite_engine, Target("mastodon", "stream:public", fake.url), sleep=waits.append)
    thread = started(runner)
    try:
        fake.wait_streams(1)
        until(lambda: runner.stats.gap_filled == 59)
        for n in range(60, 65):
            fake.publish(n)
        until(lambda: runner.stats.streamed == 5)
        assert runner.stats.checkpoint == {"min_id": str(110000000000000000 + 64)}
        fake.add_statuses(range(65, 70))  # posted while the stream is down: not streamed
        fake.drop_streams()
        until(lambda: runner.stats.connects == 2)
        until(lambda: runner.stats.gap_filled == 64)
        fake.publish(70)
        until(lambda: runner.stats.streamed == 6)
    finally:
        runner.stop.set()
        thread.join(10)
    assert not thread.is_alive() and runner.stats.connects == 2 and waits == [1.0]
    ids = stored(sqlite_engine)
    assert len(ids) == 70 == len(set(ids))
    assert runner.stats.new_posts == 6 and runner.stats.errors[-1].endswith("the server closed the stream")


def test_refused_stream_backs_off_and_keeps_the_token_secret(
    fake: FakeServer, sqlite_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENIRU_MASTODON_TOKEN", TOKEN)
    fake.faults["/api/v1/streaming"] = [(401, {}), (401, {})]  # an expired token, twice
    waits: list[float] = []
    runner = TargetStream(sqlite_engine, Target("mastodon", "stream:local", fake.url), sleep=waits.append)
    thread = started(runner)
    try:
        fake.wait_streams(1)
        fake.publish(1)
        until(lambda: runner.stats.streamed == 1)
    finally:
        runner.stop.set()
        thread.join(10)
    assert waits == [2.0, 4.0] and runner.stats.connects == 1
    assert len(runner.stats.errors) == 2 and not any(TOKEN in e for e in runner.stats.errors)
    streamed = [r for r in fake.requests if r[1].startswith("/api/v1/streaming/public/local")]
    assert streamed[-1][3]["Authorization"] == f"Bearer {TOKEN}"


def test_hashtag_stream_stores_only_the_tag(fake: FakeServer, sqlite_engine: sa.Engine) -> None:
    runner = TargetStream(
        sqlite_engine, Target("mastodon", "stream:tag:circle", fake.url), sleep=lambda s: None
    )
    thread = started(runner)
    try:
        fake.wait_streams(1)
        until(lambda: runner.stats.connects == 1)
        fake.publish(1, tags=("circle",))
        fake.publish(2)
        fake.publish(3, tags=("circle",))
        until(lambda: runner.stats.streamed == 2)
    finally:
        runner.stop.set()
        thread.join(10)
    assert sorted(stored(sqlite_engine)) == [str(110000000000000000 + n) for n in (1, 3)]


def test_one_stream_per_target_across_two_schedulers(fake: FakeServer, sqlite_engine: sa.Engine) -> None:
    target_id = watchlist.add(sqlite_engine, "mastodon", "stream:public", fake.url)
    first, second = Scheduler(sqlite_engine, holder="host-a:1"), Scheduler(sqlite_engine, holder="host-b:2")
    try:
        assert first.start_streams() == [target_id]
        assert second.start_streams() == []  # the lease is held by the first
        fake.wait_streams(1)
        assert second.run_due() == []  # streamed elsewhere: not polled either
        fake.publish(1)
        until(lambda: first.streams[target_id][1].stats.streamed == 1)
        assert len(fake.subscribers) == 1
    finally:
        first.stop_streams()
    assert second.start_streams() == [target_id]  # released: the other takes over
    second.stop_streams()
    assert stored(sqlite_engine) == [str(110000000000000001)]


def test_stream_target_polled_by_collect_once(fake: FakeServer, sqlite_engine: sa.Engine) -> None:
    fake.add_statuses(range(1, 50))
    watchlist.add(sqlite_engine, "mastodon", "stream:public", fake.url)
    assert [r.new_posts for r in Scheduler(sqlite_engine).run_due()] == [49]
    with pytest.raises(Exception, match="expected"):
        watchlist.add(sqlite_engine, "mastodon", "stream:account:u1", fake.url)


def test_a_silent_stream_counts_as_dropped_and_is_reopened(
    fake: FakeServer, sqlite_engine: sa.Engine
) -> None:
    fake.heartbeat_s = 5.0  # no heartbeat within the read timeout
    waits: list[float] = []
    runner = TargetStream(
        sqlite_engine, Target("mastodon", "stream:public", fake.url), sleep=waits.append, read_timeout=0.3
    )
    thread = started(runner)
    try:
        until(lambda: runner.stats.connects >= 2)
    finally:
        runner.stop.set()
        fake.drop_streams()
        thread.join(10)
    assert "Timed out" in runner.stats.errors[0] and waits[0] == 1.0


def test_x_filtered_stream_rule_gap_fill_live_and_other_rules(
    fake: FakeServer, sqlite_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from collect_support import tweet

    monkeypatch.setenv("OPENIRU_X_BEARER_TOKEN", "x-bearer-token-1")
    fake.x_rules_set.append({"id": "1500000000000000001", "value": "other rule", "tag": "someone else"})
    fake.tweets = [tweet(n) for n in range(1, 130)]  # before the collector starts: the gap fill reads them
    waits: list[float] = []
    runner = TargetStream(sqlite_engine, Target("x", "stream:examplecircle", fake.url), sleep=waits.append)
    thread = started(runner)
    try:
        until(lambda: len(fake.x_subscribers) == 1)
        until(lambda: runner.stats.gap_filled == 129)
        ours = [r["id"] for r in fake.x_rules_set if r["value"] == "examplecircle"]
        assert len(ours) == 1 and len(fake.x_rules_set) == 2  # added once, the other rule left alone
        fake.publish_tweet(130)
        fake.publish_tweet(131, rule_ids=["1500000000000000001"])  # matched another rule only
        fake.publish_tweet(132)
        until(lambda: runner.stats.streamed == 2)
        assert runner.stats.checkpoint["since_id"] == tweet(132)["id"]
        fake.drop_streams()  # reconnect: the gap fill searches after since_id (132): nothing new
        until(lambda: runner.stats.connects == 2)
        until(lambda: runner.stats.gap_filled == 129)
        fake.publish_tweet(133)
        until(lambda: runner.stats.streamed == 3)
    finally:
        runner.stop.set()
        thread.join(10)
    ids = stored(sqlite_engine)
    assert tweet(131)["id"] not in ids and len(ids) == 132 == len(set(ids))
    assert len([r for r in fake.x_rules_set if r["value"] == "examplecircle"]) == 1 and waits == [1.0]
