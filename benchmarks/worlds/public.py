"""Hard negatives and the public: accounts that post a lot and write about the organisation.

News outlets post articles (own news domain) naming the organisation and its hashtags; journalists
quote and reply to its releases with critical framing; researchers and OSINT analysts write threads,
and OSINT analysts attach the release images (which the hash list matches); monitoring channels
forward releases to archive them; a celebrity posts a lot, is passed on by many, and mentions the
organisation once or twice.  The public chats, replies and passes on news and the celebrity, and
reacts to public events (a match, a storm) all at once: co-activity that chance and the news
explain, not coordination.
"""

from __future__ import annotations

from .activity import HOUR, Activity
from .model import Account, Post
from .text import benign_text, news_text, word


class Public:
    def __init__(self, act: Activity) -> None:
        self.a, self.rng, self.org, self.p = act, act.rng, act.org, act.p
        self.public_posts: list[Post] = []

    def _news_link(self, acc: Account) -> str:
        domain = (acc.handle or "press").lower().replace("_", "-").replace(".", "-")
        return f"https://{domain}.news.example/{self.rng.randrange(10**6)}"

    def _count(self, lo: int, hi: int) -> int:
        n = self.rng.randint(lo, hi)
        return max(3, n // 2) if self.p.quick else n

    def exempt(self) -> None:
        a, rng, org = self.a, self.rng, self.org
        releases = [p for rel in a.releases for p in rel.posts]
        for acc in a.role("news", "journalist", "researcher", "osint", "monitor"):
            for _ in range(self._count(20, 50)):
                t = a.when()
                tags = rng.sample(org.hashtags, rng.randint(0, 2))
                link = (
                    self._news_link(acc) if acc.role in ("news", "journalist") or rng.random() < 0.3 else None
                )
                text = news_text(rng, org, acc.display_name)
                if link:
                    text += " " + link
                text += "".join(f" #{h}" for h in tags)
                same = [p for p in releases if p.platform == acc.platform and p.time < t]
                roll = rng.random()
                if acc.role == "monitor" and same and roll < 0.7:
                    src = rng.choice(same)
                    post = a.pass_on(
                        acc,
                        src,
                        src.time + rng.uniform(600, 6 * HOUR),
                        comment=f"Archived for research: new {org.short} release #{tags[0] if tags else org.hashtags[0]}",
                    )
                elif same and roll < 0.4 and acc.role != "news":
                    src = rng.choice(same)
                    post = a.pass_on(acc, src, src.time + rng.uniform(1200, 8 * HOUR), comment=text)
                elif same and roll < 0.55 and acc.platform == "x":
                    post = a.by(acc, t, repost_of=rng.choice(same))  # a retweet to report on it
                else:
                    media = []
                    if acc.role == "osint" and rng.random() < 0.4:
                        media = [m for rel in rng.sample(a.releases, 1) for m in rel.media]
                    leaders = [x for x in a.role("ringleader", "outlet") if x.platform == acc.platform]
                    mentions = [rng.choice(leaders)] if leaders and rng.random() < 0.3 else []
                    post = a.by(
                        acc,
                        t,
                        text=text,
                        hashtags=tags,
                        urls=[link] if link else [],
                        media=media,
                        mentions=mentions,
                    )
                if post is not None and post.repost_of is None and post.forward_of is None:
                    self.public_posts.append(post)  # the public passes on what they wrote themselves

    def celebrity(self) -> None:
        a, rng = self.a, self.rng
        for acc in a.role("celebrity"):
            for k in range(self._count(30, 60)):
                t = a.when()
                text = (
                    benign_text(rng)
                    if k
                    else f"Whatever the {self.org.name} says, we stand together. Placeholder"
                )
                post = a.by(acc, t, text=text)
                if post is not None:
                    self.public_posts.append(post)
                    self.public_posts.append(post)  # twice as likely to be passed on

    def chatter(self) -> None:
        """The public: own posts, replies to each other, reposts of news and the celebrity."""
        a, rng = self.a, self.rng
        public = a.role("benign")
        for acc in public:
            for _ in range(self._count(2, 8)):
                t = a.when(acc.active_from, acc.active_to)
                roll = rng.random()
                popular = [p for p in self.public_posts if p.platform == acc.platform and p.time < t]
                if popular and roll < 0.35:
                    a.pass_on(acc, rng.choice(popular), t)
                    continue
                peers = [
                    p for p in self.public_posts if p.platform == acc.platform and p.account.role == "benign"
                ]
                if peers and roll < 0.5:
                    src = rng.choice(peers)
                    if src.account is not acc:
                        a.by(
                            acc,
                            max(t, src.time + 60),
                            reply_to=src,
                            text=benign_text(rng),
                            mentions=[src.account],
                        )
                        continue
                tag = [rng.choice(self.org.hashtags)] if rng.random() < 0.05 else []
                text = benign_text(rng) + "".join(f" #{h}" for h in tag)
                post = a.by(acc, t, text=text, hashtags=tag)
                if post is not None:
                    self.public_posts.append(post)

    def events(self) -> None:
        """Public events: a share of one platform's public posts about it within minutes, with the
        event's link and a recurring hashtag."""
        a, rng = self.a, self.rng
        platforms = [q for q in ("x", "mastodon", "telegram") if q in self.p.platforms]
        tag = rng.choice(["CupFinal", "StormWatch", "CityMarathon", "DerbyDay"])
        for _ in range(self.p.n_events if platforms else 0):
            platform = rng.choice(platforms)
            crowd = [x for x in a.role("benign") if x.platform == platform]
            t0 = a.when()
            link = f"https://{word(rng, 2)}-sport.example/live/{rng.randrange(10**6)}"
            for acc in rng.sample(crowd, int(len(crowd) * rng.uniform(0.15, 0.35))):
                text = f"{rng.choice(['What a finish!', 'Unbelievable', 'Stay safe all', 'Live now'])} {link} #{tag}"
                post = a.by(acc, t0 + rng.expovariate(1 / 400), text=text, urls=[link], hashtags=[tag])
                if post is not None:
                    self.public_posts.append(post)
