"""Per-account features for ranking: activity, bursts, originality, reach, propaganda volume, stance.

All vectorised with numpy over the arrays of :mod:`.data`; nothing here loops over accounts in
Python, so a million accounts take seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .algorithms import unique_ints
from .data import COMMENTING, ENDORSING, ORIGIN_KINDS, Content, ContentKind, GraphData, PostCode

DAY = 86400.0


@dataclass
class Copies:
    """Copy relations: ``copier`` posted item ``item`` after ``origin`` first posted it."""

    copier: np.ndarray
    origin: np.ndarray
    item: np.ndarray
    time: np.ndarray
    weight: np.ndarray | None = None  # strength of each copy relation (1 when None)

    def weights(self) -> np.ndarray:
        return self.weight if self.weight is not None else np.ones(len(self.copier))


@dataclass
class Features:
    posts: np.ndarray  # posts per account
    originals: np.ndarray  # own-content posts
    reposts: np.ndarray  # reposts and quotes of others' posts
    forwards: np.ndarray  # forwards and copy-posts (re-uploads) of others' content
    copies_made: np.ndarray  # items re-posted after another account first posted them
    per_day: np.ndarray  # posts per active day
    burst: np.ndarray  # most posts on one day
    flagged: np.ndarray  # detection strength x stance weight over non-exempt matched/confirmed posts
    hit_stance: np.ndarray  # endorsing share of the account's detection hits (1 without hits)
    exempt_hits: np.ndarray  # exempted detection hits
    amplified_by: np.ndarray  # reposts/forwards/quotes received
    amplifiers: np.ndarray  # distinct accounts that reposted, forwarded or quoted it
    copied_by: np.ndarray  # copies of items this account posted first
    followers: np.ndarray
    endorse_out: np.ndarray  # reposts/forwards made (edge count)
    comment_out: np.ndarray  # mentions/replies/quotes made (edge count)


#: With detection results, only posts endorsing flagged content (flag x stance weight) take part in
#: copy relations: re-posting the same generic sentence says nothing about a community.
ENDORSED_FLAG = 0.5
#: Without detection results a shared text says less than a re-uploaded media file: everyday
#: phrases recur across unrelated accounts, files do not.
STRUCTURAL_TEXT_COPY = 0.3


def find_copies(data: GraphData) -> Copies:
    """For every item of an origin kind, later posts by other accounts are copies of the first.

    With detection results only posts that endorse flagged content count (see ENDORSED_FLAG)."""
    c: Content = data.content
    mask = np.isin(c.kind, np.asarray(ORIGIN_KINDS, np.int8))
    if data.detection:
        p = data.posts
        endorsed = (p.flag * p.stance_weight() >= ENDORSED_FLAG) & ~p.exempt
        mask &= endorsed[c.post]
    post = c.post[mask]
    item = c.item[mask]
    kind = c.kind[mask]
    if not len(post):
        z = np.zeros(0, np.int32)
        return Copies(z, z, z, np.zeros(0), np.zeros(0))
    time = data.posts.time[post]
    order = np.lexsort((time, item))
    post, item, time, kind = post[order], item[order], time[order], kind[order]
    account = data.posts.account[post]
    starts = np.r_[0, np.flatnonzero(np.diff(item)) + 1]
    first_of = np.repeat(starts, np.diff(np.r_[starts, len(item)]))
    origin = account[first_of]
    keep = account != origin
    copier, origin, item, time, kind = account[keep], origin[keep], item[keep], time[keep], kind[keep]
    # one copy per (copier, item): several near-duplicate posts of one item count once
    key = copier.astype(np.int64) * (int(item.max(initial=0)) + 1) + item
    _, first = np.unique(key, return_index=True)
    weight = np.where((kind[first] == ContentKind.MEDIA) | data.detection, 1.0, STRUCTURAL_TEXT_COPY)
    return Copies(copier[first], origin[first], item[first], time[first], weight)


def _count(index: np.ndarray, n: int, weights: np.ndarray | None = None) -> np.ndarray:
    return np.bincount(index, weights=weights, minlength=n).astype(np.float64)


def compute_features(data: GraphData, copies: Copies) -> Features:
    n = data.n
    p = data.posts
    acc = p.account
    posts = _count(acc, n)
    originals = _count(acc[p.code == PostCode.ORIGINAL], n)
    reposts = _count(acc[np.isin(p.code, (PostCode.REPOST, PostCode.QUOTE))], n)
    copies_made = _count(copies.copier, n, copies.weights())
    forwards = _count(acc[p.code == PostCode.FORWARD], n) + copies_made
    if len(acc):
        day = np.floor(p.time / DAY).astype(np.int64)
        first = np.full(n, np.inf)
        last = np.full(n, -np.inf)
        np.minimum.at(first, acc, p.time)
        np.maximum.at(last, acc, p.time)
        span = np.where(posts > 0, (last - first) / DAY + 1.0, 1.0)
        per_day_key, per_day_count = np.unique(
            acc.astype(np.int64) * (1 << 32) + (day - day.min()), return_counts=True
        )
        burst = np.zeros(n)
        np.maximum.at(burst, (per_day_key >> 32).astype(np.int64), per_day_count)
    else:
        span, burst = np.ones(n), np.zeros(n)
    live = ~p.exempt
    raw = _count(acc[live], n, p.flag[live].astype(np.float64))
    flagged = _count(acc[live], n, (p.flag * p.stance_weight())[live].astype(np.float64))
    hit_stance = np.where(raw > 0, flagged / np.where(raw > 0, raw, 1.0), 1.0)
    exempt_hits = _count(acc[p.exempt & (p.flag > 0)], n)
    e = data.edges
    endorsing = np.isin(e.code, np.asarray(ENDORSING + (3,), np.int8))  # quotes also pass content on
    amplified_by = _count(e.dst[endorsing], n)
    pairs = unique_ints(e.src[endorsing].astype(np.int64) * max(n, 1) + e.dst[endorsing])
    amplifiers = _count((pairs % max(n, 1)).astype(np.int64), n)
    copied_by = _count(copies.origin, n, copies.weights())
    endorse_out = _count(e.src[np.isin(e.code, np.asarray(ENDORSING, np.int8))], n)
    comment_out = _count(e.src[np.isin(e.code, np.asarray(COMMENTING, np.int8))], n)
    followers = np.nan_to_num(data.accounts.followers.astype(np.float64), nan=0.0)
    return Features(
        posts,
        originals,
        reposts,
        forwards,
        copies_made,
        posts / np.maximum(span, 1.0),
        burst,
        flagged,
        hit_stance,
        exempt_hits,
        amplified_by,
        amplifiers,
        copied_by,
        followers,
        endorse_out,
        comment_out,
    )


def log_scale(values: np.ndarray) -> np.ndarray:
    """``log1p(v) / log1p(max v)``: 0..1, robust to heavy tails."""
    top = float(values.max(initial=0.0))
    if top <= 0:
        return np.zeros_like(values, dtype=np.float64)
    scaled: np.ndarray = np.log1p(np.maximum(values, 0)) / np.log1p(top)
    return scaled
