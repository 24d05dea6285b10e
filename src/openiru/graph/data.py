"""The arrays the graph core works on: accounts, posts, interaction edges and content occurrences.

Accounts are numbered ``0..n-1``; every other array refers to them by that index.  Times are Unix
seconds (``float64``; ``nan`` where unknown).  The services fill these from the store in bulk; tests
and benchmarks build them directly.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import numpy as np


class EdgeCode(enum.IntEnum):
    """Interaction kinds as small integers (same names as :class:`openiru.model.EdgeKind`)."""

    MENTION = 0
    REPLY = 1
    REPOST = 2
    QUOTE = 3
    FORWARD = 4


EDGE_CODES = {c.name.lower(): c for c in EdgeCode}
#: Interactions that pass content on (endorsement), versus commentary (quote, mention, reply).
ENDORSING = (EdgeCode.REPOST, EdgeCode.FORWARD)
COMMENTING = (EdgeCode.MENTION, EdgeCode.REPLY, EdgeCode.QUOTE)


class PostCode(enum.IntEnum):
    """What a post is: its own content, or a pass-on of someone else's."""

    ORIGINAL = 0
    REPOST = 1
    FORWARD = 2
    QUOTE = 3
    REPLY = 4


class ContentKind(enum.IntEnum):
    """Kinds of shared content items; each maps to one coordination kind."""

    MEDIA = 0  # same media hash            -> co-post
    TEXT_EXACT = 1  # same normalised text       (originality only: it is also a near-duplicate)
    TEXT_NEAR = 2  # near-duplicate text        -> co-similar-text
    URL = 3  # same normalised URL        -> co-link
    HASHTAGS = 4  # same hashtag set           -> co-hashtag
    REPOSTED = 5  # repost/forward of one post -> co-repost


#: Coordination kind of each content kind.  Identical text is a special case of near-duplicate text,
#: so texts count as co-similar-text only (one group, not two of different kinds, per text campaign).
COORDINATION_KIND = {
    ContentKind.MEDIA: "co-post",
    ContentKind.TEXT_NEAR: "co-similar-text",
    ContentKind.URL: "co-link",
    ContentKind.HASHTAGS: "co-hashtag",
    ContentKind.REPOSTED: "co-repost",
}
#: Content kinds whose first poster is credited as the originator of later copies.
ORIGIN_KINDS = (ContentKind.MEDIA, ContentKind.TEXT_NEAR)  # near-duplicate clusters include exact copies


#: Account statuses that say the platform removed the account.
REMOVED_STATUSES = ("suspended", "deleted")


@dataclass
class Accounts:
    platform: list[str]
    account_id: list[str]
    handle: list[str | None]
    display_name: list[str | None]
    bio: list[str | None]
    status: list[str]
    status_changed_at: np.ndarray
    first_seen: np.ndarray
    last_seen: np.ndarray
    followers: np.ndarray
    avatar_pdq: list[str | None]
    created_at: np.ndarray | None = None  # when the platform says the account was created
    avatar_key: list[str | None] | None = (
        None  # the avatar file (content hash or media key): same file, same avatar
    )

    def __len__(self) -> int:
        return len(self.account_id)

    def removed(self) -> np.ndarray:
        """Per account, whether the platform removed it (status in :data:`REMOVED_STATUSES`)."""
        out: np.ndarray = np.isin(np.asarray(self.status, dtype=object), REMOVED_STATUSES)
        return out

    @classmethod
    def bare(cls, keys: list[tuple[str, str]]) -> Accounts:
        """Accounts known only by key (benchmarks, tests)."""
        n = len(keys)
        nan = np.full(n, np.nan)
        return cls(
            [k[0] for k in keys],
            [k[1] for k in keys],
            [None] * n,
            [None] * n,
            [None] * n,
            ["unknown"] * n,
            nan.copy(),
            nan.copy(),
            nan.copy(),
            np.zeros(n),
            [None] * n,
        )

    def index(self) -> dict[tuple[str, str], int]:
        return {(p, a): i for i, (p, a) in enumerate(zip(self.platform, self.account_id, strict=True))}


@dataclass
class Posts:
    account: np.ndarray  # int32 account index
    time: np.ndarray  # float64 seconds
    code: np.ndarray  # int8 PostCode
    flag: np.ndarray  # float32: strength of matched/confirmed detection, 0 if none
    exempt: np.ndarray  # bool: detection hit exempted (journalism, research...)
    platform: list[str] = field(default_factory=list)
    post_id: list[str] = field(default_factory=list)
    mentions: np.ndarray | None = None  # int16: accounts the post mentions
    framing: np.ndarray | None = None  # bool: own words framed as reporting (graph/stance.py)
    source: np.ndarray | None = None  # int32: author of the post a repost or forward passes on, -1 unknown

    def __len__(self) -> int:
        return len(self.account)

    def stance_weight(self) -> np.ndarray:
        """How much a post endorses what it carries: passing content on or posting it plainly is
        endorsement (1); posting it while addressing accounts (0.5), quoting or replying (0.25) is
        mostly commentary: what journalists and researchers do with the content they report on."""
        weight = np.where(np.isin(self.code, (PostCode.QUOTE, PostCode.REPLY)), 0.25, 1.0)
        if self.mentions is not None:
            weight = np.where((self.code == PostCode.ORIGINAL) & (self.mentions > 0), 0.5, weight)
        return weight


@dataclass
class Edges:
    src: np.ndarray  # int32 account index
    dst: np.ndarray  # int32 account index
    code: np.ndarray  # int8 EdgeCode
    time: np.ndarray  # float64 seconds

    def __len__(self) -> int:
        return len(self.src)


@dataclass
class Content:
    """Occurrences of shared content: post ``post[k]`` carries item ``item[k]`` of kind ``kind[k]``."""

    post: np.ndarray  # int32 post index
    item: np.ndarray  # int32 item index into ``labels``
    kind: np.ndarray  # int8 ContentKind
    labels: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.post)

    @classmethod
    def empty(cls) -> Content:
        return cls(np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0, np.int8), [])


@dataclass
class GraphData:
    accounts: Accounts
    posts: Posts
    edges: Edges
    content: Content
    seeds: dict[int, str] = field(default_factory=dict)  # account index -> who marked it
    exempt_accounts: dict[int, str] = field(default_factory=dict)  # account index -> reason
    detection: bool = False  # whether detection results were available
    #: whether a lexicon was loaded (detection reads every text for the organisation's names): an
    #: account whose many posts matched nothing then shows it does not carry the content
    lexicon: bool = False
    timings: dict[str, float] = field(default_factory=dict)  # seconds per loading step

    @property
    def n(self) -> int:
        return len(self.accounts)
