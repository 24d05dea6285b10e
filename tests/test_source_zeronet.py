"""ZeroNet site importer: a ZeroBlog and a ZeroTalk site folder through the ingest service."""

from __future__ import annotations

import json
import random
import shutil
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
from openiru.sources.zeronet import ZeroNetSiteSource
from openiru.store import schema

FIXTURES = Path(__file__).parent / "fixtures" / "zeronet"
BLOG, TALK = FIXTURES / "blog", FIXTURES / "talk"
BLOG_SITE = "1LanternNotesSiteAddrPLaceho1derX"
READER = "1AuthReaderPLaceho1derAddressAbc"
TALK_SITE = "1TalkBoardSiteAddrPLaceho1derXyz"
ALPHA, BETA = "1AuthA1phaPLaceho1derAddressQrs", "1AuthBetaPLaceho1derAddressTuv"


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


def test_auto_format_picks_zeronet_for_site_folder_and_content_json() -> None:
    for path in (BLOG, TALK, TALK / "content.json"):
        assert best_source(path) == "zeronet", path


def test_sniff_rejects_other_folders_and_files(tmp_path: Path) -> None:
    (tmp_path / "outbox.json").write_text('{"type": "OrderedCollection", "orderedItems": []}')
    assert ZeroNetSiteSource.sniff(tmp_path, b"") == 0.0
    data = BLOG / "data" / "data.json"
    assert ZeroNetSiteSource.sniff(data, read_head(data)) == 0.0


def _rows(engine: sa.Engine, table: sa.Table) -> dict[str, sa.Row]:
    with engine.connect() as conn:
        return {r[1]: r for r in conn.execute(sa.select(table))}


def test_zeroblog_posts_and_comments(engine: sa.Engine) -> None:
    summary = ingest_source(engine, ZeroNetSiteSource(BLOG), after_batch=())
    assert summary.posts == 4
    assert summary.problems == [
        f"{BLOG / 'data' / 'data.json'}:post[1]: malformed post: missing field date_published"
    ]
    posts = _rows(engine, schema.posts)
    post = posts[f"{BLOG_SITE}/post/3"]
    assert post.account_id == "lantern@zeroid.bit"  # the owner's cert_user_id, from their user folder
    assert post.text == (
        "Third placeholder post\n\nNeutral placeholder text with a mirror link and an image:"
        "\n\nposter\n\nMore at the file."
    )
    assert post.urls == ["https://lantern-mirror.example.org/p/3", "https://files.example.net/p3.pdf"]
    assert utc(post.timestamp) == datetime(2026, 3, 7, 7, 36, 40, 125000, tzinfo=UTC)
    assert post.meta == {"site": BLOG_SITE, "kind": "post", "site_title": "Lantern Notes (fictional)"}
    comment = posts[f"{BLOG_SITE}/comment/1_{READER}"]
    assert comment.account_id == "reader@zeroid.bit" and comment.reply_to == f"{BLOG_SITE}/post/3"
    assert comment.meta["auth_address"] == READER
    accounts = _rows(engine, schema.accounts)
    assert accounts["reader@zeroid.bit"].handle == "reader"
    owner = accounts["lantern@zeroid.bit"]
    assert owner.display_name == "Lantern Notes (fictional)" and owner.meta["role"] == "site owner"
    with engine.connect() as conn:
        media = conn.execute(sa.text("select m.sha256, m.size, m.mime from media m")).all()
    assert [(m.size, m.mime) for m in media] == [(22, "image/png")]  # data/img/poster.png, hashed
    stats = platform_stats(engine)["platforms"]["zeronet"]
    assert (stats["posts"], stats["accounts"], stats["edges"], stats["media"]) == (4, 2, 2, 1)
    again = ingest_source(engine, ZeroNetSiteSource(BLOG), after_batch=())
    assert (again.posts, again.edges) == (0, 0)


def test_zerotalk_topics_comments_and_bad_files(engine: sa.Engine) -> None:
    summary = ingest_source(engine, ZeroNetSiteSource(TALK / "content.json"), after_batch=())
    assert summary.posts == 5
    assert dict(summary.errors) == {"malformed comment": 1, "invalid JSON": 1}
    assert any(
        f"comment['1_{ALPHA}'][2]: malformed comment: missing field added" in p for p in summary.problems
    )
    posts = _rows(engine, schema.posts)
    topic = posts[f"{TALK_SITE}/topic/1_{ALPHA}"]
    assert topic.account_id == "alpha@zeroid.bit" and topic.hashtags == ["Harbor"]
    assert topic.text.startswith("Placeholder announcement thread\n\n")
    assert posts[f"{TALK_SITE}/topic/2_{ALPHA}"].reply_to == f"{TALK_SITE}/topic/1_{ALPHA}"
    assert posts[f"{TALK_SITE}/comment/1_{ALPHA}"].reply_to == f"{TALK_SITE}/topic/1_{ALPHA}"
    quoted = posts[f"{TALK_SITE}/comment/1_{BETA}"]
    assert quoted.account_id == "beta@cryptoid.bit"
    assert quoted.reply_to == f"{TALK_SITE}/comment/1_{ALPHA}" and quoted.mentions == ["alpha"]
    assert quoted.urls == ["https://copy.example.org/1"]
    assert posts[f"{TALK_SITE}/comment/2_{BETA}"].reply_to == f"{TALK_SITE}/comment/1_{ALPHA}"
    with engine.connect() as conn:
        edges = conn.execute(
            sa.text("select post_id, kind, target_account_id from edges order by post_id, kind")
        ).all()
    by_post = {(e.post_id.split("/", 1)[1], e.kind): e.target_account_id for e in edges}
    assert by_post == {
        (f"topic/2_{ALPHA}", "reply"): "alpha@zeroid.bit",
        (f"comment/1_{ALPHA}", "reply"): "alpha@zeroid.bit",
        (f"comment/1_{BETA}", "reply"): "alpha@zeroid.bit",
        (f"comment/1_{BETA}", "mention"): "alpha@zeroid.bit",  # handle "alpha" resolved
        (f"comment/2_{BETA}", "reply"): "alpha@zeroid.bit",
    }
    stats = platform_stats(engine)["platforms"]["zeronet"]
    # gamma's data.json is broken: gamma is not imported
    assert (stats["posts"], stats["accounts"], stats["edges"]) == (5, 2, 5)


def test_a_user_content_json_leads_back_to_the_whole_site() -> None:
    user_file = TALK / "data" / "users" / BETA / "content.json"
    assert best_source(user_file) == "zeronet"
    posts = [r for r in ZeroNetSiteSource(user_file).records() if hasattr(r, "text")]
    assert len(posts) == 5


def test_odd_values_never_crash_the_importer(tmp_path: Path) -> None:
    rng = random.Random(6)
    for round_ in range(30):
        site = tmp_path / f"site{round_}"
        shutil.copytree(TALK, site)
        for data in site.rglob("data.json"):
            try:
                data.write_text(json.dumps(mutated(json.loads(data.read_text()), rng)))
            except json.JSONDecodeError:
                continue  # the fixture's deliberately broken file stays broken
        records = list(ZeroNetSiteSource(site).records())
        assert all(isinstance(r, Account | Post | Problem) for r in records)


def test_a_folder_of_sites_imports_every_site() -> None:
    assert best_source(FIXTURES) == "zeronet"
    posts = [r for r in ZeroNetSiteSource(FIXTURES).records() if isinstance(r, Post)]
    assert len(posts) == 9  # 4 on the blog, 5 on the forum
    assert {p.metadata["site"] for p in posts} == {BLOG_SITE, TALK_SITE}
