"""The re-created-account score: evidence for and against one operator re-creating a removed account.

Each signal adds a log-likelihood ratio (natural log of how much more often the observed value
occurs when the successor *is* the predecessor re-created than when it is an unrelated account
that happens to be a candidate); the sum plus the prior log-odds is turned into a probability:

    score = 1 / (1 + e^-(PRIOR_LOG_ODDS + sum of the signals' log-likelihood ratios))

so ``score`` is the estimated probability that the pair is a re-creation, assuming the signals
independent given the truth (a naive-Bayes combination; names and avatars are not independent in
practice, which makes the score over-confident where they agree, so the ratios are kept moderate).
The ratios are set from what ban evasion looks like (an operator keeps the name, the avatar, the
bio, the audience and the content; the new account is fresh and starts after the old one stopped)
and what innocent look-alikes look like (common names, sequential accounts that coexist, old
accounts), not fitted to any one data set.

Evidence **against**: an activity overlap (the successor posting before the predecessor's last
post: banned accounts cannot post, so two accounts posting side by side are two accounts), an
account created long before the predecessor stopped, a different avatar or a different handle.
Evidence **for**: a predecessor seen suspended or deleted (more than one that only went silent), a
short gap, a fresh account, the same or an edited handle, name, bio, avatar, audience and content.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

DAY = 86400.0
#: Prior log-odds that a candidate pair (it shares a name, an avatar, audience or content and
#: starts after the other stopped) is a re-creation: about 1 in 50 (logit 0.02 = -3.9).
PRIOR_LOG_ODDS = -3.9
#: Posting side by side for longer than this is an overlap (clock skew, a last queued post).
OVERLAP_GRACE = 3600.0
#: A bio that this many accounts share is a community's stock phrase: it weighs at most COMMON_BIO.
COMMON_BIO_ACCOUNTS, COMMON_BIO = 5, 0.5
#: Default threshold: links with an estimated probability of 0.9 or more are listed.
DEFAULT_MIN_SCORE = 0.9
#: Accounts known only by a title (a Telegram user's name, a channel's title) compare titles as
#: handles, but a title is not unique on a platform as a handle is (the same handle again means the
#: old one was freed and taken again; the same title is also what a namesake has): the same title
#: weighs as much as the same skeleton, no more.
TITLE_AT_MOST = 4.0


@dataclass
class Observation:
    """What one (predecessor, successor) pair shows; None where a signal is unknown for the pair."""

    handle: float | None  # handle similarity of real handles (identity.handle_similarity)
    display_name: float | None
    bio: float | None
    avatar_distance: int | None  # PDQ Hamming distance
    audience: float  # Jaccard of the accounts each interacts with
    audience_size: int  # the smaller of the two audiences
    content: float  # Jaccard of the content items each posts
    removed: bool  # predecessor seen suspended or deleted (else: silent)
    gap: float  # seconds from the predecessor's stop to the successor's start
    overlap: float  # seconds the successor posted before the predecessor's last post
    created_before_stop: float | None  # seconds the successor existed before the predecessor stopped
    bio_shared_by: int = 1  # accounts with the predecessor's bio (a community's stock bio says little)
    title_only: bool = False  # ``handle`` compares titles (accounts without a handle): see TITLE_AT_MOST


def _handle(sim: float | None) -> float:
    if sim is None:
        return 0.0
    if sim >= 1.0:
        return 5.0
    if sim >= 0.95:
        return 4.0  # same skeleton: numbering, affixes, look-alike letters
    if sim >= 0.9:
        return 3.5  # one edit: a swapped, dropped or substituted letter
    if sim >= 0.8:
        return 1.5
    return -1.0 if sim < 0.6 else 0.0


def _name(sim: float | None) -> float:
    if sim is None:
        return 0.0
    if sim >= 1.0:
        return 3.0
    if sim >= 0.9:
        return 2.0
    if sim >= 0.75:
        return 1.0
    return -0.5 if sim < 0.5 else 0.0


def _bio(sim: float | None) -> float:
    if sim is None:
        return 0.0
    return 2.5 if sim >= 0.9 else 1.5 if sim >= 0.75 else -0.5 if sim < 0.4 else 0.0


def _avatar(distance: int | None) -> float:
    if distance is None:
        return 0.0
    return 4.0 if distance <= 10 else 2.5 if distance <= 31 else -1.0


def _jaccard(j: float, size: int) -> float:
    if j > 0:
        return min(3.0, 12.0 * j)
    return -1.0 if size >= 5 else 0.0  # both talk to plenty of accounts, none in common


def log_likelihood_ratios(o: Observation) -> dict[str, float]:
    """Each signal's log-likelihood ratio (positive: evidence for a re-creation)."""
    overlap_days = max(0.0, o.overlap - OVERLAP_GRACE) / DAY
    r = {
        "handle": min(_handle(o.handle), TITLE_AT_MOST) if o.title_only else _handle(o.handle),
        "display_name": _name(o.display_name),
        "bio": min(_bio(o.bio), COMMON_BIO) if o.bio_shared_by >= COMMON_BIO_ACCOUNTS else _bio(o.bio),
        "avatar": _avatar(o.avatar_distance),
        "audience": _jaccard(o.audience, o.audience_size),
        "content": _jaccard(o.content, 0),
        "predecessor_removed": 1.5 if o.removed else 0.0,
        "overlap": -(6.0 + 3.0 * overlap_days) if overlap_days > 0 else 0.0,
        "gap": 1.0 if o.gap <= 2 * DAY else 0.5 if o.gap <= 7 * DAY else 0.0 if o.gap <= 30 * DAY else -0.5,
        "account_age": 0.0,
    }
    if o.created_before_stop is not None:
        before = o.created_before_stop / DAY
        r["account_age"] = -3.0 if before > 2 else 0.5
    return r


def identity_evidence(r: dict[str, float]) -> float:
    """The part of the evidence that says *who* (names, bio, avatar), not just *when* or *with whom*."""
    return sum(max(0.0, r.get(k, 0.0)) for k in ("handle", "display_name", "bio", "avatar"))


def owner_evidence(r: dict[str, float]) -> float:
    """What says the same person runs both accounts, whatever the timing: :func:`identity_evidence`
    and the audience and content carried over (their positive parts)."""
    return identity_evidence(r) + max(0.0, r.get("audience", 0.0)) + max(0.0, r.get("content", 0.0))


def probability(r: dict[str, float]) -> float:
    z = PRIOR_LOG_ODDS + sum(r.values())
    return 1.0 / (1.0 + math.exp(-z))


def corroborated(r: dict[str, float]) -> bool:
    """Whether anything beyond names, shared audience and timing supports a link: the predecessor
    seen removed, content carried over, the same bio or avatar.  Without it a link is what one
    person's second account that was never banned also shows (measured: half such links right,
    docs/analytics.md), a lead to check whatever its score."""
    return any(r.get(k, 0.0) > 0 for k in ("predecessor_removed", "content", "bio", "avatar"))
