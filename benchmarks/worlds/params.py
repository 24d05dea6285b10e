"""What varies between worlds, drawn from the world's seed.

Platform mix and sizes; the ringleaders' home platform (X, a Telegram group, a self-hosted
Rocket.Chat server or a Mastodon instance) and how present the group is on X; id and handle
schemes; how many hard negatives, benign rings, look-alike pairs, ban evasions (and which handle
edits) and coordinated rings of each kind; and which of the unit's assets the run loads (lexicon,
hash banks, known texts, analysts' seeds).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from .handles import EDIT_KINDS

HOMES = ("x", "telegram", "rocketchat", "mastodon")
RING_KINDS = ("copypasta", "co-repost", "co-link", "cross-platform")


@dataclass
class WorldParams:
    seed: int
    quick: bool
    home: str  # where the ringleaders are most active
    x_presence: str  # "none" | "little" | "full" for the group on X
    platforms: list[str]
    start: float  # epoch seconds of the first day
    days: int
    handle_scheme: str
    tg_id_width: int
    rc_host: str
    masto_host: str
    rc_platform: str  # the platform name the import records (--platform)
    masto_platform: str
    n_leaders: int
    n_outlets: int
    n_propagandists: int
    n_amplifiers: int
    n_benign: int
    exempt: dict[str, int]
    n_benign_rings: int
    n_lookalikes: int
    evasions: list[str]  # handle edit kind per re-created account
    rings: list[str]  # kinds of the organisation's coordinated rings
    ring_size: tuple[int, int]
    ring_spread: float  # seconds within which a ring's copies follow the first
    ring_participation: float  # share of rounds each member takes part in
    n_events: int  # public events many people post about at once (chance co-activity)
    with_lexicon: bool
    with_hashes: bool
    with_texts: bool
    with_seeds: bool
    arabic_share: float
    statements: int
    extra: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        assets = (
            "".join(
                c
                for c, on in (
                    ("L", self.with_lexicon),
                    ("H", self.with_hashes),
                    ("T", self.with_texts),
                    ("S", self.with_seeds),
                )
                if on
            )
            or "-"
        )
        return (
            f"home={self.home} x={self.x_presence} platforms={'+'.join(self.platforms)} "
            f"assets={assets} rings={','.join(self.rings)} spread={self.ring_spread:.0f}s "
            f"participation={self.ring_participation:.2f} events={self.n_events} "
            f"evasions={','.join(self.evasions)}"
        )

    def short(self) -> str:
        """Home platform, X presence, platform mix, assets (Lexicon, Hashes, known Texts, Seeds)."""
        abbrev = {"x": "x", "telegram": "tg", "rocketchat": "rc", "mastodon": "ma"}
        assets = (
            "".join(
                c
                for c, on in (
                    ("L", self.with_lexicon),
                    ("H", self.with_hashes),
                    ("T", self.with_texts),
                    ("S", self.with_seeds),
                )
                if on
            )
            or "-"
        )
        return f"{abbrev[self.home]}, x {self.x_presence}, {'+'.join(abbrev[p] for p in self.platforms)}, {assets}"


def draw(seed: int, quick: bool = False) -> WorldParams:
    """The parameters of world ``seed`` (the home platform cycles so every 4 worlds cover all)."""
    rng = random.Random(seed * 7919 + 17)
    home = HOMES[seed % len(HOMES)]
    x_presence = "full" if home == "x" else rng.choice(["none", "little", "little", "full"])
    platforms = {home}
    if x_presence != "none":
        platforms.add("x")
    for p in ("telegram", "rocketchat", "mastodon"):
        if rng.random() < 0.6:
            platforms.add(p)
    if len(platforms) < 2:
        platforms.add(rng.choice([p for p in HOMES if p not in platforms]))
    scale = 0.35 if quick else 1.0
    exempt = {
        "news": rng.randint(2, 4),
        "journalist": rng.randint(2, 4),
        "researcher": rng.randint(1, 3),
        "osint": rng.randint(1, 2),
        "monitor": rng.randint(1, 2),
        "celebrity": rng.randint(0, 1) + 1,
    }
    if quick:
        exempt = {k: max(1, v // 2) for k, v in exempt.items()}
    n_evasions = rng.randint(2, 5) if not quick else 2
    evasions = [rng.choice(EDIT_KINDS) for _ in range(n_evasions)]
    rings = [rng.choice(RING_KINDS) for _ in range(rng.randint(2, 4) if not quick else 2)]
    if "copypasta" not in rings and rng.random() < 0.6:
        rings[0] = "copypasta"
    if "cross-platform" in rings and len(platforms) < 2:
        rings = [r if r != "cross-platform" else "co-link" for r in rings]
    assets = rng.random()
    rc_host = f"chat.{rng.choice(['harbour', 'lantern', 'quarry', 'meadow'])}-{seed}.example"
    masto_host = f"{rng.choice(['social', 'toot', 'mast', 'fedi'])}.{rng.choice(['kite', 'fern', 'oak'])}-{seed}.example"
    return WorldParams(
        seed=seed,
        quick=quick,
        home=home,
        x_presence=x_presence,
        platforms=sorted(platforms),
        start=1767225600.0 + rng.randint(0, 300) * 86400.0,
        days=rng.randint(30, 60),
        handle_scheme=rng.choice(["first_last", "digits", "word"]),
        tg_id_width=rng.randint(7, 10),
        rc_host=rc_host,
        masto_host=masto_host,
        rc_platform=rc_host if rng.random() < 0.7 else "rocketchat",
        masto_platform=masto_host if rng.random() < 0.4 else "mastodon",
        n_leaders=rng.randint(3, 6),
        n_outlets=rng.randint(2, 4),
        n_propagandists=max(4, int(rng.randint(8, 14) * scale)),
        n_amplifiers=max(10, int(rng.randint(25, 60) * scale)),
        n_benign=max(30, int(rng.randint(70, 150) * scale)),
        exempt=exempt,
        n_benign_rings=rng.randint(0, 2),
        n_lookalikes=rng.randint(1, 4),
        evasions=evasions,
        rings=rings,
        ring_size=(6, 12) if not quick else (5, 7),
        ring_spread=rng.uniform(20.0, 150.0),
        ring_participation=rng.uniform(0.75, 1.0),
        n_events=rng.randint(0, 8),
        with_lexicon=assets < 0.75,
        with_hashes=rng.random() < 0.7,
        with_texts=rng.random() < 0.7,
        with_seeds=rng.random() < 0.5,
        arabic_share=rng.choice([0.0, 0.2, 0.5]),
        statements=max(10, int(rng.randint(20, 35) * scale)),
    )
