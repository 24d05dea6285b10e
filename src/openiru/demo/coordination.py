"""Coordinated posting bursts: groups of 4 to 8 accounts acting together, repeatedly.

Each group does one thing within a short window (at most :data:`WINDOW`
seconds), four to six times on different days: retweet or boost the same post
(co-repost), post the same link (co-link), the same hashtag set (co-hashtag),
near-identical text (co-similar-text) or the same image (co-post).  Members
are drawn once, so groups do not overlap; everything they did is recorded for
the ground truth.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from .activity_other import m_post
from .activity_telegram import tg_post
from .activity_x import retweet, x_post
from .generator import HASHTAGS, Generator
from .records import DemoAccount, DemoPost
from .texts import GENERAL
from .world import FILE_HOST

WINDOW = 120
SUFFIXES = ("", "!", " .", " ✔", " 🔁", "!!", " …")


@dataclass
class Group:
    kind: str
    platform: str
    accounts: list[DemoAccount]
    items: list[str] = field(default_factory=list)
    posts: list[DemoPost] = field(default_factory=list)


def _members(gen: Generator, pool: list[DemoAccount], taken: set[int], size: int) -> list[DemoAccount] | None:
    free = [a for a in pool if id(a) not in taken and a.suspended_at is None and "predecessor" not in a.extra]
    if len(free) < size:
        return None
    picked = gen.rng.sample(free, size)
    taken.update(id(a) for a in picked)
    return picked


def _burst_start(
    gen: Generator, accounts: list[DemoAccount], used_days: set[tuple[str, int]], kind: str
) -> datetime | None:
    for _ in range(40):
        when = gen.when(accounts[0])
        if when is None:
            continue
        day = (kind, when.toordinal())
        if day not in used_days and all(
            a.active_at(when) and a.active_at(when + timedelta(seconds=WINDOW)) for a in accounts
        ):
            used_days.add(day)
            return when
    return None


def _offsets(gen: Generator, count: int) -> list[int]:
    return sorted(gen.rng.randint(0, WINDOW - 10) for _ in range(count))


def generate_coordination(
    gen: Generator, x_originals: list[DemoPost], tg_originals: list[DemoPost], m_originals: list[DemoPost]
) -> list[Group]:
    world, rng = gen.world, gen.rng
    taken: set[int] = set()
    used_days: set[tuple[str, int]] = set()
    x_pool = world.of("x", "amplifier", "community")
    plans = (
        ("co-repost", "x", x_pool, 6),
        ("co-link", "x", x_pool, 5),
        ("co-hashtag", "x", x_pool, 6),
        ("co-similar-text", "x", x_pool, 5),
        ("co-post", "telegram", world.of("telegram", "forwarder"), 5),
        ("co-link", "mastodon", world.of("mastodon", "amplifier"), 4),
        ("co-repost", "mastodon", world.of("mastodon", "amplifier"), 4),
    )
    groups: list[Group] = []
    for kind, platform, pool, size in plans:
        members = _members(gen, pool, taken, size)
        if members is None:
            continue
        group = Group(kind, platform, members)
        for _ in range(rng.randint(4, 6)):
            start = _burst_start(gen, members, used_days, kind)
            if start is not None:
                _burst(gen, group, start, x_originals, tg_originals, m_originals)
        if len(group.items) >= 3:
            groups.append(group)
    return groups


def _burst(
    gen: Generator,
    group: Group,
    start: datetime,
    x_originals: list[DemoPost],
    tg_originals: list[DemoPost],
    m_originals: list[DemoPost],
) -> None:
    rng = gen.rng
    offsets = _offsets(gen, len(group.accounts))
    times = [start + timedelta(seconds=s) for s in offsets]
    members = list(group.accounts)
    rng.shuffle(members)
    if group.kind == "co-repost":
        originals = [p for p in (x_originals if group.platform == "x" else m_originals) if p.time < start]
        if not originals:
            return
        original = rng.choice(originals)
        group.items.append(f"{original.platform}:{original.post_id}")
        for account, when in zip(members, times, strict=True):
            if group.platform == "x":
                group.posts.append(retweet(gen, account, original, when))
            else:
                group.posts.append(
                    m_post(gen, account, when, "", original.language, repost_of=original, flagged=True)
                )
    elif group.kind == "co-link":
        url = f"https://{FILE_HOST}/f/{gen.world.ids.token(12)}"
        group.items.append(url)
        for account, when in zip(members, times, strict=True):
            text = f"{gen.sentences(account.language)} {url}"
            make = x_post if group.platform == "x" else m_post
            group.posts.append(make(gen, account, when, text, account.language, urls=[url], flagged=True))
    elif group.kind == "co-hashtag":
        language = rng.choice(list(GENERAL))
        tags = list(dict.fromkeys([*HASHTAGS[language], *rng.sample(HASHTAGS["en"], 2)]))[:3]
        tags.append(f"Velmor{rng.randint(100, 999)}")
        group.items.append(" ".join("#" + t.lstrip("#") for t in tags))
        for account, when in zip(members, times, strict=True):
            text = f"{gen.sentences(account.language)} {group.items[-1]}"
            group.posts.append(
                x_post(
                    gen,
                    account,
                    when,
                    text,
                    account.language,
                    hashtags=[t.lstrip("#") for t in tags],
                    flagged=True,
                )
            )
    elif group.kind == "co-similar-text":
        language = rng.choice(list(GENERAL))
        base = f"{gen.sentences(language, 2)} #{HASHTAGS[language][0].lstrip('#')}"
        group.items.append(base)
        for account, when in zip(members, times, strict=True):
            group.posts.append(
                x_post(
                    gen,
                    account,
                    when,
                    base + rng.choice(SUFFIXES),
                    language,
                    hashtags=[HASHTAGS[language][0].lstrip("#")],
                    flagged=True,
                )
            )
    elif group.kind == "co-post":
        image = gen.planted_image("", "")
        group.items.append("sha256:" + hashlib.sha256(image.data).hexdigest())
        for account, when in zip(members, times, strict=True):
            chat = next(c for c in gen.world.chats if c.owner is account)
            post = tg_post(
                gen,
                chat,
                account,
                when,
                gen.sentences(account.language),
                account.language,
                media=[image],
                flagged=True,
            )
            group.posts.append(post)
