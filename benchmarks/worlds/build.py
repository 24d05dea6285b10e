"""Build one world from its seed and write it out: exports, the unit's assets and the ground truth.

Layout of ``OUT``::

    x/search.jsonl x/users.jsonl          twarc2 pages and the users look-up
    telegram/result.json telegram/chats/  Telegram Desktop full export
    rocketchat/<room>.json                channels.history responses (self-hosted server)
    mastodon/statuses_<id>.json           Status arrays
    hashes.csv lexicon.csv known_texts.jsonl seeds.csv   the unit's assets (as the world's run uses them)
    ground_truth.json                     roles, key/core/exempt accounts, re-created pairs, groups

``ground_truth.json["ingest"]`` lists each export with the ``--format`` and ``--platform`` its import
takes; ``["assets"]`` says which assets the run loads.
"""

from __future__ import annotations

import csv
import json
import random
from pathlib import Path
from typing import Any

from .activity import Activity
from .cast import DAY, EXEMPT_ROLES, KEY_ROLES, Cast
from .model import Account, Ids, World, assign_post_ids
from .params import WorldParams, draw
from .public import Public
from .rings import Rings
from .text import Organisation
from .write_mastodon import write_mastodon
from .write_rocketchat import assign_rooms, write_rocketchat
from .write_telegram import assign_chats, write_telegram
from .write_x import write_x


def build(seed: int, quick: bool = False, params: WorldParams | None = None) -> tuple[World, Organisation]:
    """The world of ``seed`` in memory (nothing written)."""
    params = params or draw(seed, quick)
    rng = random.Random(seed)
    world = World(seed, params)
    ids = Ids(rng, params.tg_id_width)
    org = Organisation(rng)
    cast = Cast(world, params, rng, ids, org)
    cast.organisation()
    cast.public()
    cast.evasions()
    cast.lookalikes()
    act = Activity(world, cast)
    act.releases_()
    act.members()
    act.amplification()
    public = Public(act)
    public.exempt()
    public.celebrity()
    public.chatter()
    public.events()
    Rings(act).plant()
    world.known_media = [m for rel in act.releases for m in rel.media]
    world.known_texts = [(f"release-{rel.n}", rel.text, rel.lang) for rel in act.releases]
    world.lexicon = _lexicon(org)
    key = [a for a in world.accounts if a.role in ("outlet", "ringleader") and a.status == "active"]
    world.seeds = rng.sample(key, min(len(key), rng.randint(1, 3))) if params.with_seeds else []
    assign_chats(world, rng)
    assign_rooms(world, rng)
    assign_post_ids(world.posts, ids)
    world.meta = {"ids": ids}
    return world, org


def _lexicon(org: Organisation) -> list[tuple[str, str, str]]:
    rows = [
        (org.name, "en", "term"),
        (org.short, "en", "term"),
        (org.media_name, "en", "outlet"),
        (org.domain, "en", "outlet"),
    ]
    rows += [(tag, "en", "hashtag") for tag in org.hashtags]
    rows.append((f"إصدار {org.media_name}", "ar", "term"))
    return rows


def platform_name(params: WorldParams, platform: str) -> str:
    """The platform name the import records for a generator platform."""
    return {"rocketchat": params.rc_platform, "mastodon": params.masto_platform}.get(platform, platform)


def key_of(params: WorldParams, acc: Account) -> dict[str, str]:
    return {"platform": platform_name(params, acc.platform), "account_id": acc.account_id}


def write_world(
    seed: int, out: Path, quick: bool = False, params: WorldParams | None = None
) -> dict[str, Any]:
    """Build world ``seed``, write it under ``out`` and return its ground truth."""
    world, org = build(seed, quick, params)
    p = world.params
    ids: Ids = world.meta["ids"]
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed + 1)
    ingest: list[dict[str, Any]] = []
    end = p.start + p.days * DAY
    for path in write_x(world, out / "x", end + DAY):
        ingest.append({"path": str(path.relative_to(out)), "format": "twarc2", "platform": None})
    if (tg := write_telegram(world, out / "telegram", rng)) is not None:
        ingest.append({"path": str(tg.parent.relative_to(out)), "format": "telegram", "platform": None})
    if write_rocketchat(world, out / "rocketchat", p.rc_host, ids) is not None:
        ingest.append(
            {
                "path": "rocketchat",
                "format": "rocketchat",
                "platform": None if p.rc_platform == "rocketchat" else p.rc_platform,
            }
        )
    if write_mastodon(world, out / "mastodon", p.masto_host) is not None:
        ingest.append(
            {
                "path": "mastodon",
                "format": "mastodon",
                "platform": None if p.masto_platform == "mastodon" else p.masto_platform,
            }
        )
    files = _write_assets(world, out, org)
    truth = _truth(world, org, ingest, files)
    (out / "ground_truth.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1), "utf-8")
    return truth


def _write_assets(world: World, out: Path, org: Organisation) -> dict[str, str]:
    p = world.params
    files: dict[str, str] = {}
    if p.with_hashes and world.known_media:
        with open(out / "hashes.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["hash", "kind", "organisation", "outlet", "item", "source"])
            for m in world.known_media:
                for kind, value in (("md5", m.md5), ("sha256", m.sha256)):
                    w.writerow([value, kind, org.name, org.media_name, m.name, "evaluation world"])
        files["hash_list"] = "hashes.csv"
    if p.with_lexicon:
        with open(out / "lexicon.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["term", "language", "kind", "label"])
            w.writerows([term, lang, kind, org.name] for term, lang, kind in world.lexicon)
        files["lexicon"] = "lexicon.csv"
    if p.with_texts:
        with open(out / "known_texts.jsonl", "w", encoding="utf-8") as fh:
            for item, text, lang in world.known_texts:
                fh.write(
                    json.dumps(
                        {"id": item, "text": text, "language": lang, "label": org.name}, ensure_ascii=False
                    )
                    + "\n"
                )
        files["known_texts"] = "known_texts.jsonl"
    if world.seeds:
        with open(out / "seeds.csv", "w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(["platform", "account_id"])
            w.writerows([key_of(p, a)["platform"], a.account_id] for a in world.seeds)
        files["seeds"] = "seeds.csv"
    return files


def _truth(
    world: World, org: Organisation, ingest: list[dict[str, Any]], files: dict[str, str]
) -> dict[str, Any]:
    p = world.params
    posting = {id(post.account) for post in world.posts}
    accounts = [a for a in world.accounts if id(a) in posting]
    key = lambda a: key_of(p, a)  # noqa: E731
    plat = {"rocketchat": p.rc_platform, "mastodon": p.masto_platform}
    groups = [
        {
            **g,
            "accounts": [
                {"platform": plat.get(k["platform"], k["platform"]), "account_id": k["account_id"]}
                for k in g["accounts"]
            ],
        }
        for g in world.groups
    ]
    return {
        "seed": world.seed,
        "quick": p.quick,
        "scenario": p.describe(),
        "short": p.short(),
        "organisation": org.name,
        "home": p.home,
        "x_presence": p.x_presence,
        "platforms": [platform_name(p, q) for q in p.platforms],
        "accounts": [
            {
                **key(a),
                "handle": a.handle,
                "display_name": a.display_name,
                "role": a.role,
                "actor": a.actor,
                "status": a.status,
            }
            for a in accounts
        ],
        "key_accounts": [key(a) for a in accounts if a.role in KEY_ROLES],
        "core_accounts": [key(a) for a in accounts if a.role == "ringleader"],
        "exempt_accounts": [{**key(a), "role": a.role} for a in accounts if a.role in EXEMPT_ROLES],
        "recreated": [
            {
                **key(new),
                "predecessor_platform": key(old)["platform"],
                "predecessor_account_id": old.account_id,
                "edit": kind,
            }
            for new, old, kind in world.recreated
            if id(new) in posting and id(old) in posting
        ],
        "lookalikes": [{"a": key(a), "b": key(b), "kind": kind} for a, b, kind in world.lookalikes],
        "coordination_groups": groups,
        "posts": len(world.posts),
        "assets": {
            "lexicon": p.with_lexicon,
            "hashes": "hash_list" in files,
            "known_texts": p.with_texts,
            "seeds": bool(world.seeds),
        },
        "files": files,
        "ingest": ingest,
    }
