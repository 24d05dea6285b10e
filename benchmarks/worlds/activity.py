"""The organisation's activity: releases, cross-posting, member commentary and amplification.

A release is first posted by an outlet or a ringleader (mostly on the home platform, with a link to
the organisation's own domain, its hashtags and, on Telegram, a photo the hash list knows), then
re-posted by the same actors on their other platforms tens of minutes later, and passed on by
amplifiers (retweets, reblogs, Telegram forwards, Rocket.Chat quotes) over the following hours.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .cast import DAY, Cast
from .model import Account, Media, Post, World, make_image

HOUR = 3600.0


@dataclass
class Release:
    n: int
    text: str
    lang: str
    link: str
    media: list[Media]
    posts: list[Post] = field(default_factory=list)


class Activity:
    def __init__(self, world: World, cast: Cast) -> None:
        self.w, self.cast, self.rng, self.org, self.p = world, cast, cast.rng, cast.org, cast.p
        self.releases: list[Release] = []

    def role(self, *roles: str, platform: str | None = None) -> list[Account]:
        return [a for r in roles for a in self.cast.by_role.get(r, []) if platform in (None, a.platform)]

    def when(self, lo: float | None = None, hi: float | None = None) -> float:
        """A time in [lo, hi], rather in the day than at night."""
        lo = self.p.start if lo is None else lo
        hi = self.cast.end if hi is None else hi
        t = self.rng.uniform(lo, hi)
        hour = (t % DAY) / HOUR
        if 1 <= hour < 7 and self.rng.random() < 0.7:
            t = min(hi, t + 7 * HOUR)
        return t

    def by(self, account: Account, t: float, **kw: object) -> Post | None:
        """A post, if the account exists at t (removed accounts post nothing after removal)."""
        if not (account.active_from <= t <= account.active_to):
            return None
        return self.w.post(Post(account, t, **kw))  # type: ignore[arg-type]

    def alive(self, accounts: list[Account], t: float) -> list[Account]:
        return [a for a in accounts if a.active_from <= t <= a.active_to]

    # --- releases ------------------------------------------------------------------------------
    def releases_(self) -> None:
        p, rng = self.p, self.rng
        originators = self.role("outlet", "ringleader")
        home_first = [a for a in originators if a.platform == p.home] or originators
        for n in range(1, p.statements + 1):
            arabic = rng.random() < p.arabic_share
            text, lang = self.org.statement(n, arabic)
            media = [make_image(rng, f"release_{n}")] if rng.random() < 0.6 else []
            rel = Release(n, text, lang, self.org.link(n), media)
            self.releases.append(rel)
            t0 = self.when(p.start + 0.02 * p.days * DAY, self.cast.end - 0.5 * DAY)
            first = rng.choice(self.alive(home_first, t0) or self.alive(originators, t0) or originators)
            self._release_post(rel, first, t0)
            # the same release on the actors' other accounts, 10 minutes to 4 hours later
            others = [
                a for a in originators if a is not first and (a.actor == first.actor or a.role == "outlet")
            ]
            for other in rng.sample(others, min(len(others), rng.randint(1, 3))):
                self._release_post(rel, other, t0 + rng.uniform(600, 4 * HOUR))

    def _release_post(self, rel: Release, acc: Account, t: float) -> None:
        tags = self.rng.sample(self.org.hashtags, 2)
        text = f"{rel.text} {rel.link} " + " ".join("#" + h for h in tags)
        post = self.by(
            acc,
            t,
            text=text,
            hashtags=tags,
            urls=[rel.link],
            lang=rel.lang,
            media=list(rel.media) if acc.platform == "telegram" else [],
        )
        if post is not None:
            rel.posts.append(post)

    def amplification(self) -> None:
        """Amplifiers (and some propagandists) pass releases on, on the release's platform."""
        rng = self.rng
        amps = self.role("amplifier")
        helpers = self.role("propagandist", "ringleader")
        for rel in self.releases:
            for src in rel.posts:
                pool = [a for a in amps + helpers if a.platform == src.platform and a is not src.account]
                share = rng.uniform(0.1, 0.35)
                for acc in pool:
                    if rng.random() > (share if acc.role == "amplifier" else 0.2):
                        continue
                    t = src.time + math.exp(rng.gauss(math.log(1.5 * HOUR), 1.2)) + 240
                    self.pass_on(acc, src, t)

    def pass_on(self, acc: Account, src: Post, t: float, comment: str | None = None) -> Post | None:
        """A repost in the platform's own way; a comment makes it a quote (X) or a reply."""
        while src.repost_of is not None or src.forward_of is not None:  # passing on a repost
            src = src.repost_of or src.forward_of  # passes on the original
            assert src is not None
        if acc.platform in ("x", "mastodon") and comment is None:
            return self.by(acc, t, repost_of=src)
        if acc.platform == "telegram":  # a forward carries the original; a comment follows it
            post = self.by(
                acc,
                t,
                forward_of=src,
                text=src.text,
                hashtags=list(src.hashtags),
                urls=list(src.urls),
                media=list(src.media),
            )
            if comment and post is not None:
                self.by(acc, t + self.rng.uniform(5, 90), text=comment)
            return post
        if acc.platform == "x":
            return self.by(acc, t, quote_of=src, text=comment or "", hashtags=list(src.hashtags[:1]))
        if acc.platform == "rocketchat":
            return self.by(
                acc, t, quote_of=src, text=comment or self.rng.choice(["see this", "new", "+1", ""])
            )
        return self.by(acc, t, reply_to=src, text=comment or "", mentions=[src.account])

    # --- members' own posts --------------------------------------------------------------------
    def members(self) -> None:
        """Propagandists and ringleaders write their own posts; replies in threads; mentions."""
        rng = self.rng
        key = self.role("propagandist", "ringleader")
        for acc in key:
            if acc.role == "propagandist":
                n = rng.randint(6, 14)
            else:  # ringleaders write most on their home platform
                n = rng.randint(10, 25) if acc.platform == self.p.home else rng.randint(3, 8)
            if self.p.quick:
                n = max(3, n // 2)
            for _ in range(n):
                t = self.when(acc.active_from, acc.active_to)
                tags = [rng.choice(self.org.hashtags)]
                link = (
                    [f"https://{self.org.domain}/notes/{rng.randrange(10**5)}"] if rng.random() < 0.4 else []
                )
                others = [a for a in self.alive(key, t) if a.platform == acc.platform and a is not acc]
                mentions = [rng.choice(others)] if others and rng.random() < 0.3 else []
                post = self.by(
                    acc,
                    t,
                    text=self.org.comment() + " " + " ".join(link) + f" #{tags[0]}",
                    hashtags=tags,
                    urls=link,
                    mentions=mentions,
                )
                if post is None:
                    continue
                fans = [a for a in self.role("amplifier") if a.platform == acc.platform]
                for fan in rng.sample(fans, min(len(fans), rng.randint(0, 4))):
                    self.pass_on(fan, post, t + rng.uniform(300, 10 * HOUR))
                replies = [a for a in self.alive(key, t) if a.platform == acc.platform and a is not acc]
                if replies and rng.random() < 0.3:
                    self.by(
                        rng.choice(replies),
                        t + rng.uniform(300, 3 * HOUR),
                        reply_to=post,
                        text="Agreed, placeholder reply",
                        mentions=[acc],
                    )
