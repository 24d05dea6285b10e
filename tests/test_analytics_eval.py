"""The analytics evaluation harness (benchmarks/analytics_eval.py, benchmarks/worlds): its worlds are
read by the real importers without a problem and their ground truth names what the importers record;
its scores are right on hand-made inputs."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

import pytest

from openiru.model import Account, AccountStatus, Post
from openiru.services.collect.ingest import source_for
from openiru.sources.base import Problem

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from worlds import build, draw, write_world  # noqa: E402
from worlds.handles import evade  # noqa: E402
from worlds.scoring import (  # noqa: E402
    score_accounts,
    score_coordination,
    score_recreated,
    summarise,
)


def _seed_with_every_platform() -> int:
    return next(s for s in range(1, 200) if len(draw(s, quick=True).platforms) == 4)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("world")
    truth = write_world(_seed_with_every_platform(), out, quick=True)
    return out, truth


def _read(out: Path, truth: dict) -> tuple[list[Account], list[Post], list[Problem]]:
    accounts, posts, problems = [], [], []
    for item in truth["ingest"]:
        for rec in source_for(out / item["path"], item["format"], item["platform"]).records():
            if isinstance(rec, Account):
                accounts.append(rec)
            elif isinstance(rec, Post):
                posts.append(rec)
            else:
                problems.append(rec)
    return accounts, posts, problems


def test_world_is_read_by_the_importers_without_errors(world: tuple[Path, dict]) -> None:
    out, truth = world
    assert {i["format"] for i in truth["ingest"]} == {"twarc2", "telegram", "rocketchat", "mastodon"}
    accounts, posts, problems = _read(out, truth)
    errors = [str(p) for p in problems if p.kind == "error"]
    assert errors == []
    # only well-formed non-posts are skipped: Rocket.Chat join messages
    assert {str(p.reason).split(":")[0] for p in problems} <= {"system message"}
    assert len({(p.key.platform, p.key.post_id) for p in posts}) == truth["posts"]
    posting = {(p.account.platform, p.account.account_id) for p in posts}
    assert {(a["platform"], a["account_id"]) for a in truth["accounts"]} == posting


def test_ground_truth_keys_and_formats_match_what_is_imported(world: tuple[Path, dict]) -> None:
    out, truth = world
    accounts, posts, _ = _read(out, truth)
    recorded = {(a.key.platform, a.key.account_id): a for a in accounts}
    for group in ("key_accounts", "core_accounts", "exempt_accounts"):
        assert truth[group]
        assert all((a["platform"], a["account_id"]) in recorded for a in truth[group])
    for link in truth["recreated"]:
        assert (link["predecessor_platform"], link["predecessor_account_id"]) in recorded
    for g in truth["coordination_groups"]:
        assert len(g["accounts"]) >= 5
        assert all((a["platform"], a["account_id"]) in recorded for a in g["accounts"])
    telegram = [
        recorded[a["platform"], a["account_id"]]
        for a in truth["accounts"]
        if a["platform"] == "telegram" and a["account_id"].startswith("user")
    ]
    assert telegram and all(a.handle is None for a in telegram)  # users without usernames
    rc = next(i["platform"] or "rocketchat" for i in truth["ingest"] if i["format"] == "rocketchat")
    rc_ids = [k[1] for k in recorded if k[0] == rc]
    assert rc_ids and all(len(i) == 17 and i.isalnum() for i in rc_ids)  # Meteor ids
    masto = [a for a in accounts if (a.metadata or {}).get("acct")]
    assert any("@" in a.metadata["acct"] for a in masto)  # remote accounts: acct user@host
    removed = {
        (a["platform"], a["account_id"]): a["status"] for a in truth["accounts"] if a["status"] != "active"
    }
    seen = {
        k: a.status
        for k, a in recorded.items()
        if a.status in (AccountStatus.SUSPENDED, AccountStatus.DELETED)
    }
    assert removed and {k: str(v) for k, v in seen.items()} == removed
    x_posts = [p for p in posts if p.key.platform == "x"]
    assert any(p.repost_of for p in x_posts) and any(p.reply_to for p in x_posts)


def test_same_seed_same_world_and_seeds_vary_the_scenario(tmp_path: Path) -> None:
    a = write_world(5, tmp_path / "a", quick=True)
    b = write_world(5, tmp_path / "b", quick=True)
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    params = [draw(s) for s in range(1, 21)]
    assert {p.home for p in params} == {"x", "telegram", "rocketchat", "mastodon"}
    assert any("x" not in p.platforms for p in params)
    assert {p.with_lexicon for p in params} == {True, False}
    assert {p.with_seeds for p in params} == {True, False}
    assert len({p.handle_scheme for p in params}) > 1 and len({p.tg_id_width for p in params}) > 1
    kinds = Counter(k for p in params for k in p.rings)
    assert set(kinds) == {"copypasta", "co-repost", "co-link", "cross-platform"}


def test_ban_evasion_edits() -> None:
    import random

    rng = random.Random(3)
    assert evade(rng, "kessel_voice", "suffix").startswith("kessel_voice")
    assert evade(rng, "mira_ash77", "suffix") in {"mira_ash78", "mira_ash79", "mira_ash80"}
    leet = evade(rng, "kessel_voice", "leet")
    assert leet != "kessel_voice" and len(leet) == len("kessel_voice") and any(c.isdigit() for c in leet)
    swapped = evade(rng, "kessel_voice", "swap")
    assert sorted(swapped) == sorted("kessel_voice") and swapped != "kessel_voice"
    assert len(evade(rng, "kessel_voice", "drop")) == len("kessel_voice") - 1


def test_world_has_the_planted_phenomena() -> None:
    world, _ = build(2)
    roles = Counter(a.role for a in world.accounts)
    assert (
        roles["ringleader"] >= 3 and roles["news"] >= 2 and roles["journalist"] >= 2 and roles["monitor"] >= 1
    )
    assert world.recreated and all(new.created_at > old.active_to - 1 for new, old, _ in world.recreated)
    assert any(old.status in ("suspended", "deleted") for _, old, _ in world.recreated)
    copies = [p for p in world.posts if p.text and any(ord(c) > 0x2000 for c in p.text)]
    assert copies
    for g in world.groups:  # every ring member really posts
        members = {a["account_id"] for a in g["accounts"]}
        assert members <= {p.account.account_id for p in world.posts}


def _acc(i: int, platform: str = "x") -> dict:
    return {"platform": platform, "account_id": str(i)}


def test_key_account_scores_by_hand() -> None:
    truth = {
        "key_accounts": [_acc(i) for i in range(18)],
        "core_accounts": [_acc(0), _acc(1), _acc(50)],
        "exempt_accounts": [{**_acc(30), "role": "journalist"}, {**_acc(31), "role": "news"}],
    }
    ranked = [_acc(i) for i in range(17)] + [_acc(30), _acc(31), _acc(40), _acc(17)]
    s = score_accounts(ranked, truth)
    assert s["p@20"] == pytest.approx(17 / 20)  # _acc(17) is 21st
    assert s["core_recall@20"] == pytest.approx(2 / 3)
    assert s["exempt@20"] == 2 and s["exempt_roles"] == ["journalist", "news"]


def test_recreated_scores_by_hand() -> None:
    def link(new: int, old: int, kind: str = "recreated") -> dict:
        return {
            **_acc(new),
            "predecessor_platform": "x",
            "predecessor_account_id": str(old),
            "evidence": {"link": kind},
        }

    truth = {"recreated": [link(1, 2), link(3, 4), link(5, 6)]}
    rows = [link(1, 2), link(3, 9), link(7, 8, "cross-platform")]
    s = score_recreated(rows, truth)
    assert s["recreated_p"] == pytest.approx(1 / 2) and s["recreated_r"] == pytest.approx(1 / 3)
    assert score_recreated([], truth)["recreated_p"] == 1.0
    assert score_recreated([], truth)["recreated_r"] == 0.0


def test_coordination_scores_by_hand() -> None:
    ring = [_acc(i) for i in range(10)]
    other = [_acc(i) for i in range(20, 25)]
    truth = {
        "coordination_groups": [
            {"kind": "copypasta", "accounts": ring},
            {"kind": "co-link", "accounts": other},
        ]
    }
    found = [
        {"kind": "co-similar-text", "accounts": ring[:7]},  # Jaccard 0.7: found
        {"kind": "co-hashtag", "accounts": ring[:7]},  # the same set again: counted once
        {"kind": "co-link", "accounts": other[:3]},  # Jaccard 0.6: not found, a false group
        {"kind": "co-post", "accounts": [_acc(90), _acc(91)]},
    ]  # chance: a false group
    s = score_coordination(found, truth)
    assert s["groups_returned"] == 3 and s["groups_false"] == 2
    assert s["coordination_p"] == pytest.approx(1 / 3) and s["coordination_r"] == pytest.approx(1 / 2)
    assert s["coordination_f1"] == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))
    assert s["missed_kinds"] == ["co-link"]
    split = [{"kind": "co-post", "accounts": ring[:5]}, {"kind": "co-post", "accounts": ring[5:]}]
    assert score_coordination(split, truth)["coordination_r"] == 0.0  # one returned group must hold it
    assert score_coordination([], {"coordination_groups": []})["coordination_f1"] == 1.0


def test_summary_reports_the_worst_world() -> None:
    rows = [
        {
            "seed": 1,
            "p@20": 0.95,
            "exempt@20": 0,
            "recreated_p": 1.0,
            "recreated_r": 0.5,
            "coordination_f1": 1.0,
        },
        {
            "seed": 2,
            "p@20": 0.6,
            "exempt@20": 3,
            "recreated_p": 0.8,
            "recreated_r": 1.0,
            "coordination_f1": 0.9,
        },
    ]
    s = summarise(rows)
    assert (
        s["p@20"]["worst"] == 0.6
        and s["p@20"]["worst_seed"] == 2
        and s["p@20"]["mean"] == pytest.approx(0.775)
    )
    assert s["exempt@20"]["worst"] == 3 and not s["exempt@20"]["met"]
    assert s["recreated_r"]["worst_seed"] == 1 and not s["recreated_r"]["met"]
    assert s["coordination_f1"]["worst"] == 0.9
