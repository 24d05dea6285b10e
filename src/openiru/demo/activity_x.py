"""Activity on X: outlets and core accounts originate, amplifiers retweet, the
community replies, benign accounts talk about the weather and sport, and
journalists and researchers quote and mention the core accounts a lot while
writing critical text and originating none of the organisation's content.
"""

from __future__ import annotations

from datetime import datetime

from .entities import spans
from .generator import Generator
from .known_texts import lookalike
from .records import DemoAccount, DemoPost
from .texts import CHAT, GENERAL
from .texts_org import CRITICAL, ORGANISATION, OUTLETS, TERM_LOOKALIKES

RT_LIMIT = 140
#: Where benign accounts and journalists link: sites outside the platform registry that the
#: organisation's content never links to (they must not be raised as emerging platforms).
BENIGN_LINKS = (
    "https://lindqvale-courier.example/local/{token}",
    "https://valleyforecast.example/today",
    "https://www.youtube.com/watch?v={token}",
    "https://lindqvale-courier.example/sport/{token}",
)
NEWSROOM = "northgate-tribune.example"


def shorten(gen: Generator, text: str) -> str:
    """X rewrites every URL in a tweet's text as a t.co link (``entities.urls`` keeps the original)."""
    for span in spans(text):
        if span.kind == "url" and not span.value.startswith("https://t.co/"):
            text = text.replace(span.value, gen.t_co(span.value), 1)
    return text


def truncate(text: str, limit: int) -> str:
    """Cut at ``limit`` characters with an ellipsis, never inside a link."""
    if len(text) <= limit:
        return text
    cut = limit
    for span in spans(text):
        if span.kind == "url" and span.start < limit < span.end:
            cut = span.start
    return text[:cut].rstrip() + "…"


def x_post(
    gen: Generator, account: DemoAccount, when: datetime, text: str, language: str, **fields: object
) -> DemoPost:
    post = DemoPost("x", gen.world.ids.x_snowflake(when), account, when, shorten(gen, text), language)
    for name, value in fields.items():
        setattr(post, name, value)
    return gen.add(post)


def retweet(gen: Generator, account: DemoAccount, original: DemoPost, when: datetime) -> DemoPost:
    """A retweet as the API gives it: ``RT @user: `` and the original text, truncated."""
    body = truncate(original.text, RT_LIMIT)
    return x_post(
        gen,
        account,
        when,
        f"RT @{original.account.handle}: {body}",
        original.language,
        repost_of=original,
        mentions=[original.account],
        flagged=original.flagged,
    )


def quote(
    gen: Generator, account: DemoAccount, original: DemoPost, when: datetime, text: str, language: str
) -> DemoPost:
    url = f"https://twitter.com/{original.account.handle}/status/{original.post_id}"
    return x_post(gen, account, when, f"{text} {url}", language, quote_of=original, urls=[url])


def reply(
    gen: Generator, account: DemoAccount, original: DemoPost, when: datetime, text: str, language: str
) -> DemoPost:
    return x_post(
        gen,
        account,
        when,
        f"@{original.account.handle} {text}",
        language,
        reply_to=original,
        mentions=[original.account],
    )


def generate_x(gen: Generator) -> list[DemoPost]:
    """Every X post except the coordination bursts; returns the organisation's originals."""
    world, rng = gen.world, gen.rng
    originals: list[DemoPost] = []
    for account in world.of("x", "outlet", "core"):
        for _ in range(rng.randint(45, 70) if account.role == "outlet" else rng.randint(30, 50)):
            when = gen.when(account, lambda t: 1.0 - 0.3 * (t.month > 8))
            if when is None:
                continue
            post = gen.org_post("x", gen.world.ids.x_snowflake(when), account, when)
            post.text = truncate(shorten(gen, post.text), 250)
            gen.maybe_remote_picture(post, 0.25)
            originals.append(gen.add(post))
    originals.sort(key=lambda p: p.time)

    def pick_original(account: DemoAccount, after_min: float = 4) -> tuple[DemoPost, datetime] | None:
        for _ in range(10):
            original = rng.choice(originals)
            when = gen.delay(original.time, minimum=after_min)
            if account.active_at(when):
                return original, when
        return None

    for account in world.of("x", "amplifier"):
        for _ in range(rng.randint(18, 32)):
            picked = pick_original(account)
            if picked:
                retweet(gen, account, *picked)
        for _ in range(rng.randint(1, 4)):
            when = gen.when(account)
            if when:
                tags = [t.lstrip("#") for t in gen.org_markers(account.language)]
                friend = gen.friend(account, when)
                text = gen.sentences(account.language) + (f" @{friend.handle}" if friend else "")
                x_post(
                    gen,
                    account,
                    when,
                    text + " " + " ".join("#" + t for t in tags),
                    account.language,
                    hashtags=tags,
                    mentions=[friend] if friend else [],
                )
    core = world.of("x", "outlet", "core")
    for account in world.of("x", "community"):
        for _ in range(rng.randint(8, 16)):
            picked = pick_original(account)
            if not picked:
                continue
            original, when = picked
            roll = rng.random()
            if roll < 0.45:
                reply(gen, account, original, when, rng.choice(CHAT[account.language]), account.language)
            elif roll < 0.75:
                retweet(gen, account, original, when)
            else:
                target = rng.choice(core)
                if target.active_at(when):
                    x_post(
                        gen,
                        account,
                        when,
                        f"{rng.choice(CHAT[account.language])} @{target.handle}",
                        account.language,
                        mentions=[target],
                    )
    _benign(gen)
    _watchers(gen, originals, core)
    return originals


def _benign(gen: Generator) -> None:
    rng = gen.rng
    benign = gen.world.of("x", "benign")
    own: list[DemoPost] = []
    for account in benign:
        for _ in range(rng.randint(15, 35)):
            when = gen.when(account)
            if when is None:
                continue
            language = account.language if rng.random() < 0.85 else rng.choice(list(GENERAL))
            roll = rng.random()
            if own and roll < 0.12:
                original = rng.choice(own)
                at = gen.delay(original.time)
                if account.active_at(at) and original.account is not account:
                    retweet(gen, account, original, at)
                    continue
            if own and roll < 0.22:
                original = rng.choice(own)
                at = gen.delay(original.time, 60)
                if account.active_at(at) and original.account is not account:
                    reply(gen, account, original, at, gen.sentences(original.language), original.language)
                    continue
            text = gen.sentences(language, rng.choice((1, 1, 2)))
            if rng.random() < 0.2:  # local news sites and video platforms: links that flag nothing
                text += " " + rng.choice(BENIGN_LINKS).format(token=gen.world.ids.token(8))
            own.append(x_post(gen, account, when, text, language))
            gen.maybe_remote_picture(own[-1], 0.15)
    # Benign look-alikes: a compound word containing a lexicon term; a text sharing one
    # sentence with a known bulletin.  Detection must not flag either.
    for language, (term, sentence) in TERM_LOOKALIKES.items():
        account = rng.choice(benign)
        when = gen.when(account)
        if when:
            gen.lookalikes.append((x_post(gen, account, when, sentence, language), "term", term))
    for known in gen.known_texts[:: max(1, len(gen.known_texts) // 4)]:
        if known.language == "ar":
            continue
        account = rng.choice(benign)
        when = gen.when(account)
        if when:
            text = lookalike(rng, known, GENERAL[known.language])
            gen.lookalikes.append(
                (x_post(gen, account, when, text[:280], known.language), "text", known.item)
            )


def _watchers(gen: Generator, originals: list[DemoPost], core: list[DemoAccount]) -> None:
    """Journalists and researchers: very active, quoting and mentioning, never originating."""
    rng = gen.rng
    watchers = gen.world.of("x", "journalist", "researcher")
    for account in watchers:
        language = account.language if account.language in CRITICAL else "en"
        for _ in range(rng.randint(50, 80)):
            outlet = rng.choice(OUTLETS)[1]
            text = rng.choice(CRITICAL[language]).format(org=ORGANISATION, outlet=outlet)
            roll = rng.random()
            if roll < 0.35:
                original = rng.choice(originals)
                quoted_at = gen.delay(original.time, 90, 10)
                if account.active_at(quoted_at):
                    quote(gen, account, original, quoted_at, text, language)
                    continue
            when = gen.when(account)
            if when is None:
                continue
            if roll < 0.75:
                targets = [
                    a for a in rng.sample(core, min(len(core), rng.randint(1, 3))) if a.active_at(when)
                ]
                mentions = " ".join("@" + a.handle for a in targets)
                if rng.random() < 0.25:
                    text += f" https://{NEWSROOM}/investigations/{gen.world.ids.token(8)}"
                x_post(gen, account, when, f"{text} {mentions}".strip(), language, mentions=targets)
            elif roll < 0.85:
                others = [
                    p
                    for p in gen.posts[-400:]
                    if p.account.role in ("journalist", "researcher")
                    and p.account is not account
                    and p.repost_of is None
                    and p.time < when
                ]
                if others:
                    retweet(gen, account, rng.choice(others), when)
            else:
                x_post(gen, account, when, gen.sentences(language), language)
