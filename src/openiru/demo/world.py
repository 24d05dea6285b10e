"""The planted structure: who is who on which platform.

Builds every account of the demo ecosystem with its role (outlet, core,
amplifier, forwarder, community, benign, journalist, researcher), the
re-created account pairs (suspended predecessor, successor created soon after
with a varied handle and the same display name, bio and avatar), the same
actors across platforms, the Telegram chats and Rocket.Chat rooms, and the
donation wallets.  Activity (posts) is generated from this in ``activity.py``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from . import names
from .ids import IdMaker
from .records import DemoAccount
from .texts import BENIGN_TOPICS, LANGUAGES
from .texts_org import OUTLETS
from .wallets import bitcoin_legacy, make_wallets

START = datetime(2026, 8, 3, tzinfo=UTC)
WEEKS = 8
END = START + timedelta(weeks=WEEKS)
#: The Rocket.Chat server the organisation moves to, and its new file host.
CHAT_HOST = "qorvalinth.chat"
FILE_HOST = "drevanto.io"
MASTODON_HOST = "social.lindqvale.example"
#: Journalists and researchers are on another instance: remote accounts (``user@host``) here.
PRESS_HOST = "press.northgate.example"
MIGRATION_START = START + timedelta(days=17)
VARIATIONS = ("counter", "homoglyph", "transliteration")


@dataclass(eq=False)
class Chat:
    """A Telegram chat or a Rocket.Chat room and the messages in it."""

    platform: str
    chat_id: str
    name: str
    kind: str  # public_channel, public_supergroup, private_group... / c (Rocket.Chat channel)
    owner: DemoAccount | None = None
    export: str = "full"  # the Telegram export the chat appears in
    next_message_id: int = 1


@dataclass
class World:
    seed: int
    scale: float
    rng: random.Random
    ids: IdMaker
    accounts: list[DemoAccount] = field(default_factory=list)
    recreated: list[tuple[DemoAccount, DemoAccount]] = field(default_factory=list)
    cross_platform: list[tuple[DemoAccount, DemoAccount]] = field(default_factory=list)
    chats: list[Chat] = field(default_factory=list)
    wallets: list[tuple[str, str, list[DemoAccount]]] = field(default_factory=list)
    zeronet_site: str = ""

    def n(self, base: float, floor: int) -> int:
        return max(floor, round(base * self.scale))

    def of(self, platform: str, *roles: str) -> list[DemoAccount]:
        return [a for a in self.accounts if a.platform == platform and (not roles or a.role in roles)]

    def created_before(self, when: datetime, years: float = 3) -> datetime:
        return when - timedelta(days=self.rng.uniform(30, 365 * years))

    def add(
        self,
        platform: str,
        account_id: str,
        handle: str,
        display: str,
        bio: str,
        language: str,
        role: str,
        created: datetime,
        **extra: object,
    ) -> DemoAccount:
        community = role in ("outlet", "core", "amplifier", "forwarder", "community")
        followers = {
            "outlet": 4000,
            "core": 1500,
            "amplifier": 300,
            "forwarder": 800,
            "community": 150,
            "benign": 2500,
            "journalist": 20000,
            "researcher": 6000,
        }[role]
        account = DemoAccount(
            platform,
            account_id,
            handle,
            display,
            bio,
            language,
            role,
            community,
            created,
            followers=int(followers * self.rng.uniform(0.3, 1.7)),
            avatar=f"{handle.replace('.', '_')}.jpg",
            extra=dict(extra),
        )
        self.accounts.append(account)
        return account


def build_world(seed: int, scale: float) -> World:
    rng = random.Random(f"openiru-demo-{seed}")
    world = World(seed, scale, rng, IdMaker(random.Random(f"openiru-demo-ids-{seed}")))
    _x_accounts(world)
    _telegram_accounts(world)
    _mastodon_accounts(world)
    _rocketchat_accounts(world)
    _zeronet_accounts(world)
    _recreate(world)
    _friends(world)
    _wallets(world)
    return world


def _x_user(world: World, handle: str, display: str, bio: str, language: str, role: str) -> DemoAccount:
    created = world.created_before(START)
    uid = world.ids.x_snowflake(created) if created.year >= 2014 else world.ids.x_legacy_user()
    return world.add("x", uid, handle, display, bio, language, role, created)


def _unique_handle(world: World, platform: str, make) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    taken = {a.handle for a in world.accounts if a.platform == platform}
    for attempt in range(50):
        handle, display = make()
        if attempt > 10:
            handle = f"{handle}{world.rng.randint(2, 99)}"
        if handle not in taken:
            return handle, (handle if platform == "telegram" else display)
    raise RuntimeError("no free handle")


def _x_accounts(world: World) -> None:
    rng = world.rng
    for _key, name, stem in OUTLETS:
        _x_user(world, stem, name, f"Official channel of {name}.", "en", "outlet")
    for role, base, floor in (("core", 10, 6), ("amplifier", 60, 26), ("community", 35, 10)):
        for _ in range(world.n(base, floor)):
            language = rng.choice(LANGUAGES)
            if role == "core":
                handle, display = _unique_handle(world, "x", lambda: names.pseudonym(rng))
                handle = f"{handle}_{rng.randint(1, 9)}" if rng.random() < 0.4 else handle
            else:
                handle, display = _unique_handle(world, "x", lambda lang=language: names.person(rng, lang))
                handle = handle.replace(".", "_")
            bio = {
                "core": "Bulletins and schedules of the circle.",
                "amplifier": "Sharing what matters.",
                "community": "Member of the circle.",
            }[role]
            _x_user(world, handle, display, bio, language, role)
    for _ in range(world.n(90, 20)):
        topic, bio = rng.choice(BENIGN_TOPICS)
        language = rng.choice(LANGUAGES)
        handle, display = _unique_handle(
            world,
            "x",
            lambda t=topic: (
                f"{rng.choice(('city', 'valley', 'coast', 'metro', 'river'))}_{t}_{rng.randint(1, 999)}",
                f"{t.title()} desk",
            ),
        )
        _x_user(world, handle, display, bio, language, "benign")
    for role, base, floor, bio in (
        ("journalist", 8, 4, "Reporter covering extremism and online platforms. Views my own."),
        ("researcher", 5, 3, "Researcher on online extremism and content moderation."),
    ):
        for _ in range(world.n(base, floor)):
            language = rng.choice(("en", "en", "fr", "de"))
            handle, display = _unique_handle(world, "x", lambda lang=language: names.person(rng, lang))
            _x_user(world, handle.replace(".", "_"), display, bio, language, role)


def _telegram_channel(
    world: World, name: str, language: str, role: str, kind: str = "public_channel", export: str = "full"
) -> DemoAccount:
    chat_id = world.ids.telegram_channel()
    account = world.add(
        "telegram", f"channel{chat_id}", name, name, "", language, role, world.created_before(START, 1)
    )
    world.chats.append(Chat("telegram", str(chat_id), name, kind, account, export))
    return account


def _telegram_accounts(world: World) -> None:
    rng = world.rng
    for _key, name, _stem in OUTLETS:
        _telegram_channel(world, name, "en", "outlet")
    for _ in range(world.n(4, 3)):
        # Telegram exports name channels and users by display name: keep those unique.
        _h, display = _unique_handle(world, "telegram", lambda: (names.pseudonym(rng)[1],) * 2)
        _telegram_channel(world, display, rng.choice(LANGUAGES), "core")
    for i in range(world.n(18, 8)):
        stem = rng.choice(names.STEMS)
        _telegram_channel(world, f"{stem.title()} Relay {i + 1}", rng.choice(LANGUAGES), "forwarder")
    group_id = world.ids.telegram_channel()
    world.chats.append(Chat("telegram", str(group_id), "Meridian Circle", "public_supergroup"))
    for _ in range(world.n(35, 10)):
        language = rng.choice(LANGUAGES)
        _h, display = _unique_handle(
            world, "telegram", lambda lang=language: (names.person(rng, lang)[1],) * 2
        )
        world.add(
            "telegram",
            f"user{world.ids.telegram_user()}",
            display,
            display,
            "",
            language,
            "community",
            world.created_before(START),
        )
    for i in range(world.n(8, 4)):
        topic, _bio = BENIGN_TOPICS[i % len(BENIGN_TOPICS)]
        _telegram_channel(
            world,
            f"{rng.choice(('Valley', 'Harbour', 'Metro'))} {topic.title()} {i + 1}",
            rng.choice(LANGUAGES),
            "benign",
        )


def _mastodon_accounts(world: World) -> None:
    rng = world.rng
    for role, base, floor in (
        ("core", 3, 2),
        ("amplifier", 10, 9),
        ("benign", 18, 6),
        ("journalist", 3, 2),
        ("researcher", 2, 1),
    ):
        for _ in range(world.n(base, floor)):
            language = rng.choice(LANGUAGES) if role != "journalist" else "en"
            if role == "core":
                handle, display = _unique_handle(world, "mastodon", lambda: names.pseudonym(rng))
            else:
                handle, display = _unique_handle(
                    world, "mastodon", lambda lang=language: names.person(rng, lang)
                )
            handle = handle.replace(".", "_")
            created = world.created_before(START, 2)
            bio = {
                "core": "Bulletins of the circle.",
                "amplifier": "Boosting the circle.",
                "benign": "Notes on weather, sport and the town.",
                "journalist": "Reporter: extremism online.",
                "researcher": "Researcher: online harms.",
            }[role]
            world.add(
                "mastodon",
                world.ids.mastodon(created),
                handle,
                display,
                bio,
                language,
                role,
                created,
                host=PRESS_HOST if role in ("journalist", "researcher") else MASTODON_HOST,
            )


def _rocketchat_accounts(world: World) -> None:
    """The new server: the outlets' and core channels' operators, and the community that moves."""
    rng = world.rng
    sources = world.of("telegram", "outlet", "core")
    for channel in sources[: world.n(4, 3) + 1]:
        username = channel.display_name.lower().replace(" ", ".")
        account = world.add(
            "rocketchat",
            world.ids.meteor(),
            username,
            channel.display_name,
            channel.bio,
            channel.language,
            "core" if channel.role == "core" else "outlet",
            MIGRATION_START - timedelta(days=rng.uniform(1, 3)),
            host=CHAT_HOST,
        )
        world.cross_platform.append((channel, account))
    movers = world.of("telegram", "community")
    for member in movers[: world.n(22, 8)]:
        username = member.display_name.lower().replace(" ", "_")
        account = world.add(
            "rocketchat",
            world.ids.meteor(),
            username,
            member.display_name,
            "",
            member.language,
            "community",
            MIGRATION_START + timedelta(days=rng.uniform(0, 20)),
            host=CHAT_HOST,
        )
        if len(world.cross_platform) < 10:
            world.cross_platform.append((member, account))
    for room in ("general", "bulletins", "archive"):
        world.chats.append(Chat("rocketchat", world.ids.meteor(), room, "c"))


def _zeronet_accounts(world: World) -> None:
    rng = world.rng
    world.zeronet_site = bitcoin_legacy(random.Random(f"zeronet-{world.seed}"))
    # The blog's posts are signed by the site's own address: that is the owner's identity.
    world.add(
        "zeronet",
        world.zeronet_site,
        "velmorherald",
        "Velmor Herald mirror",
        "Bulletins, mirrored.",
        "en",
        "core",
        START + timedelta(days=10),
    )
    for _ in range(world.n(6, 3)):
        language = rng.choice(LANGUAGES)
        handle, display = _unique_handle(
            world, "zeronet", lambda lang=language: (names.person(rng, lang)[0].replace("_", ""), "")
        )
        display = handle.title()
        world.add(
            "zeronet",
            f"{handle}@zeroid.bit",
            handle,
            display,
            "",
            language,
            "community",
            START + timedelta(days=rng.uniform(10, 30)),
        )


def _recreate(world: World) -> None:
    """Suspend some accounts mid-timeline; each comes back soon under a varied handle."""
    rng = world.rng
    plan = (
        ("x", ("core",), world.n(5, 3)),
        ("x", ("amplifier",), world.n(4, 2)),
        ("telegram", ("forwarder", "core"), world.n(3, 2)),
        ("mastodon", ("core", "amplifier"), 1),
    )
    for platform, roles, count in plan:
        candidates = [a for a in world.of(platform, *roles) if a.extra.get("successor") is None]
        for _ in range(min(count, len(candidates))):
            kind = VARIATIONS[len(world.recreated) % len(VARIATIONS)]
            pool = candidates
            if kind == "transliteration":
                pool = [a for a in candidates if any(k in a.handle for k in names.TRANSLITERATIONS)]
                if platform == "telegram" or not pool:
                    kind, pool = "counter", candidates
            old = rng.choice(pool)
            candidates.remove(old)
            handle, display = names.variation(rng, old.handle, old.display_name, kind)
            old.status, old.suspended_at = "suspended", START + timedelta(days=rng.uniform(16, 38))
            created = old.suspended_at + timedelta(hours=rng.uniform(1, 36))
            new = _successor(world, old, handle, display, created)
            new.extra["variation"] = kind
            old.extra["successor"] = new
            world.recreated.append((new, old))


def _successor(world: World, old: DemoAccount, handle: str, display: str, created: datetime) -> DemoAccount:
    if old.platform == "x":
        account_id = world.ids.x_snowflake(created)
    elif old.platform == "mastodon":
        account_id = world.ids.mastodon(created)
    else:
        account_id = ""
    if old.platform == "telegram":
        if display == old.display_name:  # channels have no handle: the name is what varies
            display = f"{display} 2" if not display[-1:].isdigit() else f"{display} backup"
        chat_old = next(c for c in world.chats if c.owner is old)
        name = f"ChatExport_{old.suspended_at:%Y-%m-%d}" if old.suspended_at else "full"
        taken = {c.export for c in world.chats}
        base, n = name, 1
        while name in taken:
            n += 1
            name = f"{base} ({n})"
        chat_old.export = name
        new = _telegram_channel(world, display, old.language, old.role)
        new.created_at = created
    else:
        new = world.add(
            old.platform,
            account_id,
            handle,
            display,
            old.bio,
            old.language,
            old.role,
            created,
            **{k: v for k, v in old.extra.items() if k == "host"},
        )
    new.avatar = old.avatar
    new.extra["predecessor"] = old
    return new


def _friends(world: World) -> None:
    """Who each organisation account habitually mentions; a successor keeps the habit."""
    rng = random.Random(f"openiru-demo-friends-{world.seed}")
    for platform in ("x", "mastodon"):
        leaders = [a for a in world.of(platform, "outlet", "core") if "predecessor" not in a.extra]
        for account in world.of(platform, "outlet", "core", "amplifier"):
            if "predecessor" in account.extra:
                continue
            others = [a for a in leaders if a is not account]
            account.extra["friends"] = rng.sample(others, min(len(others), rng.randint(2, 3)))
        for new, old in world.recreated:
            if new.platform == platform:
                new.extra["friends"] = list(old.extra.get("friends", []))


def current(account: DemoAccount, when: datetime) -> DemoAccount | None:
    """The account, or its successor once it was suspended, as active at ``when``."""
    while account is not None and not account.active_at(when):
        account = account.extra.get("successor")  # type: ignore[assignment]
    return account


def _wallets(world: World) -> None:
    rng = random.Random(f"openiru-demo-wallets-{world.seed}")
    owners = [a for a in world.accounts if a.role in ("outlet", "core") and "predecessor" not in a.extra]
    for address, currency in make_wallets(rng, world.n(6, 3)):
        picked = rng.sample(owners, min(len(owners), rng.randint(2, 4)))
        # A re-created account asks for donations to the same wallet as before.
        picked += [a.extra["successor"] for a in picked if "successor" in a.extra]
        world.wallets.append((address, currency, picked))
