"""Activity on Mastodon, the organisation's new Rocket.Chat server and its ZeroNet mirror.

Mastodon: core accounts post, amplifiers boost, benign accounts chat,
journalists and researchers reply critically.  Rocket.Chat: from the start of
the migration the outlets' operators post bulletins in a ``bulletins`` room
and the community that moved from Telegram talks in ``general`` (threads,
mentions, join messages), growing week after week.  ZeroNet: a blog mirroring
the Velmor Herald's bulletins, with the community's comments.
"""

from __future__ import annotations

from datetime import datetime

from .generator import Generator, migration_share
from .records import DemoAccount, DemoPost
from .texts import CHAT, GENERAL
from .texts_org import CRITICAL, ORGANISATION, OUTLETS


def m_post(
    gen: Generator, account: DemoAccount, when: datetime, text: str, language: str, **fields: object
) -> DemoPost:
    post = DemoPost("mastodon", gen.world.ids.mastodon(when), account, when, text, language)
    for name, value in fields.items():
        setattr(post, name, value)
    return gen.add(post)


def generate_mastodon(gen: Generator) -> list[DemoPost]:
    world, rng = gen.world, gen.rng
    originals: list[DemoPost] = []
    for account in world.of("mastodon", "core"):
        for _ in range(rng.randint(25, 45)):
            when = gen.when(account)
            if when:
                post = gen.org_post(
                    "mastodon", world.ids.mastodon(when), account, when, known_text=rng.random() < 0.15
                )
                gen.maybe_remote_picture(post, 0.2)
                originals.append(gen.add(post))
    originals.sort(key=lambda p: p.time)
    for account in world.of("mastodon", "amplifier"):
        for _ in range(rng.randint(12, 24) if originals else 0):
            original = rng.choice(originals)
            when = gen.delay(original.time, 150)
            if account.active_at(when):
                m_post(
                    gen, account, when, "", original.language, repost_of=original, flagged=original.flagged
                )
    benign: list[DemoPost] = []
    for account in world.of("mastodon", "benign"):
        for _ in range(rng.randint(15, 30)):
            when = gen.when(account)
            if when is None:
                continue
            if benign and rng.random() < 0.2:
                parent = rng.choice(benign)
                at = gen.delay(parent.time, 60)
                if account.active_at(at) and parent.account is not account:
                    m_post(
                        gen,
                        account,
                        at,
                        f"@{parent.account.handle} {gen.sentences(parent.language)}",
                        parent.language,
                        reply_to=parent,
                        mentions=[parent.account],
                    )
                    continue
            language = account.language
            benign.append(m_post(gen, account, when, gen.sentences(language, rng.choice((1, 2))), language))
    core = world.of("mastodon", "core")
    for account in world.of("mastodon", "journalist", "researcher"):
        for _ in range(rng.randint(25, 40)):
            text = rng.choice(CRITICAL["en"]).format(org=ORGANISATION, outlet=rng.choice(OUTLETS)[1])
            if originals and rng.random() < 0.4:
                parent = rng.choice(originals)
                at = gen.delay(parent.time, 90, 10)
                if account.active_at(at):
                    m_post(
                        gen,
                        account,
                        at,
                        f"@{parent.account.handle} {text}",
                        "en",
                        reply_to=parent,
                        mentions=[parent.account],
                    )
                    continue
            when = gen.when(account)
            if when:
                targets = [a for a in rng.sample(core, min(2, len(core))) if a.active_at(when)]
                mention = " ".join("@" + a.handle for a in targets)
                m_post(gen, account, when, f"{text} {mention}".strip(), "en", mentions=targets)
    return originals


def rc_post(
    gen: Generator,
    room: object,
    account: DemoAccount,
    when: datetime,
    text: str,
    language: str,
    **fields: object,
) -> DemoPost:
    post = DemoPost("rocketchat", gen.world.ids.meteor(), account, when, text, language, chat=room)
    for name, value in fields.items():
        setattr(post, name, value)
    return gen.add(post)


def generate_rocketchat(gen: Generator) -> list[DemoPost]:
    world, rng = gen.world, gen.rng
    rooms = {c.name: c for c in world.chats if c.platform == "rocketchat"}

    def growing(t: datetime) -> float:
        return 0.1 + 0.9 * migration_share(t)

    bulletins: list[DemoPost] = []
    for account in world.of("rocketchat", "outlet", "core"):
        for _ in range(rng.randint(40, 70)):
            when = gen.when(account, growing)
            if when:
                post = gen.org_post(
                    "rocketchat", world.ids.meteor(), account, when, long=True, known_text=rng.random() < 0.25
                )
                post.chat = rooms["bulletins"]
                gen.maybe_remote_picture(post, 0.3)
                bulletins.append(gen.add(post))
    bulletins.sort(key=lambda p: p.time)
    members = world.of("rocketchat", "community")
    for member in members:
        rc_post(
            gen,
            rooms["general"],
            member,
            member.created_at.replace(microsecond=0),
            "",
            member.language,
            system="uj",
        )
        for _ in range(rng.randint(15, 30)):
            when = gen.when(member, growing)
            if when is None:
                continue
            roll = rng.random()
            if roll < 0.3 and bulletins:
                parent = rng.choice(bulletins)
                at = gen.delay(parent.time, 60, 2)
                if member.active_at(at):
                    rc_post(
                        gen,
                        rooms["bulletins"],
                        member,
                        at,
                        rng.choice(CHAT[member.language]),
                        member.language,
                        reply_to=parent,
                    )
                    continue
            if roll < 0.45 and len(members) > 1:
                other = rng.choice([m for m in members if m is not member])
                rc_post(
                    gen,
                    rooms["general"],
                    member,
                    when,
                    f"@{other.handle} {rng.choice(CHAT[member.language])}",
                    member.language,
                    mentions=[other],
                )
                continue
            text = rng.choice(CHAT[member.language]) if roll < 0.75 else rng.choice(GENERAL[member.language])
            rc_post(
                gen,
                rng.choice((rooms["general"], rooms["general"], rooms["archive"])),
                member,
                when,
                text,
                member.language,
            )
    return bulletins


def generate_zeronet(gen: Generator) -> list[DemoPost]:
    """The ZeroBlog mirror: the owner's bulletins and the community's comments."""
    world, rng = gen.world, gen.rng
    owner = world.of("zeronet", "core")[0]
    posts: list[DemoPost] = []
    for number in range(1, rng.randint(14, 24) + 1):
        when = gen.when(owner)
        if when is None:
            continue
        post = gen.org_post("zeronet", "", owner, when, long=True, known_text=rng.random() < 0.35)
        post.title = f"{OUTLETS[2][1]} #{number}"
        post.message_id = number
        posts.append(gen.add(post))
    posts.sort(key=lambda p: p.time)
    for i, post in enumerate(posts, start=1):
        post.message_id = i
    for member in world.of("zeronet", "community"):
        for _ in range(rng.randint(3, 9) if posts else 0):
            parent = rng.choice(posts)
            at = gen.delay(parent.time, 300, 5)
            if member.active_at(at):
                gen.add(
                    DemoPost(
                        "zeronet",
                        "",
                        member,
                        at,
                        rng.choice(GENERAL[member.language]),
                        member.language,
                        reply_to=parent,
                    )
                )
    return posts
