"""Synthetic ecosystems for tests and benchmarks (fictional accounts, neutral placeholder text).

``small_ecosystem`` plants a community (originators, amplifiers, distributors), journalists and
researchers who mention and quote it, benign accounts, coordinated groups, re-created accounts after
suspensions, cross-platform twins and a growing unknown domain, and returns the truth beside the
rows.  ``large_graph`` builds arrays for the scale benchmark directly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from .assemble import AccountRow, EdgeRow, PostRow, assemble
from .data import Accounts, Content, Edges, GraphData, Posts

T0 = datetime(2026, 1, 5, tzinfo=UTC)
WORDS = (
    "river stone lamp garden window paper orange market signal bridge cloud harbor meadow "
    "violet copper thunder lantern pebble quiet forest engine candle silver morning valley"
).split()


@dataclass
class Truth:
    core: list[tuple[str, str]] = field(default_factory=list)
    amplifiers: list[tuple[str, str]] = field(default_factory=list)
    distributors: list[tuple[str, str]] = field(default_factory=list)
    journalists: list[tuple[str, str]] = field(default_factory=list)
    researchers: list[tuple[str, str]] = field(default_factory=list)
    groups: list[tuple[str, set[tuple[str, str]]]] = field(default_factory=list)
    recreated: list[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=list)
    cross_platform: list[tuple[tuple[str, str], tuple[str, str]]] = field(default_factory=list)
    emerging: list[str] = field(default_factory=list)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.accounts: list[AccountRow] = []
        self.posts: list[PostRow] = []
        self.edges: list[EdgeRow] = []
        self.media: dict[tuple[str, str], list[str]] = {}
        self.counter = 0

    def account(self, platform: str, handle: str, name: str, **kw: object) -> tuple[str, str]:
        aid = str(100000 + len(self.accounts) * 7 + self.rng.randrange(7))
        self.accounts.append(AccountRow(platform, aid, handle, name, **kw))  # type: ignore[arg-type]
        return platform, aid

    def words(self, k: int = 10) -> str:
        return " ".join(self.rng.choice(WORDS) for _ in range(k)) + f" {self.rng.randrange(10**6)}"

    def post(
        self,
        who: tuple[str, str],
        t: datetime,
        text: str = "",
        *,
        media: str | None = None,
        urls: list[str] | None = None,
        tags: list[str] | None = None,
        repost: tuple[str, str, str] | None = None,
        quote: tuple[str, str, str] | None = None,
        mention: tuple[str, str] | None = None,
        forward: tuple[str, str] | None = None,
    ) -> str:
        self.counter += 1
        pid = str(self.counter)
        row = PostRow(who[0], pid, who[1], t, text or self.words(), list(urls or []), list(tags or []))
        if repost:
            row.repost_of = repost[2]
            self.edges.append(EdgeRow(who[0], who[1], repost[0], repost[1], "repost", t))
        if quote:
            row.quote_of = quote[2]
            self.edges.append(EdgeRow(who[0], who[1], quote[0], quote[1], "quote", t))
        if forward:
            row.forward_from = forward[1]
            self.edges.append(EdgeRow(who[0], who[1], forward[0], forward[1], "forward", t))
        if mention:
            row.mentions = (mention[1],)
            self.edges.append(EdgeRow(who[0], who[1], mention[0], mention[1], "mention", t))
        if media:
            self.media[(who[0], pid)] = [media]
        self.posts.append(row)
        return pid


@dataclass
class Rows:
    accounts: list[AccountRow]
    posts: list[PostRow]
    edges: list[EdgeRow]
    media: dict[tuple[str, str], list[str]]


def _when(post: PostRow) -> datetime:
    """The generator's posts carry datetimes (the store loader may give Unix seconds instead)."""
    t = post.timestamp
    return t if isinstance(t, datetime) else datetime.fromtimestamp(t, UTC)


def small_ecosystem(
    seed: int = 1,
    benign: int = 300,
    core: int = 8,
    amplifiers: int = 40,
    distributors: int = 15,
    days: int = 56,
) -> tuple[GraphData, Truth]:
    rows, truth = small_ecosystem_rows(seed, benign, core, amplifiers, distributors, days)
    return assemble(rows.accounts, rows.posts, rows.edges, rows.media), truth


def small_ecosystem_rows(
    seed: int = 1,
    benign: int = 300,
    core: int = 8,
    amplifiers: int = 40,
    distributors: int = 15,
    days: int = 56,
) -> tuple[Rows, Truth]:
    b = _Builder(seed)
    rng = b.rng
    truth = Truth()
    ben = [
        b.account("x", f"user_{k}_{rng.choice(WORDS)}", f"Person {k}", followers=rng.randrange(10, 900))
        for k in range(benign)
    ]
    hubs = ben[:10]
    stems = [
        f"{w}{k // len(WORDS) or ''}"
        for k, w in enumerate(rng.sample(WORDS, len(WORDS)) * (core // len(WORDS) + 1))
    ]
    cores = [
        b.account(
            "x",
            f"{w}_voice",
            f"The {w.title()} Voice",
            bio="placeholder outlet bio",
            followers=rng.randrange(200, 2000),
        )
        for w in stems[:core]
    ]
    amps = [b.account("x", f"amp_{k}", f"Amp {k}") for k in range(amplifiers)]
    dists = [b.account("telegram", f"relay{k}", f"Relay {k}") for k in range(distributors)]
    journos = [b.account("x", f"reporter_{k}", f"Reporter {k}", followers=50000) for k in range(4)]
    research = [b.account("x", f"lab_{k}", f"Research Lab {k}", followers=8000) for k in range(3)]
    truth.core, truth.amplifiers, truth.distributors = list(cores), list(amps), list(dists)
    truth.journalists, truth.researchers = list(journos), list(research)

    def when(d: float) -> datetime:
        return T0 + timedelta(seconds=d * 86400)

    # benign background: originals, reposts of hubs, mentions
    for _ in range(benign * 12):
        who = rng.choice(ben)
        t = when(rng.uniform(0, days))
        r = rng.random()
        if r < 0.3:
            hub = rng.choice(hubs + journos)
            pid = rng.choice(
                [p.post_id for p in b.posts[-200:] if (p.platform, p.account_id) == hub] or ["0"]
            )
            b.post(who, t, repost=(hub[0], hub[1], pid))
        elif r < 0.45:
            b.post(who, t, mention=rng.choice(ben), tags=["weather"])
        else:
            b.post(who, t, urls=[f"https://news.example.org/{rng.randrange(10**6)}"] if r < 0.6 else None)
    for j in journos:
        for _ in range(40):
            b.post(j, when(rng.uniform(0, days)))
    # community: cores post items; amplifiers repost within a minute; distributors re-upload media
    items = 0
    group_a = amps[: amplifiers // 2]
    group_d = dists[: min(6, distributors)]
    for d in range(days):
        for c in cores:
            items += 1
            t = when(d + rng.uniform(0.1, 0.8))
            host = (
                "files.newhost.example"
                if d > days * 0.6 and rng.random() < 0.7
                else "archive.oldhost.example"
            )
            media = f"sha256:{items:064x}"
            text = b.words(14)
            pid = b.post(c, t, text, media=media, urls=[f"https://{host}/{items}"], tags=["banner", "dawn"])
            for a in rng.sample(group_a, min(8, len(group_a))) + rng.sample(amps[amplifiers // 2 :], 3):
                b.post(a, t + timedelta(seconds=rng.uniform(5, 50)), repost=(c[0], c[1], pid))
            for dd in rng.sample(group_d, min(4, len(group_d))) + rng.sample(
                dists[len(group_d) :] or group_d, 1
            ):
                b.post(dd, t + timedelta(seconds=rng.uniform(5, 40)), text + " relay", media=media)
            if rng.random() < 0.3:
                for j in journos + research:
                    b.post(
                        j,
                        t + timedelta(hours=rng.uniform(1, 5)),
                        "report about this",
                        quote=(c[0], c[1], pid) if j in journos else None,
                        mention=c,
                    )
    truth.groups.append(("co-repost", set(group_a)))
    truth.groups.append(("co-post", set(group_d) | set(cores)))  # originals and re-uploads co-occur
    truth.emerging.append("files.newhost.example")
    # re-created accounts: three cores suspended mid-way, back as numbered handles
    for k, c in enumerate(cores[:3]):
        row = next(a for a in b.accounts if (a.platform, a.account_id) == c)
        stop = when(days * 0.5 + k)
        row.status, row.status_changed_at = "suspended", stop
        b.posts = [p for p in b.posts if not ((p.platform, p.account_id) == c and _when(p) > stop)]
        new = b.account(
            "x", (row.handle or "").replace("_voice", "_voice_2"), row.display_name or "", bio=row.bio
        )
        truth.recreated.append((new, c))
        for d in range(int(days * 0.5 + k) + 1, days):
            t = when(d + 0.5)
            pid = b.post(new, t, b.words(14), media=f"sha256:{10**6 + d * 10 + k:064x}")
            for a in rng.sample(group_a, min(6, len(group_a))):
                b.post(a, t + timedelta(seconds=rng.uniform(5, 50)), repost=(new[0], new[1], pid))
    # cross-platform twins: two cores run a Telegram channel with the same name and content
    for c in cores[3:5]:
        row = next(a for a in b.accounts if (a.platform, a.account_id) == c)
        twin = b.account("telegram", None or (row.handle or "") + "_tg", row.display_name or "")
        truth.cross_platform.append((c, twin))
        for p in [p for p in b.posts if (p.platform, p.account_id) == c][:20]:
            b.post(
                twin,
                _when(p) + timedelta(minutes=3),
                p.text,
                media=b.media.get((p.platform, p.post_id), [None])[0],
            )
    return Rows(b.accounts, b.posts, b.edges, {k: v for k, v in b.media.items() if v[0]}), truth


def large_graph(n: int, m: int, posts: int | None = None, seed: int = 1) -> GraphData:
    """A power-law interaction graph of ``n`` accounts and ``m`` edges, built as arrays."""
    rng = np.random.default_rng(seed)
    posts = posts if posts is not None else m // 2
    weights = 1.0 / np.arange(1, n + 1) ** 0.8
    weights /= weights.sum()
    dst = rng.choice(n, size=m, p=weights).astype(np.int32)
    src = rng.integers(0, n, size=m, dtype=np.int32)
    span = 90 * 86400.0
    edge_time = rng.uniform(0, span, m) + T0.timestamp()
    code = rng.choice(5, size=m, p=[0.3, 0.15, 0.35, 0.05, 0.15]).astype(np.int8)
    account = rng.integers(0, n, size=posts, dtype=np.int32)
    ptime = rng.uniform(0, span, posts) + T0.timestamp()
    pcode = rng.choice(5, size=posts, p=[0.5, 0.3, 0.1, 0.05, 0.05]).astype(np.int8)
    flag = (rng.random(posts) < 0.01).astype(np.float32)
    shared = posts // 5
    item_post = rng.integers(0, posts, size=shared, dtype=np.int32)
    item = rng.integers(0, shared // 4 + 1, size=shared, dtype=np.int32)
    content = Content(item_post, item, np.zeros(shared, np.int8), [])
    accounts = Accounts.bare([("x", str(i)) for i in range(n)])
    data = GraphData(
        accounts,
        Posts(account, ptime, pcode, flag, np.zeros(posts, bool)),
        Edges(src, dst, code, edge_time),
        content,
    )
    data.seeds = {int(i): "bench" for i in rng.choice(n, 100, replace=False)}
    data.detection = True
    return data
