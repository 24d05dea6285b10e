"""Planted coordinated rings: what the coordination analysis should find, and nothing else.

* ``copypasta``: members post edited copies of one release (homoglyphs, Arabic diacritics and
  tatweel, an inserted word or emoji) within ``ring_spread`` seconds (20 s to 2.5 minutes), in 5 to 8
  rounds, each member in most of them (75-100 %, at least three);
* ``co-repost``: members pass on the same posts within seconds of each other (retweets, reblogs,
  Telegram forwards);
* ``co-link``: members post the same fresh link (a mirror of the organisation's site) with their
  own words;
* ``cross-platform``: members on two or three platforms post the same text and link together;
* benign rings: a club's fans reposting its posts, or a charity's volunteers sharing its links,
  just as fast (coordinated, but not the organisation: never key accounts).
"""

from __future__ import annotations

from typing import Any

from .activity import HOUR, Activity
from .model import Account, Post
from .text import benign_text, edit_copy, word


class Rings:
    def __init__(self, act: Activity) -> None:
        self.a, self.rng, self.p, self.cast = act, act.rng, act.p, act.cast
        self.used: set[int] = {id(x) for pair in act.w.recreated for x in pair[:2]}

    def _members(self, role: str, platforms: list[str], size: int) -> list[Account]:
        pool = [x for x in self.a.role(role) if x.platform in platforms and id(x) not in self.used]
        self.rng.shuffle(pool)
        members = pool[:size]
        while len(members) < size:  # recruit new accounts for the ring
            platform = platforms[len(members) % len(platforms)]
            members.append(
                self.cast.person(platform, role, f"{role}-ring{len(self.a.w.groups)}-{len(members)}")
            )
        self.used.update(id(m) for m in members)
        return members

    def _rounds(self) -> int:
        return self.rng.randint(5, 8) if not self.p.quick else 5

    def _record(self, kind: str, members: list[Account], benign: bool = False) -> None:
        self.a.w.groups.append(
            {
                "kind": kind,
                "benign": benign,
                "accounts": [m.key for m in members],
                "platforms": sorted({m.platform for m in members}),
            }
        )

    def _schedule(self, members: list[Account], rounds: int) -> list[list[tuple[Account, float]]]:
        """Who posts in each round, and how many seconds after the round starts: each member takes
        part in a round with the world's participation rate, and in at least three rounds."""
        rng = self.rng
        joins = {
            id(m): {r for r in range(rounds) if rng.random() < self.p.ring_participation} for m in members
        }
        for m in members:
            while len(joins[id(m)]) < min(3, rounds):
                joins[id(m)].add(rng.randrange(rounds))
        return [
            [(m, rng.uniform(0, self.p.ring_spread)) for m in members if r in joins[id(m)]]
            for r in range(rounds)
        ]

    def plant(self) -> None:
        for kind in self.p.rings:
            getattr(self, kind.replace("-", "_"))()
        for _ in range(self.p.n_benign_rings):
            self.benign_ring()

    def copypasta(self) -> None:
        rng = self.rng
        members = self._members("amplifier", [rng.choice(self.p.platforms)], rng.randint(*self.p.ring_size))
        chosen = rng.sample(self.a.releases, min(self._rounds(), len(self.a.releases)))
        for rel, wave in zip(chosen, self._schedule(members, len(chosen)), strict=True):
            t0 = (rel.posts[0].time if rel.posts else self.a.when()) + rng.uniform(HOUR, 10 * HOUR)
            for m, dt in wave:
                self.a.by(m, t0 + dt, text=edit_copy(rng, rel.text), lang=rel.lang)
        self._record("copypasta", members)

    def co_repost(self) -> None:
        rng = self.rng
        platforms = [q for q in ("x", "mastodon", "telegram") if q in self.p.platforms] or self.p.platforms
        platform = rng.choice(platforms)
        sources = [p for rel in self.a.releases for p in rel.posts if p.platform == platform]
        sources += [
            p
            for p in self.a.w.posts
            if p.platform == platform
            and p.account.role == "propagandist"
            and not p.repost_of
            and not p.forward_of
        ]
        if len(sources) < 4:
            self.co_link()
            return
        members = self._members("amplifier", [platform], rng.randint(*self.p.ring_size))
        chosen = rng.sample(sources, min(self._rounds(), len(sources)))
        for src, wave in zip(chosen, self._schedule(members, len(chosen)), strict=True):
            t0 = src.time + rng.uniform(120, 2 * HOUR)
            for m, dt in wave:
                self.a.pass_on(m, src, t0 + dt)
        self._record("co-repost", members)

    def co_link(self, platforms: list[str] | None = None, kind: str = "co-link") -> None:
        rng, org = self.rng, self.a.org
        platforms = platforms or [rng.choice(self.p.platforms)]
        members = self._members("amplifier", platforms, rng.randint(*self.p.ring_size))
        same_text = kind == "cross-platform"
        for wave in self._schedule(members, self._rounds()):
            link = f"https://{org.mirror}/{word(rng, 2)}/{rng.randrange(10**6)}"
            text = org.comment()
            t0 = self.a.when(self.p.start + 2 * HOUR, self.cast.end - 2 * HOUR)
            for m, dt in wave:
                words = text if same_text else rng.choice(["read", "new", "mirror", "here", "backup link"])
                self.a.by(m, t0 + dt, text=f"{words} {link}", urls=[link])
        self._record(kind, members)

    def cross_platform(self) -> None:
        platforms = self.rng.sample(self.p.platforms, min(len(self.p.platforms), self.rng.randint(2, 3)))
        self.co_link(platforms, "cross-platform")

    def benign_ring(self) -> None:
        rng = self.rng
        platforms = [q for q in ("x", "mastodon") if q in self.p.platforms] or self.p.platforms
        platform = rng.choice(platforms)
        club = self.cast.person(
            platform,
            "benign",
            f"club{len(self.a.w.groups)}",
            followers=rng.randint(2000, 20000),
            bio="Placeholder amateur football club",
        )
        fans = self._members("benign", [platform], rng.randint(*self.p.ring_size))
        for wave in self._schedule(fans, self._rounds() + 1):
            t0 = self.a.when()
            post: Post | None
            if platform in ("x", "mastodon", "telegram"):
                post = self.a.by(club, t0, text=f"Match day! {benign_text(rng)}")
                if post is None:
                    continue
                for m, dt in wave:
                    self.a.pass_on(m, post, t0 + 30 + dt)
            else:
                link = f"https://club-{rng.randrange(1000)}.example/tickets/{rng.randrange(10**5)}"
                for m, dt in wave:
                    self.a.by(m, t0 + dt, text=f"Tickets! {link}", urls=[link])
        self._record("benign", fans, benign=True)

    def summary(self) -> list[dict[str, Any]]:
        return self.a.w.groups
