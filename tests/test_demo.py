"""The demo ecosystem: determinism, planted structure, real formats, import."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from threatexchange.signal_type.pdq.pdq_hasher import pdq_from_file
from typer.testing import CliRunner

from openiru.cli import app
from openiru.demo import build_demo
from openiru.demo import run as demo_run
from openiru.demo.images import pdq_distance
from openiru.demo.wallets import is_valid
from openiru.services.collect.counts import platform_stats
from openiru.services.collect.ingest import detect_format
from openiru.store.db import open_database

SCALE = 0.2
ROLES = {"core", "outlet", "amplifier", "forwarder", "community", "benign", "journalist", "researcher"}


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    return build_demo(tmp_path_factory.mktemp("demo") / "out", seed=3, scale=SCALE)


@pytest.fixture(scope="module")
def truth(built: Any) -> dict[str, Any]:
    return json.loads((built.out / "ground_truth.json").read_text())


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _when(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def test_same_seed_same_bytes_and_other_seed_differs(built: Any, tmp_path: Path) -> None:
    # Another process with another string-hash seed: nothing may depend on hash order.
    code = (
        f"from openiru.demo import build_demo; build_demo({str(tmp_path / 'again')!r}, seed=3, scale={SCALE})"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ, "PYTHONHASHSEED": "4242"})
    first, second = _tree(built.out), _tree(tmp_path / "again")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    other = build_demo(tmp_path / "other", seed=4, scale=SCALE)
    third = _tree(other.out)
    assert third["x/tweets.jsonl"] != first["x/tweets.jsonl"]
    assert third["ground_truth.json"] != first["ground_truth.json"]


def test_ground_truth_follows_the_contract(truth: dict[str, Any]) -> None:
    """The fixed keys and vocabularies of DEVELOPERS.md "Demo output"."""
    assert {
        "seed",
        "scale",
        "organisation",
        "accounts",
        "core_propagandists",
        "journalists",
        "researchers",
        "coordination_groups",
        "recreated",
        "cross_platform",
        "migration",
        "emerging_domains",
        "planted_media",
        "planted_texts",
        "planted_terms",
        "wallets",
        "files",
    } <= set(truth)
    assert (truth["seed"], truth["scale"]) == (3, SCALE)
    for a in truth["accounts"]:
        assert {"platform", "account_id", "handle", "role", "community", "status", "suspended_at"} <= set(a)
        assert a["status"] in ("active", "suspended", "deleted") and isinstance(a["community"], bool)
    assert {g["kind"] for g in truth["coordination_groups"]} <= {
        "co-post",
        "co-link",
        "co-repost",
        "co-similar-text",
        "co-hashtag",
    }
    assert set(truth["migration"]) >= {"from_platform", "to_platform", "host", "start"}
    for r in truth["recreated"]:
        assert {"platform", "account_id", "predecessor_platform", "predecessor_account_id"} <= set(r)
    for m in truth["planted_media"]:
        assert set(m) >= {"post", "item", "variant", "file"} and set(m["post"]) == {"platform", "post_id"}
    for w in truth["wallets"]:
        assert set(w) >= {"address", "currency", "accounts"}
    assert truth["files"] == {
        "hash_list": "hashes.csv",
        "lexicon": "lexicon.csv",
        "known_texts": "known_texts.jsonl",
    }


def test_accounts_roles_and_core(truth: dict[str, Any]) -> None:
    keys = {(a["platform"], a["account_id"]) for a in truth["accounts"]}
    assert len(keys) == len(truth["accounts"])
    assert {a["role"] for a in truth["accounts"]} == ROLES
    assert {a["platform"] for a in truth["accounts"]} == {
        "x",
        "telegram",
        "mastodon",
        "rocketchat",
        "zeronet",
    }
    core = {(c["platform"], c["account_id"]) for c in truth["core_propagandists"]}
    assert core <= keys and len(core) >= 20
    assert len({p for p, _ in core}) == 5
    for group in ("journalists", "researchers"):
        assert truth[group] and not {(a["platform"], a["account_id"]) for a in truth[group]} & core
    for platform, field in (("telegram", "display_name"), ("rocketchat", "handle"), ("x", "handle")):
        names = [a[field] for a in truth["accounts"] if a["platform"] == platform]
        assert len(names) == len(set(names)), platform
    community = [a for a in truth["accounts"] if a["community"]]
    assert all(a["role"] not in ("benign", "journalist", "researcher") for a in community)


def test_recreated_pairs_are_consistent(truth: dict[str, Any]) -> None:
    accounts = {(a["platform"], a["account_id"]): a for a in truth["accounts"]}
    assert len(truth["recreated"]) >= 8
    assert {r["variation"] for r in truth["recreated"]} >= {"counter", "homoglyph"}
    for r in truth["recreated"]:
        new = accounts[(r["platform"], r["account_id"])]
        old = accounts[(r["predecessor_platform"], r["predecessor_account_id"])]
        assert old["status"] == "suspended" and old["suspended_at"]
        gap = _when(new["created_at"]) - _when(old["suspended_at"])
        assert timedelta(0) < gap <= timedelta(days=2)
        assert new["role"] == old["role"] and new["account_id"] != old["account_id"]
        assert new["handle"] != old["handle"] or new["platform"] == "telegram"


def test_cross_platform_and_migration(truth: dict[str, Any]) -> None:
    accounts = {(a["platform"], a["account_id"]): a for a in truth["accounts"]}
    assert truth["cross_platform"]
    for pair in truth["cross_platform"]:
        a = accounts[(pair["a"]["platform"], pair["a"]["account_id"])]
        b = accounts[(pair["b"]["platform"], pair["b"]["account_id"])]
        assert (a["platform"], b["platform"]) == ("telegram", "rocketchat")
        assert a["display_name"] == b["display_name"]
    assert truth["migration"]["host"] in truth["emerging_domains"]


def test_coordination_groups(built: Any, truth: dict[str, Any]) -> None:
    groups = truth["coordination_groups"]
    assert len(groups) >= 6
    assert {g["kind"] for g in groups} >= {"co-post", "co-link", "co-repost", "co-similar-text", "co-hashtag"}
    seen: set[tuple[str, str]] = set()
    for g in groups:
        members = {(a["platform"], a["account_id"]) for a in g["accounts"]}
        assert 4 <= len(members) <= 8 and not members & seen
        seen |= members
        assert len(g["items"]) >= 3
        assert len(g["posts"]) == len(g["items"]) * len(members)


def test_planted_media_files_match_the_bank(built: Any, truth: dict[str, Any]) -> None:
    with open(built.out / "hashes.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0]) == ["hash", "kind", "organisation", "outlet", "item", "source"]
    pdq = {r["item"]: r["hash"] for r in rows if r["kind"] == "pdq"}
    md5 = {r["item"]: r["hash"] for r in rows if r["kind"] == "md5"}
    assert {r["kind"] for r in rows} == {"pdq", "md5", "sha256"}
    assert {m["variant"] for m in truth["planted_media"]} == {
        "original",
        "resized",
        "jpeg",
        "crop",
        "watermark",
    }
    checked: dict[str, int] = {}
    for m in truth["planted_media"]:
        path = built.out / m["file"]
        assert path.is_file(), m["file"]
        if m["file"] in checked:
            continue
        data = path.read_bytes()
        if m["variant"] == "original":
            assert hashlib.md5(data).hexdigest() == md5[m["item"]]
        else:
            assert hashlib.md5(data).hexdigest() != md5[m["item"]]
        checked[m["file"]] = pdq_distance(pdq_from_file(path)[0], pdq[m["item"]])
    assert max(checked.values()) <= 31


def test_wallets_validate_and_appear(built: Any, truth: dict[str, Any]) -> None:
    assert {w["currency"] for w in truth["wallets"]} == {"BTC", "ETH"}
    corpus = (built.out / "x" / "tweets.jsonl").read_text() + "".join(
        p.read_text() for p in (built.out / "telegram").rglob("result.json")
    )
    for w in truth["wallets"]:
        assert is_valid(w["address"], w["currency"]), w
        assert w["address"] in corpus or not w["accounts"]
    assert any(len(w["accounts"]) >= 2 for w in truth["wallets"])
    assert not is_valid(truth["wallets"][0]["address"][:-1] + "x", truth["wallets"][0]["currency"])


def test_detection_assets(built: Any, truth: dict[str, Any]) -> None:
    known = [json.loads(line) for line in (built.out / "known_texts.jsonl").read_text().splitlines()]
    assert all(set(k) == {"id", "text", "language", "label"} for k in known)
    assert {k["language"] for k in known} == {"ar", "en", "fr", "de", "ru", "tr"}
    ids = {k["id"] for k in known}
    assert {t["item"] for t in truth["planted_texts"]} <= ids
    assert {t["variant"] for t in truth["planted_texts"]} == {
        "exact",
        "homoglyph",
        "diacritics",
        "edit",
        "reorder",
    }
    with open(built.out / "lexicon.csv", newline="") as fh:
        lexicon = list(csv.DictReader(fh))
    assert list(lexicon[0]) == ["term", "language", "kind", "label"]
    assert {r["kind"] for r in lexicon} == {"term", "hashtag", "outlet"}
    assert {r["language"] for r in lexicon} == {"ar", "en", "fr", "de", "ru", "tr"}
    terms = {r["term"] for r in lexicon}
    assert truth["planted_terms"] and {t["term"] for t in truth["planted_terms"]} <= terms
    assert {"critical", "propaganda"} <= {t["stance"] for t in truth["planted_terms"]}
    looked = {(lk["post"]["post_id"]) for lk in truth["lookalikes"]}
    planted = {t["post"]["post_id"] for t in truth["planted_terms"]} | {
        t["post"]["post_id"] for t in truth["planted_texts"]
    }
    assert looked and not looked & planted


def test_x_pages_are_twarc2(built: Any) -> None:
    photo_tweets = 0
    for line in (built.out / "x" / "tweets.jsonl").read_text().splitlines():
        page = json.loads(line)
        assert set(page) == {"data", "includes", "meta", "__twarc"}
        users = {u["id"] for u in page["includes"]["users"]}
        included = {t["id"] for t in page["includes"].get("tweets", [])}
        for tweet in page["data"]:
            assert tweet["author_id"] in users
            assert tweet["edit_history_tweet_ids"] == [tweet["id"]]
            ms = (int(tweet["id"]) >> 22) + 1288834974657
            assert abs(ms / 1000 - _when(tweet["created_at"]).timestamp()) < 1
            for ref in tweet.get("referenced_tweets", []):
                assert ref["id"] in included
            if any(r["type"] == "retweeted" for r in tweet.get("referenced_tweets", [])):
                assert tweet["text"].startswith("RT @")
            entities = tweet.get("entities", {})
            for tag in entities.get("hashtags", []):
                assert tweet["text"][tag["start"] : tag["end"]] == "#" + tag["tag"]
            for mention in entities.get("mentions", []):
                assert tweet["text"][mention["start"] : mention["end"]] == "@" + mention["username"]
                assert mention["id"] in users
            for url in entities.get("urls", []):
                assert tweet["text"][url["start"] : url["end"]] == url["url"]
                assert url["url"].startswith("https://t.co/")
            media = {m["media_key"] for m in page["includes"].get("media", [])}
            for key in tweet.get("attachments", {}).get("media_keys", []):
                assert key in media and any(u.get("media_key") == key for u in entities["urls"])
                photo_tweets += 1
    assert photo_tweets


def test_six_languages_on_x_and_telegram(built: Any) -> None:
    langs = {
        t["lang"]
        for line in (built.out / "x" / "tweets.jsonl").read_text().splitlines()
        for t in json.loads(line)["data"]
    }
    assert langs == {"ar", "en", "fr", "de", "ru", "tr"}
    full = next((built.out / "telegram").glob("DataExport_*/result.json")).read_text()
    for script in ("[\u0621-\u064a]", "[\u0430-\u044f]", "[ğşı]", "[äöüß]", "[éèàç]"):
        assert re.search(script, full), script


def test_x_metrics_agree_with_the_data(built: Any) -> None:
    retweets: dict[str, int] = {}
    claimed: dict[str, int] = {}
    for line in (built.out / "x" / "tweets.jsonl").read_text().splitlines():
        page = json.loads(line)
        for tweet in page["data"]:
            for ref in tweet.get("referenced_tweets", []):
                if ref["type"] == "retweeted":
                    retweets[ref["id"]] = retweets.get(ref["id"], 0) + 1
        for tweet in page["data"] + page["includes"].get("tweets", []):
            claimed[tweet["id"]] = tweet["public_metrics"]["retweet_count"]
    assert retweets and all(claimed[tid] == n for tid, n in retweets.items())


def test_x_user_lookup_reports_suspensions(built: Any, truth: dict[str, Any]) -> None:
    suspended = {
        a["account_id"] for a in truth["accounts"] if a["platform"] == "x" and a["status"] == "suspended"
    }
    errors, active = set(), set()
    for line in (built.out / "x" / "users.jsonl").read_text().splitlines():
        page = json.loads(line)
        active |= {u["id"] for u in page["data"]}
        for error in page.get("errors", []):
            assert error["detail"] == f"User has been suspended: [{error['resource_id']}]."
            errors.add(error["resource_id"])
    assert suspended and errors == suspended and not active & suspended


def test_telegram_exports(built: Any) -> None:
    exports = sorted((built.out / "telegram").glob("*/result.json"))
    assert any(p.parent.name.startswith("DataExport") for p in exports)
    assert any(p.parent.name.startswith("ChatExport") for p in exports)
    for path in exports:
        doc = json.loads(path.read_text())
        chats = doc["chats"]["list"] if "chats" in doc else [doc]
        for chat in chats:
            assert {"name", "type", "id", "messages"} <= set(chat)
            for msg in chat["messages"]:
                if msg["type"] == "service":
                    assert chat["type"] == "public_supergroup" and msg["actor_id"].startswith("user")
                    continue
                assert msg["type"] == "message" and msg["from_id"].startswith(("user", "channel"))
                assert int(msg["date_unixtime"]) > 0
                text = msg["text"]
                flat = (
                    text
                    if isinstance(text, str)
                    else "".join(part if isinstance(part, str) else part["text"] for part in text)
                )
                assert flat == "".join(e["text"] for e in msg["text_entities"])
                if "photo" in msg:
                    assert (path.parent / msg["photo"]).is_file()


def test_mastodon_rocketchat_zeronet_formats(built: Any) -> None:
    statuses = json.loads((built.out / "mastodon" / "statuses.json").read_text())
    for status in statuses:
        assert {
            "id",
            "uri",
            "created_at",
            "account",
            "content",
            "reblog",
            "mentions",
            "tags",
            "media_attachments",
        } <= set(status)
        if status["reblog"]:
            assert status["content"] == "" and status["reblog"]["content"].startswith("<p>")
    assert any(s["reblog"] for s in statuses)
    pictures = [m for s in statuses for m in s["media_attachments"]]
    assert pictures and all(m["type"] == "image" and m["url"].startswith("https://") for m in pictures)
    for path in (built.out / "rocketchat").glob("*.json"):
        doc = json.loads(path.read_text())
        assert doc["success"] is True and doc["count"] == len(doc["messages"])
        for msg in doc["messages"]:
            assert {"_id", "rid", "msg", "ts", "u"} <= set(msg) and msg["ts"].endswith("Z")
    site = next((built.out / "zeronet").iterdir())
    content = json.loads((site / "content.json").read_text())
    assert content["address"] == site.name
    for inner, meta in content["files"].items():
        data = (site / inner).read_bytes()
        assert meta == {"sha512": hashlib.sha512(data).hexdigest()[:64], "size": len(data)}
    assert json.loads((site / "data" / "data.json").read_text())["post"]


@pytest.mark.parametrize("fmt", ["twarc2", "telegram", "mastodon", "rocketchat", "zeronet"])
def test_exports_are_auto_detected(built: Any, fmt: str) -> None:
    for path, written in built.inputs:
        if written != fmt:
            continue
        assert detect_format(path).name == fmt, path  # 100-tweet twarc2 lines exceed 64 KiB


def test_demo_imports_cleanly_and_table_matches_database(db_url: str, tmp_path: Path) -> None:
    out = tmp_path / "demo"
    result = CliRunner().invoke(
        app,
        [
            "demo",
            "--seed",
            "5",
            "--scale",
            str(SCALE),
            "--out",
            str(out),
            "--db",
            db_url,
            "--no-steps",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output[result.output.index("{") :])
    assert report["import_errors"] == 0 and report["format_fallbacks"] == []
    engine = open_database(db_url)
    try:
        assert report["platforms"] == platform_stats(engine)["platforms"]
        truth = json.loads((out / "ground_truth.json").read_text())
        with engine.connect() as conn:
            posts = set(map(tuple, conn.execute(sa.text("select platform, post_id from posts")).all()))
            accounts = set(
                map(tuple, conn.execute(sa.text("select platform, account_id from accounts")).all())
            )
        assert {(a["platform"], a["account_id"]) for a in truth["accounts"]} <= accounts
        for section in ("planted_media", "planted_texts", "planted_terms", "lookalikes"):
            assert {(x["post"]["platform"], x["post"]["post_id"]) for x in truth[section]} <= posts, section
        for group in truth["coordination_groups"]:
            assert {(p["platform"], p["post_id"]) for p in group["posts"]} <= posts
        assert sum(c["posts"] for c in report["platforms"].values()) == sum(
            report["generated_posts"].values()
        )
    finally:
        engine.dispose()


def test_demo_steps_run_and_a_failing_step_is_reported(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    calls: list[tuple[Path, int]] = []

    def good(engine: Any, out_dir: Path, ground_truth: dict[str, Any]) -> list[str]:
        calls.append((out_dir, ground_truth["seed"]))
        return ["step ran"]

    def broken(engine: Any, out_dir: Path, ground_truth: dict[str, Any]) -> list[str]:
        raise RuntimeError("boom")

    monkeypatch.setattr(demo_run, "load_group", lambda group: {"a_good": good, "b_broken": broken})
    results = demo_run.run_steps(None, tmp_path, {"seed": 9})  # type: ignore[arg-type]
    assert [(r.name, r.lines, r.error) for r in results] == [
        ("a_good", ["step ran"], None),
        ("b_broken", [], "RuntimeError: boom"),
    ]
    assert calls == [(tmp_path, 9)]
