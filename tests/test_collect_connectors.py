"""Connectors against the local fake server (tests/collect_support.py): pagination, empty pages,
429 with Retry-After, 5xx, a dropped connection, an expired token, resume from a checkpoint,
WARC capture, and credentials kept out of errors.  No test sleeps: the backoff's sleep is injected."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from collect_support import FakeServer, message, tweet
from openiru.model import Post
from openiru.services.outbound import Outbound
from openiru.sources.connectors.base import Target
from openiru.sources.connectors.feeds import FeedConnector, WebPageConnector
from openiru.sources.connectors.mastodon_live import MastodonConnector
from openiru.sources.connectors.polite import Backoff, ConnectorError, parse_retry_after
from openiru.sources.connectors.rocketchat_live import RocketChatConnector
from openiru.sources.connectors.secrets import Credentials, Secret, load_credentials
from openiru.sources.connectors.x_live import XConnector

PASSWORD = "s3cret-pass-word"


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    with FakeServer() as server:
        yield server


@pytest.fixture
def outbound(monkeypatch: pytest.MonkeyPatch) -> Iterator[Outbound]:
    """The SSRF-safe client the collect service gives feeds and pages, allowed to reach the fake."""
    monkeypatch.setenv("OPENIRU_FETCH_ALLOW", "127.0.0.1")
    with Outbound() as client:
        yield client


def no_sleep() -> tuple[Backoff, list[float]]:
    slept: list[float] = []
    return Backoff(sleep=slept.append, base=0.5), slept


def post_ids(pages: list) -> list[str]:
    return [r.key.post_id for p in pages for r in p.records if isinstance(r, Post)]


def test_retry_after_seconds_and_http_date() -> None:
    now = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after("7", now) == 7.0
    assert parse_retry_after("Sun, 01 Mar 2026 12:00:30 GMT", now) == 30.0
    assert parse_retry_after("garbage", now) is None
    assert Backoff(cap=60).delay(0, "3600") == 60  # capped


def test_mastodon_public_every_status_once_with_429_5xx_and_drop(fake: FakeServer) -> None:
    fake.add_statuses(range(1, 95))
    fake.faults["/api/v1/timelines"] = [(429, {"Retry-After": "7"}), (503, {}), "drop"]
    backoff, slept = no_sleep()
    pages = list(MastodonConnector(Target("mastodon", "public", fake.url), backoff=backoff).pages(None))
    ids = post_ids(pages)
    assert len(ids) == 94 and len(set(ids)) == 94
    assert [p.items for p in pages] == [40, 40, 14]
    first = next(r for r in pages[0].records if isinstance(r, Post))
    assert json.loads(first.raw or "") == fake.statuses[0]  # kept as the server sent it
    assert pages[-1].checkpoint["min_id"] == "110000000000000094"
    assert slept[0] == 7.0 and slept[1:] == [1.0, 2.0]  # Retry-After honoured, then exponential backoff
    # an empty page ends the read: the last request asked for statuses after the newest
    assert fake.requests[-1][2]["min_id"] == ["110000000000000094"]


def test_mastodon_resume_from_checkpoint_reads_only_newer(fake: FakeServer) -> None:
    fake.add_statuses(range(1, 51))
    first = list(MastodonConnector(Target("mastodon", "public", fake.url), max_pages=1).pages(None))
    assert post_ids(first) == [f"1100000000000000{n:02d}" for n in range(1, 41)]
    fake.add_statuses(range(51, 61))
    rest = list(MastodonConnector(Target("mastodon", "public", fake.url)).pages(first[-1].checkpoint))
    assert post_ids(rest) == [f"1100000000000000{n:02d}" for n in range(41, 61)]


def test_mastodon_tag_and_account_targets(fake: FakeServer) -> None:
    fake.add_statuses(range(1, 6), tags=("circle",), account=1)
    fake.add_statuses(range(6, 9), account=2)
    tag = list(MastodonConnector(Target("mastodon", "tag:circle", fake.url)).pages(None))
    assert len(post_ids(tag)) == 5
    acct = list(MastodonConnector(Target("mastodon", "account:u2", fake.url)).pages(None))
    assert len(post_ids(acct)) == 3 and acct[-1].checkpoint["account_id"] == "2"
    with pytest.raises(ValueError):
        MastodonConnector(Target("mastodon", "home", fake.url))


def test_mastodon_server_failing_for_good_is_an_error_without_the_token(fake: FakeServer) -> None:
    fake.add_statuses(range(1, 3))
    fake.faults["/api/v1/timelines"] = [(500, {})] * 10
    backoff, slept = no_sleep()
    backoff.retries = 2
    token = "masto-token-abcdef123"
    connector = MastodonConnector(
        Target("mastodon", "public", fake.url), backoff=backoff, credentials=Credentials({"token": token})
    )
    with pytest.raises(ConnectorError) as err:
        list(connector.pages(None))
    assert token not in str(err.value) and len(slept) == 2
    assert fake.requests[0][3]["Authorization"] == f"Bearer {token}"  # it was sent, to the server only


def rocket(fake: FakeServer, **kw: object) -> RocketChatConnector:
    return RocketChatConnector(
        Target("rocketchat", "channel:general", fake.url),
        credentials=Credentials({"user": "collector", "password": PASSWORD}),
        **kw,
    )


def test_rocketchat_walk_all_messages_once_and_resume_mid_walk(fake: FakeServer) -> None:
    fake.messages = [message(n) for n in range(1, 251)]
    first = list(rocket(fake, max_pages=1).pages(None))  # stopped after one page of the walk
    assert "walk" in first[0].checkpoint
    rest = list(rocket(fake).pages(first[0].checkpoint))
    ids = post_ids(first) + post_ids(rest)
    assert set(ids) == {f"msg{n:05d}" for n in range(1, 251)}
    assert "walk" not in rest[-1].checkpoint and rest[-1].checkpoint["since"] == message(250)["ts"]
    # nothing new: no page; then two new messages: exactly those
    assert list(rocket(fake).pages(rest[-1].checkpoint)) == []
    fake.messages += [message(251), message(252)]
    again = list(rocket(fake).pages(rest[-1].checkpoint))
    assert sorted(post_ids(again)) == ["msg00251", "msg00252"]


def test_rocketchat_expired_token_logs_in_again(fake: FakeServer) -> None:
    fake.messages = [message(n) for n in range(1, 4)]
    connector = rocket(fake)
    api = connector._api()
    fake.valid_tokens = set()  # the token expires
    assert connector._call(api, "channels.info", roomName="general")["channel"]["_id"] == "ROOM1"
    assert fake.logins == 2


def test_rocketchat_wrong_password_error_holds_no_credential(fake: FakeServer) -> None:
    connector = RocketChatConnector(
        Target("rocketchat", "channel:general", fake.url),
        credentials=Credentials({"user": "collector", "password": "wrong-password-9"}),
    )
    with pytest.raises(ConnectorError) as err:
        list(connector.pages(None))
    assert "wrong-password-9" not in str(err.value) and "RocketAuthenticationException" in str(err.value)


def test_credentials_from_env_and_secrets_file_are_masked(tmp_path: Path) -> None:
    secrets = tmp_path / "secrets.json"
    secrets.write_text(
        '{"rocketchat": {"user": "a"}, "rocketchat@chat.example": {"password": "from-file-pw"}}'
    )
    creds = load_credentials(
        "rocketchat",
        "https://chat.example",
        fields=("user", "password", "token"),
        env={"OPENIRU_SECRETS_FILE": str(secrets), "OPENIRU_ROCKETCHAT_TOKEN": "env-token-1"},
    )
    assert creds.has("user", "password", "token")
    assert creds.get("password").reveal() == "from-file-pw"  # type: ignore[union-attr]
    shown = f"{creds!r} {creds.get('password')} {creds.get('token')!r}"
    assert "from-file-pw" not in shown and "env-token-1" not in shown
    assert creds.redact("login failed for env-token-1") == "login failed for ***"
    with pytest.raises(TypeError):
        import pickle

        pickle.dumps(Secret("x"))


def test_feed_entries_once_conditional_get_and_warc(
    fake: FakeServer, tmp_path: Path, outbound: Outbound
) -> None:
    fake.feed_items = [("g1", "First notice"), ("g2", "Second notice")]
    target = Target("feed", f"{fake.url}/feed.xml")
    pages = list(FeedConnector(target, warc_dir=tmp_path, session=outbound).pages(None))
    posts = [r for r in pages[0].records if isinstance(r, Post)]
    assert [p.key.post_id for p in posts] == ["g1", "g2"] and "First notice" in posts[0].text
    assert posts[0].timestamp == datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
    cp = pages[0].checkpoint
    assert list(FeedConnector(target, warc_dir=tmp_path, session=outbound).pages(cp)) == []  # 304
    assert fake.requests[-1][3].get("If-None-Match") == cp["etag"]
    fake.feed_items.append(("g3", "Third notice"))
    new = list(FeedConnector(target, warc_dir=tmp_path, session=outbound).pages(cp))
    assert post_ids(new) == ["g3"]
    warcs = list(tmp_path.glob("*.warc.gz"))
    with warcs[0].open("rb") as fh:
        records = [
            (r.rec_type, r.rec_headers.get_header("WARC-Record-ID"), r.content_stream().read())
            for r in ArchiveIterator(fh)
        ]
    responses = [r for r in records if r[0] == "response"]
    assert len(responses) == 3
    assert responses[0][1] == posts[0].metadata["warc_record_id"] and b"First notice" in responses[0][2]


def test_feed_refuses_internal_address_without_allow_list(
    fake: FakeServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OPENIRU_FETCH_ALLOW", raising=False)
    with Outbound() as client, pytest.raises(Exception, match="internal address"):
        list(
            FeedConnector(Target("feed", f"{fake.url}/feed.xml"), warc_dir=tmp_path, session=client).pages(
                None
            )
        )
    with pytest.raises(ConnectorError, match="no HTTP client"):
        list(FeedConnector(Target("feed", f"{fake.url}/feed.xml"), warc_dir=tmp_path).pages(None))


def test_web_page_article_text_new_only_when_changed(
    fake: FakeServer, tmp_path: Path, outbound: Outbound
) -> None:
    target = Target("web", f"{fake.url}/page.html")
    pages = list(WebPageConnector(target, warc_dir=tmp_path, session=outbound).pages(None))
    post = [r for r in pages[0].records if isinstance(r, Post)][0]
    assert "Placeholder article text" in post.text
    assert (
        list(WebPageConnector(target, warc_dir=tmp_path, session=outbound).pages(pages[0].checkpoint)) == []
    )
    fake.page_text = fake.page_text.replace("Placeholder article text.", "Changed placeholder article text.")
    changed = list(WebPageConnector(target, warc_dir=tmp_path, session=outbound).pages(pages[0].checkpoint))
    assert len(post_ids(changed)) == 1 and post_ids(changed) != [post.key.post_id]


def x_connector(fake: FakeServer, target: str = "search:examplecircle", **kw: object) -> XConnector:
    return XConnector(
        Target("x", target, fake.url), credentials=Credentials({"bearer_token": "x-bearer-token-1"}), **kw
    )


def test_x_search_walk_resume_and_rate_limit_reset(fake: FakeServer) -> None:
    fake.tweets = [tweet(n) for n in range(1, 251)]
    backoff, slept = no_sleep()
    backoff.now = lambda: datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
    reset = int(backoff.now().timestamp()) + 42
    fake.faults["/2/tweets/search/recent"] = [
        (429, {"x-rate-limit-reset": str(reset), "x-rate-limit-remaining": "0"})
    ]
    first = list(x_connector(fake, backoff=backoff, max_pages=1).pages(None))
    assert slept == [42.0] and len(post_ids(first)) == 100 and "walk" in first[0].checkpoint
    fake.tweets.append(tweet(251))  # arrives during the walk: read by the next poll
    rest = list(x_connector(fake).pages(first[0].checkpoint))
    ids = post_ids(first) + post_ids(rest)
    assert sorted(ids) == sorted(t["id"] for t in fake.tweets[:250])
    assert rest[-1].checkpoint == {"since_id": tweet(250)["id"]}
    again = list(x_connector(fake).pages(rest[-1].checkpoint))
    assert post_ids(again) == [tweet(251)["id"]]
    assert list(x_connector(fake).pages(again[-1].checkpoint)) == []  # an empty answer: no page
    assert fake.requests[-1][2]["since_id"] == [tweet(251)["id"]]


def test_x_user_timeline_and_missing_or_wrong_token(fake: FakeServer) -> None:
    fake.tweets = [tweet(n) for n in range(1, 6)]
    pages = list(x_connector(fake, "user:examplecircle").pages(None))
    assert len(post_ids(pages)) == 5 and pages[-1].checkpoint["user_id"] == "900001"
    with pytest.raises(ConnectorError, match="no bearer token"):
        list(XConnector(Target("x", "search:a", fake.url)).pages(None))
    wrong = XConnector(
        Target("x", "search:a", fake.url), credentials=Credentials({"bearer_token": "bad-token-77"})
    )
    with pytest.raises(ConnectorError) as err:
        list(wrong.pages(None))
    assert "bad-token-77" not in str(err.value)


def test_rocketchat_a_time_shared_by_more_than_a_page_is_walked_through(fake: FakeServer) -> None:
    same = message(1)["ts"]
    fake.messages = [{**message(n), "ts": same} for n in range(1, 251)] + [
        message(n) for n in range(251, 261)
    ]
    first = list(rocket(fake, max_pages=2).pages(None))  # stopped inside the shared time
    assert first[-1].checkpoint["walk"]["cursor"] == same and first[-1].checkpoint["walk"]["offset"] > 100
    rest = list(rocket(fake).pages(first[-1].checkpoint))
    ids = post_ids(first) + post_ids(rest)
    assert sorted(ids) == [f"msg{n:05d}" for n in range(1, 261)] and len(ids) == 260  # each once
    assert list(rocket(fake).pages(rest[-1].checkpoint)) == []
