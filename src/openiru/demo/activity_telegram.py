"""Activity on Telegram: the outlets' and core channels' posts (with the known
images and bulletins), forwarding channels relaying them, the community's
supergroup, and benign channels.  The organisation's channels slow down after
the mid-timeline takedowns as the community moves to the Rocket.Chat server.

Message ids and photo file names are assigned in :func:`finalise_telegram`
once every message of a chat is known, in time order, as Telegram numbers them.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime, timedelta

from .generator import Generator, week_of
from .records import DemoAccount, DemoPost, PlantedMedia
from .texts import CHAT, GENERAL
from .world import START, Chat
from .write_telegram import export_folder


def _trend(t: datetime) -> float:
    return 1.0 if week_of(t) < 5 else 0.35


def tg_post(
    gen: Generator,
    chat: Chat,
    account: DemoAccount,
    when: datetime,
    text: str,
    language: str,
    **fields: object,
) -> DemoPost:
    post = DemoPost("telegram", "", account, when, text, language, chat=chat)
    for name, value in fields.items():
        setattr(post, name, value)
    return gen.add(post)


def forward(gen: Generator, chat: Chat, account: DemoAccount, original: DemoPost, when: datetime) -> DemoPost:
    """A forwarded copy: same text and the same photo bytes, ``forwarded_from`` the source."""
    media = [PlantedMedia("", m.data, m.item, m.variant) for m in original.media]
    return tg_post(
        gen,
        chat,
        account,
        when,
        original.text,
        original.language,
        forward_of=original,
        hashtags=list(original.hashtags),
        urls=list(original.urls),
        media=media,
        known_text=original.known_text,
        flagged=original.flagged,
    )


def generate_telegram(gen: Generator) -> list[DemoPost]:
    world, rng = gen.world, gen.rng
    channels = [c for c in world.chats if c.platform == "telegram" and c.owner is not None]
    originals: list[DemoPost] = []
    for chat in channels:
        owner = chat.owner
        assert owner is not None
        if owner.role not in ("outlet", "core"):
            continue
        for _ in range(rng.randint(60, 90) if owner.role == "outlet" else rng.randint(35, 60)):
            when = gen.when(owner, _trend)
            if when is None:
                continue
            post = gen.org_post("telegram", "", owner, when, long=True, known_text=rng.random() < 0.22)
            post.chat = chat
            if rng.random() < 0.45:
                post.media.append(gen.planted_image("", f"@{owner.display_name.replace(' ', '')}"))
            originals.append(gen.add(post))
    originals.sort(key=lambda p: p.time)
    for chat in channels:
        owner = chat.owner
        assert owner is not None
        if owner.role == "forwarder":
            for _ in range(rng.randint(25, 45)):
                original = rng.choice(originals)
                when = gen.delay(original.time, 180)
                if owner.active_at(when):
                    forward(gen, chat, owner, original, when)
            for _ in range(rng.randint(0, 4)):
                when = gen.when(owner)
                if when:
                    tg_post(gen, chat, owner, when, gen.sentences(owner.language), owner.language)
        elif owner.role == "benign":
            for _ in range(rng.randint(40, 70)):
                when = gen.when(owner)
                if when is None:
                    continue
                post = tg_post(
                    gen,
                    chat,
                    owner,
                    when,
                    gen.sentences(owner.language, rng.choice((1, 2, 3))),
                    owner.language,
                )
                if rng.random() < 0.3:
                    post.media.append(gen.benign_image("", owner.display_name))
    _supergroup(gen, originals)
    return originals


def _supergroup(gen: Generator, originals: list[DemoPost]) -> None:
    rng = gen.rng
    group = next(c for c in gen.world.chats if c.kind == "public_supergroup")
    members = gen.world.of("telegram", "community")
    said: list[DemoPost] = []
    for member in members:
        joined = (START + timedelta(hours=rng.uniform(0, 72))).replace(microsecond=0)
        tg_post(gen, group, member, joined, "", member.language, system="join_group_by_link")
        for _ in range(rng.randint(12, 26)):
            when = gen.when(member, _trend)
            if when is None:
                continue
            roll = rng.random()
            if roll < 0.2 and originals:
                original = rng.choice(originals)
                at = gen.delay(original.time, 240)
                if member.active_at(at):
                    forward(gen, group, member, original, at)
                    continue
            if roll < 0.45 and said:
                parent = rng.choice(said[-50:])
                at = gen.delay(parent.time, 20, 1)
                if member.active_at(at) and parent.account is not member:
                    tg_post(
                        gen,
                        group,
                        member,
                        at,
                        rng.choice(CHAT[member.language]),
                        member.language,
                        reply_to=parent,
                    )
                    continue
            if roll < 0.55 and len(members) > 1:
                other = rng.choice([m for m in members if m is not member])
                tg_post(
                    gen,
                    group,
                    member,
                    when,
                    f"{other.display_name}, {rng.choice(CHAT[member.language])}",
                    member.language,
                    mentions=[other],
                )
                continue
            language = member.language
            text = rng.choice(CHAT[language]) if rng.random() < 0.5 else rng.choice(GENERAL[language])
            said.append(tg_post(gen, group, member, when, text, language))
        said.sort(key=lambda p: p.time)


def finalise_telegram(gen: Generator) -> None:
    """Number messages per chat in time order; name photo files as Telegram Desktop does."""
    by_chat: dict[int, list[DemoPost]] = defaultdict(list)
    for post in gen.posts:
        if post.platform == "telegram":
            by_chat[id(post.chat)].append(post)
    photo_counter: dict[str, int] = defaultdict(int)
    for posts in by_chat.values():
        posts.sort(key=lambda p: (p.time, p.account.account_id, p.text))
        chat: Chat = posts[0].chat
        last = None
        for post in posts:
            if last is not None and post.time <= last:
                post.time = last + timedelta(seconds=1)
            last = post.time
            chat.next_message_id += gen.rng.choice((1, 1, 1, 2))  # gaps: deleted or service messages
            post.message_id = chat.next_message_id
            post.post_id = f"{chat.chat_id}/{post.message_id}"
            for i, media in enumerate(post.media):
                photo_counter[chat.export] += 1
                name = f"photo_{photo_counter[chat.export]}@{post.time:%d-%m-%Y_%H-%M-%S}.jpg"
                post.media[i] = dataclasses.replace(
                    media, file=f"telegram/{export_folder(chat)}/{chat_folder(gen, chat)}photos/{name}"
                )


def chat_folder(gen: Generator, chat: Chat) -> str:
    """The chat's media folder inside its export (full exports keep one folder per chat)."""
    if chat.export != "full":
        return ""
    full = [c for c in gen.world.chats if c.platform == "telegram" and c.export == "full"]
    return f"chats/chat_{full.index(chat) + 1:03d}/"
