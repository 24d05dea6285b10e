"""Generate the whole demo ecosystem under an output folder.

Order matters for determinism: the world, then each platform's activity, the
coordination bursts, the numbering passes, then the writers.  Every random
choice comes from RNGs seeded with the demo seed, and nothing depends on the
clock or on hash ordering, so one seed always gives byte-identical files.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .activity_other import generate_mastodon, generate_rocketchat, generate_zeronet
from .activity_telegram import finalise_telegram, generate_telegram
from .activity_x import generate_x
from .assets import write_assets
from .coordination import generate_coordination
from .generator import Generator
from .ground_truth import build_ground_truth
from .world import build_world
from .write_mastodon import MastodonWriter
from .write_rocketchat import write_rocketchat
from .write_telegram import write_telegram
from .write_x import XWriter
from .write_zeronet import assign_zeronet_ids, auth_addresses, write_zeronet

#: Folders and files the demo owns inside its output folder (replaced on each run).
OWNED = (
    "x",
    "telegram",
    "mastodon",
    "rocketchat",
    "zeronet",
    "bank",
    "ground_truth.json",
    "hashes.csv",
    "lexicon.csv",
    "known_texts.jsonl",
)
GROUND_TRUTH = "ground_truth.json"


@dataclass
class DemoBuild:
    out: Path
    ground_truth: dict[str, Any]
    inputs: list[tuple[Path, str]]  # the exports to import, in order, with the format written
    planted_posts: dict[str, int]  # posts generated per platform


def _clean(out: Path) -> None:
    for name in OWNED:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path)
        elif path.exists():
            path.unlink()


def build_demo(out: Path, seed: int = 1, scale: float = 1.0) -> DemoBuild:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    _clean(out)
    world = build_world(seed, scale)
    gen = Generator(world)
    x_originals = generate_x(gen)
    tg_originals = generate_telegram(gen)
    m_originals = generate_mastodon(gen)
    generate_rocketchat(gen)
    generate_zeronet(gen)
    groups = generate_coordination(gen, x_originals, tg_originals, m_originals)
    finalise_telegram(gen)
    zeronet_posts = [p for p in gen.posts if p.platform == "zeronet"]
    auth = auth_addresses(seed, world.of("zeronet"))
    assign_zeronet_ids(world.zeronet_site, zeronet_posts, auth)

    inputs: list[tuple[Path, str]] = []
    x_posts = [p for p in gen.posts if p.platform == "x"]
    x_writer = XWriter(gen.expanded)
    x_writer.write(x_posts, out / "x" / "tweets.jsonl")
    inputs.append((out / "x" / "tweets.jsonl", "twarc2"))
    watched = [a for a in world.of("x") if a.role not in ("benign",)]
    x_writer.write_users(watched, out / "x" / "users.jsonl")
    inputs.append((out / "x" / "users.jsonl", "twarc2"))
    for path in write_telegram(world.chats, [p for p in gen.posts if p.platform == "telegram"], out):
        inputs.append((path, "telegram"))
    m_posts = [p for p in gen.posts if p.platform == "mastodon"]
    MastodonWriter(m_posts).write(m_posts, out / "mastodon" / "statuses.json")
    inputs.append((out / "mastodon" / "statuses.json", "mastodon"))
    for path in write_rocketchat(
        [c for c in world.chats if c.platform == "rocketchat"],
        [p for p in gen.posts if p.platform == "rocketchat"],
        out,
    ):
        inputs.append((path, "rocketchat"))
    inputs.append((write_zeronet(world.zeronet_site, seed, zeronet_posts, auth, out), "zeronet"))
    files = write_assets(out, gen.known_images, gen.known_texts)
    truth = build_ground_truth(world, gen.posts, groups, gen.lookalikes, files)
    (out / GROUND_TRUTH).write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2))
    counts: dict[str, int] = {}
    for p in gen.posts:
        if not p.system:
            counts[p.platform] = counts.get(p.platform, 0) + 1
    return DemoBuild(out, truth, inputs, counts)
