"""Telegram connector at the adapter boundary: Telethon has no fake MTProto server, so a stub client
hands out real Telethon ``Message`` objects (fictional content); FloodWait with an injected sleep."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from telethon.errors import FloodWaitError
from telethon.tl import types

from openiru.model import Post
from openiru.sources.connectors.base import Target
from openiru.sources.connectors.polite import Backoff, ConnectorError
from openiru.sources.connectors.telegram_live import TelegramConnector, message_records

CHANNEL = 1500000001
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def msg(n: int) -> types.Message:
    text = f"Notice {n} see https://circle.example/{n} #circle"
    url_at = text.index("https")
    return types.Message(
        id=n,
        peer_id=types.PeerChannel(CHANNEL),
        date=T0 + timedelta(minutes=n),
        message=text,
        entities=[
            types.MessageEntityUrl(url_at, len(f"https://circle.example/{n}")),
            types.MessageEntityHashtag(text.index("#"), 7),
        ],
        views=10 * n,
    )


class StubClient:
    """The part of telethon.sync.TelegramClient the connector uses."""

    def __init__(self, messages: list[Any], floods: list[int] | None = None) -> None:
        self.messages, self.floods, self.calls = messages, list(floods or []), []

    def iter_messages(self, entity: str, *, min_id: int, reverse: bool, limit: int) -> list[Any]:
        self.calls.append((entity, min_id, reverse, limit))
        if self.floods:
            raise FloodWaitError(request=None, capture=self.floods.pop(0))
        return sorted((m for m in self.messages if m.id > min_id), key=lambda m: m.id)[:limit]


def test_message_mapping_forward_reply_entities_and_service() -> None:
    forwarded = types.Message(
        id=7,
        peer_id=types.PeerChannel(CHANNEL),
        date=T0,
        message="relayed text",
        fwd_from=types.MessageFwdHeader(date=T0, from_id=types.PeerChannel(1600000002), channel_post=44),
        reply_to=types.MessageReplyHeader(reply_to_msg_id=3),
        edit_date=T0 + timedelta(hours=1),
    )
    post = message_records(forwarded)[0]  # type: ignore[index]
    assert isinstance(post, Post)
    assert post.key.post_id == f"{CHANNEL}/7" and post.account.account_id == f"channel{CHANNEL}"
    assert post.forward_from is not None and post.forward_from.account_id == "channel1600000002"
    assert post.metadata["forward_of"] == "1600000002/44" and post.reply_to.post_id == f"{CHANNEL}/3"
    plain = message_records(msg(2))[0]  # type: ignore[index]
    assert plain.urls == ["https://circle.example/2"] and plain.hashtags == ["circle"]  # type: ignore[union-attr]
    in_group = types.Message(
        id=9, peer_id=types.PeerChat(77), from_id=types.PeerUser(5), date=T0, message="hi"
    )
    assert message_records(in_group)[0].account.account_id == "user5"  # type: ignore[index, union-attr]
    service = types.MessageService(
        id=8, peer_id=types.PeerChannel(CHANNEL), date=T0, action=types.MessageActionChannelCreate(title="x")
    )
    skipped = message_records(service)
    assert not isinstance(skipped, list) and skipped.kind == "skipped"


def test_pages_resume_and_flood_wait_honoured() -> None:
    slept: list[float] = []
    client = StubClient([msg(n) for n in range(1, 251)], floods=[31])
    connector = TelegramConnector(
        Target("telegram", "t.me/examplecircle"),
        session=client,
        backoff=Backoff(sleep=slept.append),
        max_pages=2,
    )
    pages = list(connector.pages(None))
    assert slept == [31.0] and client.calls[0][:3] == ("examplecircle", 0, True)
    ids = [r.key.post_id for p in pages for r in p.records if isinstance(r, Post)]
    assert len(ids) == 200 and pages[-1].checkpoint == {"min_id": 200}
    rest = list(
        TelegramConnector(Target("telegram", "@examplecircle"), session=client).pages(pages[-1].checkpoint)
    )
    more = [r.key.post_id for p in rest for r in p.records if isinstance(r, Post)]
    assert more == [f"{CHANNEL}/{n}" for n in range(201, 251)]


def test_flood_wait_for_good_is_an_error() -> None:
    client = StubClient([msg(1)], floods=[5, 5, 5])
    connector = TelegramConnector(
        Target("telegram", "@examplecircle"), session=client, backoff=Backoff(sleep=lambda s: None, retries=2)
    )
    with pytest.raises(ConnectorError, match="FloodWait"):
        list(connector.pages(None))
    with pytest.raises(ValueError):
        TelegramConnector(Target("telegram", "not a channel!"), session=client)


class DiscussionClient(StubClient):
    """A stub that also answers GetFullChannelRequest: the channel's linked discussion group."""

    LINKED = 1700000005

    def __call__(self, request: Any) -> Any:
        from telethon.tl import functions

        assert isinstance(request, functions.channels.GetFullChannelRequest)
        self.calls.append(("full", request.channel))
        full = types.ChannelFull(
            id=CHANNEL,
            about="",
            read_inbox_max_id=0,
            read_outbox_max_id=0,
            unread_count=0,
            chat_photo=types.PhotoEmpty(id=0),
            notify_settings=types.PeerNotifySettings(),
            bot_info=[],
            pts=1,
            linked_chat_id=self.LINKED,
        )
        return types.messages.ChatFull(full_chat=full, chats=[], users=[])

    def iter_messages(self, entity: Any, *, min_id: int, reverse: bool, limit: int) -> list[Any]:
        assert entity == types.PeerChannel(self.LINKED)  # the group, not the channel
        return super().iter_messages(entity, min_id=min_id, reverse=reverse, limit=limit)


def test_discussion_group_comments_lead_to_the_channel_post() -> None:
    group = DiscussionClient.LINKED
    copy = types.Message(
        id=1,
        peer_id=types.PeerChannel(group),
        date=T0,
        message="Notice 5",
        fwd_from=types.MessageFwdHeader(
            date=T0,
            from_id=types.PeerChannel(CHANNEL),
            channel_post=5,
            saved_from_peer=types.PeerChannel(CHANNEL),
            saved_from_msg_id=5,
        ),
    )
    comments = [
        types.Message(
            id=n,
            peer_id=types.PeerChannel(group),
            from_id=types.PeerUser(300 + n),
            date=T0,
            message=f"comment {n}",
            reply_to=types.MessageReplyHeader(reply_to_msg_id=1),
        )
        for n in range(2, 5)
    ]
    client = DiscussionClient([copy, *comments])
    connector = TelegramConnector(Target("telegram", "discussion:@examplecircle"), session=client)
    [page] = list(connector.pages(None))
    assert client.calls[0] == ("full", "examplecircle")
    assert page.checkpoint == {"linked_chat_id": group, "min_id": 4}
    posts = {r.key.post_id: r for r in page.records if isinstance(r, Post)}
    assert posts[f"{group}/1"].metadata["forward_of"] == f"{CHANNEL}/5"  # the group's copy names the post
    assert {p.reply_to.post_id for k, p in posts.items() if k != f"{group}/1"} == {f"{group}/1"}  # type: ignore[union-attr]
    assert posts[f"{group}/3"].account.account_id == "user303"
    client.messages.append(
        types.Message(
            id=5,
            peer_id=types.PeerChannel(group),
            from_id=types.PeerUser(9),
            date=T0,
            message="late comment",
            reply_to=types.MessageReplyHeader(reply_to_msg_id=1),
        )
    )
    again = list(
        TelegramConnector(Target("telegram", "discussion:@examplecircle"), session=client).pages(
            page.checkpoint
        )
    )
    assert [r.key.post_id for p in again for r in p.records if isinstance(r, Post)] == [f"{group}/5"]
    assert sum(1 for c in client.calls if c[0] == "full") == 1  # resolved once, kept in the checkpoint


class MediaClient(StubClient):
    """A stub that also downloads media: the bytes of each message's file, as Telethon writes them."""

    def download_media(self, message: Any, file: str) -> str:
        path = f"{file}.jpg"
        with open(path, "wb") as fh:
            fh.write(b"\xff\xd8\xff fictional image of message %d" % message.id)
        self.calls.append(("download", message.id))
        return path


def test_media_downloaded_hashed_and_kept_in_the_media_store(
    sqlite_engine: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import hashlib
    import tempfile

    from openiru.services.collect import watchlist
    from openiru.services.collect.media import MediaStore
    from openiru.services.collect.scheduler import Scheduler

    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "data"))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # the download folder, to see it removed
    photo = types.Message(
        id=1, peer_id=types.PeerChannel(CHANNEL), date=T0, message="a photo", media=types.MessageMediaPhoto()
    )
    huge = types.Document(
        id=9,
        access_hash=1,
        file_reference=b"",
        date=T0,
        mime_type="video/mp4",
        size=10**9,
        dc_id=2,
        attributes=[],
    )
    video = types.Message(
        id=2,
        peer_id=types.PeerChannel(CHANNEL),
        date=T0,
        message="a long video",
        media=types.MessageMediaDocument(document=huge),
    )
    client = MediaClient([photo, video, msg(3)])
    watchlist.add(sqlite_engine, "telegram", "@examplecircle")
    [result] = Scheduler(sqlite_engine, connector_options={"session": client}).run_due()
    assert result.errors == [] and result.new_posts == 3
    assert [c for c in client.calls if c[0] == "download"] == [("download", 1)]  # the video is over the limit
    digest = hashlib.sha256(b"\xff\xd8\xff fictional image of message 1").hexdigest()
    kept = MediaStore(tmp_path / "data" / "media").get(digest)
    assert kept is not None and kept.read_bytes().startswith(b"\xff\xd8\xff")
    import sqlalchemy as sa

    from openiru.store import schema

    with sqlite_engine.connect() as conn:
        meta = conn.execute(
            sa.select(schema.posts.c.meta).where(schema.posts.c.post_id == f"{CHANNEL}/2")
        ).scalar()
        hashed = conn.execute(sa.select(schema.media.c.sha256)).scalars().all()
    assert meta["media_skipped"].startswith("1000000000 bytes") and hashed == [digest]
    assert [c for c in client.calls if c[0] == "download"] and not list(tmp_path.glob("openiru-telegram-*"))
