"""Shared machinery of the activity generators: time, text and the organisation's content.

:class:`Generator` holds the world, the seeded RNG, the image factory, the
known items and every post made so far.  The per-platform generators
(``activity_*.py``) and the coordination bursts call its helpers: pick a time
in an account's active life (with the platform's weekly trend and a day/night
rhythm), compose neutral sentences, and build the organisation's posts with
hashtags, terms, links to the new server and file host (a share growing over
the weeks), donation addresses, known texts and known images.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta

from .images import ImageFactory, KnownImage
from .known_texts import KnownText, make_known_texts, render_variant, variants_for
from .records import DemoAccount, DemoPost, PlantedMedia
from .texts import GENERAL
from .texts_org import DONATION, INVITE, LEXICON, ORGANISATION, OUTLETS
from .world import CHAT_HOST, END, FILE_HOST, MIGRATION_START, START, World, current

HASHTAGS = {lang: [t for t, tl, kind in LEXICON if kind == "hashtag" and tl == lang] for lang in GENERAL}
TERMS = {lang: [t for t, tl, kind in LEXICON if kind == "term" and tl == lang] for lang in GENERAL}
IMAGE_VARIANTS = ("original", "resized", "jpeg", "crop", "watermark")


#: The new file host appears in the organisation's links from this day on.
FILE_HOST_START = START + timedelta(days=10)


def week_of(when: datetime) -> int:
    return int((when - START).total_seconds() // (7 * 86400))


def migration_share(when: datetime) -> float:
    """0 before the move starts, growing to 1 at the end of the timeline."""
    if when < MIGRATION_START:
        return 0.0
    return min(1.0, (when - MIGRATION_START) / (END - MIGRATION_START))


class Generator:
    def __init__(self, world: World) -> None:
        self.world = world
        self.rng = random.Random(f"openiru-demo-activity-{world.seed}")
        self.images = ImageFactory(random.Random(f"openiru-demo-images-{world.seed}"))
        self.posts: list[DemoPost] = []
        self.known_images: list[KnownImage] = []
        for i in range(world.n(24, 10)):
            outlet = OUTLETS[i % len(OUTLETS)][1]
            self.known_images.append(self.images.make_known(f"img-{i + 1:03d}", outlet))
        self.known_texts: list[KnownText] = make_known_texts(
            random.Random(f"openiru-demo-texts-{world.seed}"), max(2, world.n(4, 2)), ORGANISATION
        )
        self._image_turn = 0
        self._text_turn = 0
        self.lookalikes: list[tuple[DemoPost, str, str]] = []  # (post, kind, of)
        self.t_co_links: dict[str, str] = {}
        self.expanded: dict[str, str] = {}

    # -- time ---------------------------------------------------------------------------
    def when(
        self,
        account: DemoAccount,
        trend: Callable[[datetime], float] | None = None,
        after: datetime | None = None,
    ) -> datetime | None:
        """A time in ``account``'s active life, weighted by ``trend`` and the hour of day."""
        lo = max(START, account.created_at, after or START)
        hi = min(END, account.suspended_at or END)
        if hi <= lo:
            return None
        span = (hi - lo).total_seconds()
        for _ in range(60):
            t = lo + timedelta(seconds=self.rng.uniform(0, span))
            weight = (trend(t) if trend else 1.0) * (0.35 if 1 <= t.hour < 7 else 1.0)
            if self.rng.random() < weight:
                return t.replace(microsecond=0)
        return None

    def delay(self, after: datetime, median_minutes: float = 120, minimum: float = 4) -> datetime:
        """A natural reaction delay: log-normal, never under ``minimum`` minutes."""
        minutes = max(minimum, self.rng.lognormvariate(math.log(median_minutes), 1.0))
        return (after + timedelta(minutes=minutes)).replace(microsecond=0)

    # -- text ---------------------------------------------------------------------------
    def sentences(self, language: str, count: int = 1) -> str:
        return " ".join(self.rng.sample(GENERAL[language], count))

    def org_markers(self, language: str) -> list[str]:
        tags = self.rng.sample(HASHTAGS[language], 1)
        if self.rng.random() < 0.5:
            tags.append(self.rng.choice(HASHTAGS["en"]))
        return list(dict.fromkeys(tags))

    def org_links(self, when: datetime, account: DemoAccount) -> list[str]:
        """Links in the organisation's content: known platforms early on, then a growing share to
        the new file host (from day 10) and to the group's own chat server (from the migration)."""
        share = migration_share(when)
        files = max(0.0, min(1.0, (when - FILE_HOST_START) / (END - FILE_HOST_START)))
        links = []
        if files and self.rng.random() < 0.05 + 0.5 * files:
            links.append(f"https://{FILE_HOST}/f/{self.world.ids.token(12)}")
        if share and self.rng.random() < 0.5 * share:
            room = self.rng.choice(("bulletins", "general"))
            links.append(f"https://{CHAT_HOST}/channel/{room}")
        elif self.rng.random() < 0.25 * (1 - share):
            links.append(
                self.rng.choice(
                    (
                        f"https://t.me/{account.handle.lower().replace(' ', '_')}",
                        f"https://www.youtube.com/watch?v={self.world.ids.token(11)}",
                    )
                )
            )
        return links

    def wallet_line(self, account: DemoAccount, language: str) -> str | None:
        owned = [address for address, _currency, owners in self.world.wallets if account in owners]
        if owned and self.rng.random() < 0.12:
            return f"{DONATION[language]} {self.rng.choice(owned)}"
        return None

    # -- the organisation's content -----------------------------------------------------
    def org_post(
        self,
        platform: str,
        post_id: str,
        account: DemoAccount,
        when: datetime,
        *,
        long: bool = False,
        known_text: bool = False,
        language: str | None = None,
    ) -> DemoPost:
        """A post of the organisation: neutral sentences plus its markers, links, wallets."""
        language = language or (
            account.language if self.rng.random() < 0.6 else self.rng.choice(list(GENERAL))
        )
        post = DemoPost(platform, post_id, account, when, "", language, flagged=True)
        parts: list[str] = []
        if known_text:
            known = self.next_known_text(language)
            variant = variants_for(known.language)[self._text_turn % 4]
            post.language = known.language
            parts.append(render_variant(self.rng, known, variant))
            post.known_text = (known.item, variant)
            language = known.language
        else:
            parts.append(self.sentences(language, 2 if long else 1))
            if self.rng.random() < 0.3:
                parts.append(self.rng.choice(TERMS[language]).capitalize() + ".")
        post.hashtags = [t.lstrip("#") for t in self.org_markers(language)]
        post.urls = self.org_links(when, account)
        if post.urls and CHAT_HOST in post.urls[-1]:
            parts.append(INVITE[language])
        friend = None if known_text else self.friend(account, when)
        if friend is not None:
            parts.append("@" + friend.handle)
            post.mentions.append(friend)
        parts.extend(post.urls)
        wallet = None if known_text else self.wallet_line(account, language)
        if wallet:
            parts.append(wallet)
        parts.append(" ".join("#" + t for t in post.hashtags))
        post.text = " ".join(parts)
        return post

    def friend(self, account: DemoAccount, when: datetime) -> DemoAccount | None:
        """Sometimes one of the accounts ``account`` habitually mentions (its successor if suspended)."""
        friends = account.extra.get("friends")
        if not friends or self.rng.random() >= 0.3:
            return None
        return current(self.rng.choice(friends), when)

    def next_known_text(self, language: str) -> KnownText:
        self._text_turn += 1
        candidates = [k for k in self.known_texts if k.language == language] or self.known_texts
        return candidates[self._text_turn % len(candidates)]

    def next_known_image(self) -> tuple[KnownImage, str]:
        """The next known item and variant, cycling so every item gets every variant."""
        turn = self._image_turn
        self._image_turn += 1
        item = self.known_images[turn % len(self.known_images)]
        variant = IMAGE_VARIANTS[(turn // len(self.known_images) + turn) % len(IMAGE_VARIANTS)]
        return item, variant

    def planted_image(self, file: str, mark: str) -> PlantedMedia:
        item, variant = self.next_known_image()
        data = self.images.variant(item, variant, mark)
        return PlantedMedia(file, data, item.item, variant, item.width, item.height)

    def benign_image(self, file: str, label: str) -> PlantedMedia:
        return PlantedMedia(file, self.images.benign(label))

    def t_co(self, url: str) -> str:
        """The t.co link X gives ``url`` (one per URL, remembered for ``expanded_url``)."""
        if url not in self.t_co_links:
            short = self.world.ids.t_co()
            self.t_co_links[url] = short
            self.expanded[short] = url
        return self.t_co_links[url]

    def maybe_remote_picture(self, post: DemoPost, chance: float) -> None:
        """Attach, with ``chance``, a picture the export only refers to by URL or id."""
        if self.rng.random() < chance:
            width, height = self.rng.choice(((1200, 675), (1080, 1080), (800, 450)))
            post.remote_media.append((self.world.ids.token(15), width, height))

    def add(self, post: DemoPost) -> DemoPost:
        self.posts.append(post)
        return post
