"""The accounts of a world: the organisation's members, hard negatives and the public around them.

Roles (ground truth): ``ringleader``, ``outlet`` and ``propagandist`` are the key accounts (they
originate the organisation's content); ``amplifier`` accounts only pass it on; the exempt classes
``news``, ``journalist``, ``researcher``, ``osint``, ``monitor``, ``celebrity`` write about the
organisation; ``benign`` accounts are the public (some of them in benign rings or look-alike pairs).
An actor's accounts on several platforms share its handle and display name, as real groups' do.
"""

from __future__ import annotations

import random

from .handles import Handles, evade, evade_name, lookalike
from .model import Account, Ids, World
from .params import WorldParams
from .text import NEWS_WORDS, Organisation, person_name, word

DAY = 86400.0
KEY_ROLES = ("ringleader", "outlet", "propagandist")
EXEMPT_ROLES = ("news", "journalist", "researcher", "osint", "monitor", "celebrity")
MIN_KEY = 25


class Cast:
    def __init__(
        self, world: World, params: WorldParams, rng: random.Random, ids: Ids, org: Organisation
    ) -> None:
        self.w, self.p, self.rng, self.ids, self.org = world, params, rng, ids, org
        self.handles = Handles(rng, params.handle_scheme)
        self.end = params.start + params.days * DAY
        self.by_role: dict[str, list[Account]] = {}

    # --- helpers -------------------------------------------------------------------------------
    def _platform(self, weights: dict[str, float]) -> str:
        choices = [p for p in self.p.platforms if weights.get(p, 0) > 0] or self.p.platforms
        return self.rng.choices(choices, [weights.get(p, 0.1) for p in choices])[0]

    def account(
        self,
        platform: str,
        role: str,
        actor: str,
        handle: str | None,
        name: str,
        *,
        channel: bool = False,
        followers: int = 50,
        bio: str = "",
    ) -> Account:
        created = self.p.start - self.rng.uniform(30, 2000) * DAY
        if platform == "telegram" and not channel:
            handle = None  # Telegram Desktop exports name users, they carry no username
        remote = None
        if platform == "mastodon" and self.rng.random() < 0.3 and role not in ("outlet", "ringleader"):
            remote = f"{word(self.rng, 2)}.example"
        acc = Account(
            platform,
            self.ids.account_id(platform, created, channel),
            handle,
            name,
            role,
            actor,
            bio=bio,
            created_at=created,
            followers=followers,
            channel=channel,
            remote_host=remote,
            avatar=f"av-{actor}-{self.rng.randrange(10**6)}",
            active_from=self.p.start,
            active_to=self.end,
        )
        self.by_role.setdefault(role, []).append(self.w.add(acc))
        return acc

    def person(self, platform: str, role: str, actor: str, followers: int = 50, bio: str = "") -> Account:
        handle, name = self.handles.random_person(platform)
        return self.account(platform, role, actor, handle, name, followers=followers, bio=bio)

    # --- the organisation ----------------------------------------------------------------------
    def organisation(self) -> None:
        p, rng = self.p, self.rng
        home_w = {
            p.home: 5.0,
            "x": 0.3 if p.x_presence == "little" else (1.5 if p.x_presence == "full" else 0),
        }
        for k in range(p.n_leaders):
            first, last = person_name(rng)
            stem = f"{first.lower()}{rng.choice(['', '_', ''])}{word(rng, 1)}"
            bio = f"Placeholder profile {k} of the {self.org.short} office"
            home = self.account(
                p.home,
                "ringleader",
                f"leader{k}",
                self.handles.claim(p.home, stem),
                f"{first} {last}",
                followers=rng.randint(300, 3000),
                bio=bio,
            )
            for other in p.platforms:  # the same actor elsewhere, under the same handle
                if other == p.home:
                    continue
                chance = {"none": 0.0, "little": 0.25, "full": 0.7}[p.x_presence] if other == "x" else 0.4
                if rng.random() < chance:
                    self.account(
                        other,
                        "ringleader",
                        f"leader{k}",
                        self.handles.claim(other, stem),
                        home.display_name,
                        followers=rng.randint(50, 800),
                        bio=bio,
                    )
        outlet_platforms = [p.home] + [
            q for q in p.platforms if q != p.home and (q != "x" or p.x_presence == "full")
        ]
        for k in range(p.n_outlets):
            platform = outlet_platforms[k % len(outlet_platforms)]
            name = (
                self.org.media_name
                if k == 0
                else f"{self.org.media_name} {rng.choice(['Archive', 'Relay', 'Studio'])}"
            )
            handle = self.handles.claim(platform, name.replace(" ", "_").lower())
            self.account(
                platform,
                "outlet",
                f"outlet{k}",
                handle,
                name,
                channel=platform == "telegram",
                followers=rng.randint(500, 5000),
                bio=f"Official placeholder channel of {self.org.name}",
            )
        # at least MIN_KEY key accounts, so that precision@20 can reach 1 with room to spare
        leaders = len(self.by_role.get("ringleader", [])) + len(self.by_role.get("outlet", []))
        for k in range(max(p.n_propagandists, MIN_KEY - leaders)):
            self.person(
                self._platform(home_w | {q: 1.0 for q in p.platforms if q not in home_w}),
                "propagandist",
                f"prop{k}",
                rng.randint(100, 1500),
                bio=f"#{self.org.hashtags[0]} placeholder supporter",
            )
        amp_w = {
            "x": 2.0 if p.x_presence != "none" else 0,
            "telegram": 2.0,
            "mastodon": 1.0,
            "rocketchat": 1.0,
        }
        for k in range(p.n_amplifiers):
            self.person(self._platform(amp_w), "amplifier", f"amp{k}", rng.randint(5, 300))

    # --- hard negatives and the public ---------------------------------------------------------
    def public(self) -> None:
        p, rng = self.p, self.rng
        open_w = {"x": 3.0, "mastodon": 1.5, "telegram": 1.0, "rocketchat": 0.0}
        for k in range(p.exempt["news"]):
            name = f"The {word(rng, 2).capitalize()} {rng.choice(NEWS_WORDS)}"
            platform = self._platform(open_w)
            self.account(
                platform,
                "news",
                f"news{k}",
                self.handles.claim(platform, name.split()[1].lower() + "news"),
                name,
                channel=platform == "telegram",
                followers=rng.randint(20000, 900000),
                bio="Independent placeholder newsroom",
            )
        for role, bio in (
            ("journalist", "Reporter, placeholder newsroom. Views my own"),
            ("researcher", "Researcher on extremism and online networks (placeholder)"),
            ("osint", "OSINT analyst, open-source investigations (placeholder)"),
        ):
            for k in range(p.exempt[role]):
                self.person(
                    self._platform({"x": 3.0, "mastodon": 2.0, "telegram": 0.3}),
                    role,
                    f"{role}{k}",
                    rng.randint(2000, 60000),
                    bio=bio,
                )
        for k in range(p.exempt["monitor"]):
            platform = "telegram" if "telegram" in p.platforms else self._platform(open_w)
            name = f"{word(rng, 2).capitalize()} Extremism Monitor"
            self.account(
                platform,
                "monitor",
                f"monitor{k}",
                self.handles.claim(platform, name.split()[0].lower() + "_monitor"),
                name,
                channel=platform == "telegram",
                followers=rng.randint(3000, 40000),
                bio="We track and archive extremist releases for researchers (placeholder)",
            )
        for k in range(p.exempt["celebrity"]):
            self.person(
                self._platform({"x": 3.0, "mastodon": 1.0}),
                "celebrity",
                f"celeb{k}",
                rng.randint(500000, 5000000),
                bio="Singer. Placeholder celebrity account",
            )
        pub_w = {"x": 3.0, "telegram": 2.0, "mastodon": 2.0, "rocketchat": 0.3}
        for k in range(p.n_benign):
            self.person(self._platform(pub_w), "benign", f"public{k}", rng.randint(0, 800))

    # --- ban evasion and look-alikes -----------------------------------------------------------
    def evasions(self) -> None:
        """Members removed part-way through, each followed by a successor with an edited name."""
        rng = self.rng
        pool = [
            a
            for r in ("ringleader", "propagandist", "amplifier")
            for a in self.by_role.get(r, [])
            if not a.channel
        ]
        rng.shuffle(pool)
        pool.sort(key=lambda a: a.role == "amplifier")  # key accounts first: they matter most
        by_platform: dict[str, list[Account]] = {}
        for a in pool:
            by_platform.setdefault(a.platform, []).append(a)
        order = list(by_platform)
        rng.shuffle(order)
        by_platform = {q: by_platform[q] for q in order}
        chosen: list[Account] = []  # round robin over platforms: evasions everywhere
        while len(chosen) < len(self.p.evasions) and any(by_platform.values()):
            for accounts in by_platform.values():
                if accounts and len(chosen) < len(self.p.evasions):
                    chosen.append(accounts.pop(0))
        for old, kind in zip(chosen, self.p.evasions, strict=False):
            removed = rng.uniform(
                self.p.start + 0.3 * (self.end - self.p.start), self.p.start + 0.7 * (self.end - self.p.start)
            )
            old.active_to = removed
            if old.platform in ("x", "mastodon"):
                old.status = (
                    rng.choice(["suspended", "suspended", "deleted"]) if old.platform == "x" else "suspended"
                )
                old.removed_at = removed
            gap = rng.uniform(0.1, 4.0) * DAY
            if kind == "rename" and old.platform not in ("x", "mastodon"):
                kind = rng.choice(["suffix", "leet", "swap", "drop"])  # no avatar or bio there to keep
            if kind == "rename":
                handle, name = self.handles.random_person(old.platform)
            else:
                handle = self.handles.claim(old.platform, evade(rng, old.handle or old.display_name, kind))
                name = (
                    evade_name(rng, old.display_name, kind)
                    if old.handle
                    else evade(rng, old.display_name, kind)
                )
            new = self.account(
                old.platform,
                old.role,
                old.actor,
                handle,
                name,
                followers=max(1, old.followers // 10),
                bio=old.bio,
            )
            new.avatar = old.avatar
            new.created_at = removed + gap - rng.uniform(0, 0.2 * gap)
            new.active_from, new.active_to = removed + gap, self.end
            self.w.recreated.append((new, old, kind))

    def lookalikes(self) -> None:
        """Pairs that look like re-creations but are not: one person's second account used alongside
        the first; a switch to a new account that overlaps the old one by days (the old one never
        removed, just left); two members of one group with near-identical names.  Drawn from the
        public and from the organisation's amplifiers (Telegram ids of one width look alike too)."""
        rng = self.rng
        taken = {id(x) for pair in self.w.recreated for x in pair[:2]}
        public = [a for a in self.by_role.get("benign", []) if a.platform != "rocketchat"]
        members = [a for a in self.by_role.get("amplifier", []) if id(a) not in taken]
        rng.shuffle(members)
        span = self.end - self.p.start
        for k in range(self.p.n_lookalikes):
            pool = members if k % 2 and members else public
            if not pool:
                continue
            a = pool.pop(0)
            kind = rng.choice(["second account", "switch with overlap", "similar name"])
            if kind == "similar name":
                first, last = a.display_name.split(" ", 1)
                second = self.person(a.platform, a.role, f"{a.actor}-namesake")
                second.display_name = f"{first[:-1] if len(first) > 3 else first + 'a'} {last}"
            else:
                handle = self.handles.claim(a.platform, lookalike(rng, a.handle)) if a.handle else None
                name = a.display_name if a.handle else a.display_name + rng.choice([" 2", " (new)", "2"])
                second = self.account(
                    a.platform, a.role, a.actor, handle, name, followers=a.followers // 3, bio=a.bio
                )
                second.avatar = a.avatar if rng.random() < 0.5 else second.avatar
            second.created_at = self.p.start + rng.uniform(0.2, 0.5) * span
            second.active_from = second.created_at
            if kind == "switch with overlap":  # the first account goes quiet a few days later
                a.active_to = second.active_from + rng.uniform(1.0, 3.0) * DAY
            self.w.lookalikes.append((second, a, kind))
