"""ActivityPub outbox importer: archive folder and paged outbox through the ingest service."""

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
from openiru.sources.activitypub import ActivityPubOutboxSource, handle_from_uri
from openiru.sources.base import Problem
from openiru.sources.jsonio import read_head
from openiru.store import schema

FIXTURES = Path(__file__).parent / "fixtures" / "activitypub"
ARCHIVE = FIXTURES / "archive"
PAGED = FIXTURES / "paged" / "outbox.json"
QUILL = "https://fed.example/users/quill"
RELAY = "https://gather.example/users/relay"

TELEGRAM_HEAD = (
    b'{"name": "Chan", "type": "public_channel", "id": 1, "messages": [{"id": 1, "type": "message",'
    b' "date": "2026-01-01T00:00:00", "from_id": "channel1", "text": "hi"}]}'
)
MASTODON_ARRAY = (
    b'[{"id": "1", "uri": "https://a.example/users/x/statuses/1", "created_at": "2026-01-01",'
    b' "content": "<p>x</p>", "account": {"id": "2", "acct": "x"}}]'
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


def test_auto_format_picks_activitypub() -> None:
    for path in (ARCHIVE, ARCHIVE / "outbox.json", PAGED):
        assert best_source(path) == "activitypub", path


def test_sniff_rejects_other_formats(tmp_path: Path) -> None:
    for name, head in (("result.json", TELEGRAM_HEAD), ("statuses.json", MASTODON_ARRAY)):
        path = tmp_path / name
        path.write_bytes(head)
        assert ActivityPubOutboxSource.sniff(path, head) == 0.0, name
    assert ActivityPubOutboxSource.sniff(tmp_path, b"") == 0.0  # a folder without outbox.json


def test_handle_from_actor_uri() -> None:
    assert handle_from_uri("https://fed.example/users/quill") == "quill@fed.example"
    assert handle_from_uri("https://fed.example/@quill") == "quill@fed.example"
    assert handle_from_uri("https://fed.example/notes/1") is None


def _rows(engine: sa.Engine, table: sa.Table) -> dict[str, sa.Row]:
    with engine.connect() as conn:
        return {r[1]: r for r in conn.execute(sa.select(table))}


def test_archive_fields_land_in_the_store(engine: sa.Engine) -> None:
    summary = ingest_source(engine, ActivityPubOutboxSource(ARCHIVE), after_batch=())
    assert summary.posts == 3
    assert dict(summary.skipped) == {"not a post activity": 1, "item is a reference, not an activity": 1}
    assert dict(summary.errors) == {"malformed activity": 1}
    assert summary.problems == [
        f"{ARCHIVE / 'outbox.json'}:orderedItems[4]: malformed activity: missing field published"
    ]

    posts = _rows(engine, schema.posts)
    note = posts[f"{QUILL}/statuses/2001"]
    assert note.account_id == QUILL
    assert note.text == "Placeholder issue for @riverpost at https://bulletin.example.org/issue/13 #Bulletin"
    assert note.language == "en"
    assert note.urls == ["https://bulletin.example.org/issue/13"]
    assert note.hashtags == ["bulletin"]
    assert note.mentions == ["https://other.example/users/riverpost"]
    assert note.meta["host"] == "fed.example" and note.meta["url"] == "https://fed.example/@quill/2001"
    assert note.meta["activity_id"] == f"{QUILL}/statuses/2001/activity"
    assert utc(note.timestamp) == datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
    reply = posts[f"{QUILL}/statuses/2002"]
    assert reply.reply_to == "https://other.example/users/riverpost/statuses/77"
    assert (reply.text, reply.language) == ("Texte neutre de remplacement.", "fr")
    announce = posts[f"{QUILL}/statuses/2003/activity"]
    assert announce.repost_of == "https://third.example/users/lakeside/statuses/4444"
    assert announce.text == "" and announce.meta["activity_type"] == "Announce"

    account = _rows(engine, schema.accounts)[QUILL]
    assert (account.handle, account.display_name, account.bio) == (
        "quill@fed.example",
        "Quill Bulletin (fictional)",
        "Fictional outlet for tests.",
    )
    assert account.avatar_media == "url:https://fed.example/avatars/quill.png"

    with engine.connect() as conn:
        media = conn.execute(
            sa.text(
                "select pm.post_id, pm.position, m.url, m.mime, m.size, m.missing, m.sha256 from post_media pm"
                " join media m on m.media_key = pm.media_key order by pm.post_id, pm.position"
            )
        ).all()
        edges = conn.execute(
            sa.text("select post_id, kind, target_ref, target_account_id from edges order by post_id, kind")
        ).all()
    assert [(m.post_id[-4:], m.url, m.mime, m.size, bool(m.missing)) for m in media] == [
        ("2001", "https://fed.example/media/2001/poster.jpg", "image/jpeg", None, False),
        ("2002", None, "image/png", 25, False),  # hashed from the archive folder
        ("2002", None, "image/png", None, True),  # named by the archive, not in it
    ]
    assert media[1].sha256 == "9cae0855e7817c3dcc7da2c801ac66466a66bdab216105007699a341b661b886"
    # mention by actor URI is known; the reply and repost targets are not in the data
    assert [(e.kind, e.target_account_id) for e in edges] == [
        ("mention", "https://other.example/users/riverpost"),
        ("reply", None),
        ("repost", None),
    ]
    stats = platform_stats(engine)["platforms"]["activitypub"]
    assert (stats["posts"], stats["accounts"], stats["edges"], stats["media"]) == (3, 1, 1, 3)
    assert stats["unresolved_edges"] == 2

    again = ingest_source(engine, ActivityPubOutboxSource(ARCHIVE), after_batch=())
    assert (again.posts, again.edges) == (0, 0)


def test_paged_outbox_follows_embedded_and_sibling_pages(sqlite_engine: sa.Engine) -> None:
    # Parsing variants: storage on both databases is covered by the field test above.
    engine = sqlite_engine
    summary = ingest_source(engine, ActivityPubOutboxSource(PAGED, "gather.example"), after_batch=())
    assert summary.posts == 4 and not summary.errors
    assert dict(summary.skipped) == {"page not available": 1}  # the last next page was not saved
    posts = _rows(engine, schema.posts)
    assert set(posts) == {
        f"{RELAY}/statuses/301",
        f"{RELAY}/statuses/300/activity",
        f"{RELAY}/statuses/200",
        f"{QUILL}/statuses/2001",
    }
    assert posts[f"{RELAY}/statuses/301"].quote_of == f"{QUILL}/statuses/2001"
    assert posts[f"{RELAY}/statuses/301"].hashtags == ["Archiv"]
    assert posts[f"{RELAY}/statuses/300/activity"].repost_of == f"{QUILL}/statuses/2001"
    arabic = posts[f"{RELAY}/statuses/200"]
    assert (arabic.text, arabic.language) == ("نص بديل محايد", "ar")
    with engine.connect() as conn:
        edges = conn.execute(
            sa.text("select post_id, kind, target_account_id from edges order by post_id, kind")
        ).all()
        media_urls = conn.execute(sa.text("select url from media")).scalars().all()
    resolved = {
        (
            e.post_id.rsplit("/", 2)[-2] if e.post_id.endswith("activity") else e.post_id[-3:],
            e.kind,
        ): e.target_account_id
        for e in edges
    }
    assert resolved == {("301", "quote"): QUILL, ("300", "repost"): QUILL, ("200", "reply"): None}
    assert media_urls == ["https://gather.example/media/clip.mp4"]
    assert list(platform_stats(engine)["platforms"]) == ["gather.example"]


def test_truncated_outbox_reports_position(tmp_path: Path) -> None:
    text = (ARCHIVE / "outbox.json").read_text()
    cut = tmp_path / "outbox.json"
    cut.write_text(text[: text.index('"id": "https://fed.example/users/quill/statuses/2003/activity"')])
    records = list(ActivityPubOutboxSource(cut).records())
    problems = [r for r in records if isinstance(r, Problem)]
    assert [r.key.post_id[-4:] for r in records if hasattr(r, "text")] == ["2001", "2002"]
    assert problems[-1].location == "after item 2" and problems[-1].reason.startswith("invalid JSON")


def test_outbox_is_streamed_in_constant_memory(tmp_path: Path) -> None:
    peaks = []
    for n in (200, 1600):
        path = tmp_path / f"outbox{n}.json"
        path.write_text(
            json.dumps(
                {
                    "type": "OrderedCollection",
                    "orderedItems": [
                        {
                            "id": f"{RELAY}/statuses/{i}/activity",
                            "type": "Create",
                            "actor": RELAY,
                            "object": {
                                "id": f"{RELAY}/statuses/{i}",
                                "type": "Note",
                                "published": "2026-03-01T10:00:00Z",
                                "content": "<p>" + "placeholder " * 80 + "</p>",
                            },
                        }
                        for i in range(n)
                    ],
                }
            )
        )
        tracemalloc.start()
        try:
            for _ in ActivityPubOutboxSource(path).records():
                pass
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    assert peaks[1] < peaks[0] * 1.25 + 65536  # independent of the number of items


def test_odd_values_never_crash_the_importer(tmp_path: Path) -> None:
    outbox = json.loads((ARCHIVE / "outbox.json").read_text())
    rng = random.Random(4)
    for round_ in range(60):
        path = tmp_path / f"o{round_}.json"
        path.write_text(json.dumps(mutated(outbox, rng)))
        records = list(ActivityPubOutboxSource(path).records())
        assert all(isinstance(r, Account | Post | Problem) for r in records)


def test_first_page_given_by_url_is_read_from_a_sibling_file(tmp_path: Path) -> None:
    first_url = f"{RELAY}/outbox?page=true"
    (tmp_path / "outbox.json").write_text(
        json.dumps(
            {"id": f"{RELAY}/outbox", "type": "OrderedCollection", "totalItems": 1, "first": first_url}
        )
    )
    (tmp_path / "saved-page.json").write_text(
        json.dumps(
            {
                "id": first_url,
                "type": "OrderedCollectionPage",
                "orderedItems": [
                    {
                        "id": f"{RELAY}/statuses/9/activity",
                        "type": "Create",
                        "actor": RELAY,
                        "object": {
                            "id": f"{RELAY}/statuses/9",
                            "type": "Note",
                            "published": "2026-03-05T12:00:00Z",
                            "content": "<p>from the saved page</p>",
                        },
                    }
                ],
            }
        )
    )
    assert best_source(tmp_path) == "activitypub"  # the folder holding outbox.json
    posts = [r for r in ActivityPubOutboxSource(tmp_path / "outbox.json").records() if isinstance(r, Post)]
    assert [(p.key.post_id, p.text) for p in posts] == [(f"{RELAY}/statuses/9", "from the saved page")]


def test_attachment_paths_do_not_leave_the_archive(tmp_path: Path) -> None:
    archive = tmp_path / "archive"
    archive.mkdir()
    (tmp_path / "outside.png").write_bytes(b"\x89PNG\r\n\x1a\nnot part of the archive")
    (archive / "outbox.json").write_text(
        json.dumps(
            {
                "type": "OrderedCollection",
                "orderedItems": [
                    {
                        "id": f"{QUILL}/statuses/7/activity",
                        "type": "Create",
                        "actor": QUILL,
                        "object": {
                            "id": f"{QUILL}/statuses/7",
                            "type": "Note",
                            "published": "2026-03-04T09:00:00Z",
                            "content": "<p>x</p>",
                            "attachment": [
                                {"type": "Document", "mediaType": "image/png", "url": "/../outside.png"}
                            ],
                        },
                    }
                ],
            }
        )
    )
    post = next(r for r in ActivityPubOutboxSource(archive).records() if isinstance(r, Post))
    assert [(m.missing, m.sha256, m.path) for m in post.media] == [(True, None, "/../outside.png")]
