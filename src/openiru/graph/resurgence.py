"""Re-created accounts (ban evasion) and cross-platform identity links.

A **re-created account** is a new account that starts soon after a removed or silent predecessor
stops, and resembles it: handle (numbering, look-alike letters, transliteration), display name, bio,
avatar PDQ, who it talks to and who passes its posts on (audience), what it posts (content).  A
**cross-platform link** joins accounts of one actor on two platforms (the same channel on Telegram and
on a Rocket.Chat server) by name, avatar and content, whenever they were active.

Candidates are blocked on handle skeleton, display name and avatar, and on shared audience and
content (sparse products, :mod:`.candidates`), so the pairwise scoring here never sees all pairs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix

from .candidates import (
    DAY,
    QUIET_GAPS,
    Names,
    activity_bounds,
    candidate_pairs,
    member_overlap,
    membership,
    post_bounds,
    quiet_times,
    stop_times,
)
from .data import REMOVED_STATUSES, ContentKind, GraphData
from .identity import (
    avatar_distance,
    avatar_files,
    avatar_similarity,
    fold,
    handle_similarity,
    name_similarity,
    text_similarity,
)
from .recreation import (
    DEFAULT_MIN_SCORE,
    OVERLAP_GRACE,
    Observation,
    corroborated,
    identity_evidence,
    log_likelihood_ratios,
    owner_evidence,
    probability,
)

#: A successor must start within this long after its predecessor stopped.
MAX_GAP = 60 * DAY
#: ... and may start slightly before the recorded stop (suspension is recorded late).
OVERLAP_SLACK = 2 * DAY
#: Re-creations are listed from this estimated probability (see :mod:`.recreation`).
RECREATED_THRESHOLD = DEFAULT_MIN_SCORE
#: Names, bio and avatar together must carry at least this log-likelihood ratio (a distinctive bio
#: alone does; a stock bio many accounts share is capped below it): timing, audience
#: and content alone say *when* and *with whom*, not *who*.
MIN_IDENTITY_EVIDENCE = 2.5
#: A predecessor never seen removed is linked only when the successor carries over this much of
#: its audience and content (log-likelihood ratios: an audience Jaccard of about 0.2 or more, or
#: shared content): a community following its member to the new account.  Names say *who*; without
#: a removal only the carried-over community says *why*: a person who leaves an account for a
#: new one under a similar name keeps a few contacts too, and is not evading anything.
MIN_CARRIED_OVER = 2.5
#: Successors that posted side by side with the predecessor for longer than this are never linked.
MAX_OVERLAP = 7 * DAY
CROSS_PLATFORM_THRESHOLD = 0.6
#: Content items (media, texts, links) a cross-platform pair must share, unless audience, avatar or bio agree.
MIN_SHARED_ITEMS = 2
CROSS_WEIGHTS = {"handle": 0.25, "display_name": 0.25, "bio": 0.1, "avatar": 0.15, "content": 0.25}


@dataclass
class AccountLink:
    account: int
    predecessor: int
    score: float
    link: str  # "recreated" or "cross-platform"
    evidence: dict[str, Any] = field(default_factory=dict)


def _similarities(
    data: GraphData, names: Names, i: int, j: int, audience: csr_matrix, content: csr_matrix
) -> dict[str, float | None]:
    a = data.accounts
    h, d = names.handle, names.display_name
    audience_jaccard, _ = member_overlap(audience, i, j)
    content_jaccard, shared_items = member_overlap(content, i, j)
    return {
        # channels without a username (Telegram) are known by their title: a name a person chose
        "handle": handle_similarity(h[i] or d[i], h[j] or d[j])
        if (h[i] or d[i]) and (h[j] or d[j])
        else None,
        "handles_only": handle_similarity(h[i], h[j]) if h[i] and h[j] else None,
        "display_name": name_similarity(d[i], d[j]) if d[i] and d[j] else None,
        "bio": text_similarity(a.bio[i], a.bio[j]) if a.bio[i] and a.bio[j] else None,
        "avatar": avatar_similarity(a.avatar_pdq[i], a.avatar_pdq[j]),
        "audience": audience_jaccard,
        "content": content_jaccard,
        "shared_items": float(shared_items),
    }


def _weighted(sims: dict[str, float | None], weights: dict[str, float]) -> float:
    num = den = 0.0
    for k, w in weights.items():
        v = sims.get(k)
        if v is None:
            continue
        num += w * v
        den += w
    return num / den if den else 0.0


def _iso(t: float) -> str | None:
    if not np.isfinite(t):
        return None
    return np.datetime_as_string(np.datetime64(int(t), "s"), unit="s") + "Z"


def _one_to_one(links: list[AccountLink]) -> list[AccountLink]:
    """Strongest first, each successor keeps one predecessor and each predecessor one successor."""
    used_new: set[int] = set()
    used_old: set[int] = set()
    kept = []
    for link in sorted(links, key=lambda lk: (-lk.score, lk.account, lk.predecessor)):
        if link.account in used_new or link.predecessor in used_old:
            continue
        used_new.add(link.account)
        used_old.add(link.predecessor)
        kept.append(link)
    return kept


def _one_per_platform(links: list[AccountLink], platforms: list[str]) -> list[AccountLink]:
    """Keep, strongest first, at most one link per account and other platform."""
    taken: set[tuple[int, str]] = set()
    kept = []
    for link in sorted(links, key=lambda lk: -lk.score):
        a = (link.account, platforms[link.predecessor])
        b = (link.predecessor, platforms[link.account])
        if a in taken or b in taken:
            continue
        taken.update((a, b))
        kept.append(link)
    return kept


def removal_reporting(data: GraphData) -> set[str]:
    """Platforms whose data reports removals: at least one account there is seen suspended or deleted
    (X's user lookups, a Mastodon account entity's ``suspended``).  There, a predecessor *not* seen
    removed was not removed: it went quiet because its owner moved to the new account (one person's
    sequential accounts, never banned), which is not ban evasion.  Where no removal is ever seen
    (Telegram, Rocket.Chat exports), silence is all a removal leaves, and it weighs for a re-creation."""
    a = data.accounts
    return {p for p, s in zip(a.platform, a.status, strict=True) if s in REMOVED_STATUSES}


def _observation(
    data: GraphData,
    names: Names,
    old: int,
    new: int,
    sims: dict[str, float | None],
    audience_size: np.ndarray,
    bios: dict[str, int],
    avatars: dict[str, int],
    *,
    removed: bool,
    gap: float,
    overlap: float,
    created_before_stop: float | None = None,
) -> Observation:
    """What the pair shows (:class:`.recreation.Observation`): names, bio, avatar, audience and
    content from ``sims``, the timing as given."""
    a = data.accounts
    # accounts known only by a title (channels, users without a username): the title is the handle
    title_only = sims["handles_only"] is None and not names.handle[old] and not names.handle[new]
    return Observation(
        handle=sims["handle"] if title_only else sims["handles_only"],
        display_name=None if title_only else sims["display_name"],
        bio=sims["bio"],
        avatar_distance=avatar_distance(data, old, new, avatars),
        audience=float(sims["audience"] or 0.0),
        audience_size=int(min(audience_size[old], audience_size[new])),
        content=float(sims["content"] or 0.0),
        removed=removed,
        gap=gap,
        overlap=overlap,
        created_before_stop=created_before_stop,
        bio_shared_by=bios.get(fold(a.bio[old]), 1),
        title_only=title_only,
    )


def _recreation(
    data: GraphData,
    names: Names,
    old: int,
    new: int,
    sims: dict[str, float | None],
    start: np.ndarray,
    stopped: np.ndarray,
    posted: tuple[np.ndarray, np.ndarray],
    audience_size: np.ndarray,
    bios: dict[str, int],
    avatars: dict[str, int],
    reports_removal: set[str],
    read_clean: np.ndarray | None = None,
) -> AccountLink | None:
    """The link ``new`` re-creates ``old``, scored (:mod:`.recreation`), or None."""
    a = data.accounts
    gap = float(start[new] - stopped[old])
    if gap < -OVERLAP_SLACK or gap > MAX_GAP or start[new] <= start[old]:
        return None
    removed = a.status[old] in REMOVED_STATUSES
    if a.status[old] == "active" and a.status_changed_at[old] >= start[new]:
        return None  # the platform showed the predecessor alive after the successor began: two accounts
    if not removed and a.platform[old] != a.platform[new]:
        return None  # went quiet here, active there: a move (cross-platform link), not a re-creation
    if not removed and a.platform[old] in reports_removal:
        return None  # this platform's data says who was removed, and not this one: its owner moved on
    if not removed and read_clean is not None and read_clean[old]:
        return None  # detection read its posts and found nothing to remove it for: its owner moved on
    first_post, last_post = posted
    overlap = float(last_post[old] - first_post[new]) if np.isfinite(first_post[new]) else 0.0
    if overlap > MAX_OVERLAP:
        return None
    created = a.created_at[new] if a.created_at is not None else np.nan
    obs = _observation(
        data,
        names,
        old,
        new,
        sims,
        audience_size,
        bios,
        avatars,
        removed=removed,
        gap=max(gap, 0.0),
        overlap=max(overlap, 0.0),
        created_before_stop=None if np.isnan(created) else float(stopped[old] - created),
    )
    ratios = log_likelihood_ratios(obs)
    if identity_evidence(ratios) < MIN_IDENTITY_EVIDENCE:
        return None
    if not removed and ratios["audience"] + ratios["content"] < MIN_CARRIED_OVER:
        return None  # never removed, little carried over: a person switching accounts, not evasion
    score = probability(ratios)
    return AccountLink(
        new,
        old,
        round(score, 4),
        "recreated",
        {
            "link": "recreated",
            "similarity": {k: None if v is None else round(v, 3) for k, v in sims.items()},
            "log_likelihood_ratios": {k: round(v, 2) for k, v in ratios.items() if v},
            "gap_days": round(gap / DAY, 2),
            "overlap_days": round(max(overlap, 0.0) / DAY, 2),
            "predecessor_status": a.status[old],
            "predecessor_stopped": _iso(float(stopped[old])),
            "started": _iso(float(start[new])),
            "cross_platform": a.platform[old] != a.platform[new],
            "handles": [a.handle[old], a.handle[new]],
            "identity": round(identity_evidence(ratios), 2),
            "corroborated": corroborated(ratios),
        },
    )


def _same_owner(
    data: GraphData,
    names: Names,
    old: int,
    new: int,
    sims: dict[str, float | None],
    audience_size: np.ndarray,
    bios: dict[str, int],
    avatars: dict[str, int],
) -> float:
    """What names, bio and avatar, and the audience and content carried over, say about ``new``
    being run by ``old``'s owner (:func:`.recreation.owner_evidence`), whatever the timing; 0
    unless ``new`` also shares ``old``'s community (audience and content together
    :data:`MIN_CARRIED_OVER`, as a link from a silent predecessor needs): one person's two accounts
    move among the same people, a namesake (``zenol``/``zenol2``, "Zeno Lund" twice: the platform
    numbered the second) among others."""
    obs = _observation(
        data, names, old, new, sims, audience_size, bios, avatars, removed=False, gap=0.0, overlap=0.0
    )
    ratios = log_likelihood_ratios(obs)
    if ratios["audience"] + ratios["content"] < MIN_CARRIED_OVER:
        return 0.0
    return owner_evidence(ratios)


def _continued(
    data: GraphData,
    names: Names,
    old: int,
    new: int,
    stop: np.ndarray,
    stopped: np.ndarray,
    posted: tuple[np.ndarray, np.ndarray],
) -> bool:
    """Whether ``new`` carried on beside silent ``old``: on the same platform, it posted before
    ``old``'s last post (beyond :data:`.recreation.OVERLAP_GRACE`) and was still active after ``old``
    stopped.  A second account or a switch to a new one that overlapped the old: if the two are one
    person's, the old account went quiet because its owner used the other, not because it was removed."""
    a = data.accounts
    if a.platform[old] != a.platform[new] or a.status[old] in REMOVED_STATUSES:
        return False
    if not names.handle[old] or not names.handle[new]:
        return False  # known by a title only: a namesake holds the same one (TITLE_AT_MOST)
    if not np.isfinite(stopped[old]):
        return False
    first_post, last_post = posted
    return bool(
        np.isfinite(first_post[new])
        and last_post[old] - first_post[new] > OVERLAP_GRACE
        and stop[new] > stopped[old]
    )


def find_links(
    data: GraphData, min_score: float = RECREATED_THRESHOLD, read_clean: np.ndarray | None = None
) -> list[AccountLink]:
    """Re-created accounts (estimated probability >= ``min_score``) and cross-platform identity
    links, strongest first.  ``read_clean``: the accounts whose posts detection read with the unit's
    lexicon and found nothing in (from the store); silence is no removal for them."""
    n = data.n
    if n < 2:
        return []
    names = Names.of(data)
    bios: dict[str, int] = defaultdict(int)
    for bio in data.accounts.bio:
        if bio:
            bios[fold(bio)] += 1
    avatars = avatar_files(data)
    start, stop = activity_bounds(data)
    stopped = stop_times(data, stop)
    # a regular poster quiet for less than stop_times asks, but longer than it ever was before, has
    # stopped all the same where a successor began in its silence and has since posted QUIET_GAPS
    # times: the operator's posts go on, on the new account, while the old one says nothing
    quiet = quiet_times(data, stop, stopped)
    stopped_or_quiet = np.where(np.isfinite(stopped), stopped, quiet)
    post_count = np.bincount(data.posts.account, minlength=n)
    posted = post_bounds(data)
    e = data.edges
    audience = membership(np.r_[e.src, e.dst], np.r_[e.dst, e.src], n)
    audience_size = np.diff(audience.indptr)
    c = data.content
    keep = np.isin(
        c.kind,
        np.asarray(
            (ContentKind.MEDIA, ContentKind.TEXT_EXACT, ContentKind.TEXT_NEAR, ContentKind.URL), np.int8
        ),
    )
    content = membership(data.posts.account[c.post[keep]], c.item[keep], n)

    candidates = candidate_pairs(data, names, start, stopped_or_quiet, audience, content, OVERLAP_SLACK)
    platforms = data.accounts.platform
    reports = removal_reporting(data)

    recreated: list[AccountLink] = []
    cross: list[AccountLink] = []
    # silent account -> the strongest identity evidence of an account that carried on beside it
    carried_on: dict[int, float] = {}
    for x, y in candidates:
        if x == y:
            continue
        sims = _similarities(data, names, x, y, audience, content)
        for old, new in ((x, y), (y, x)):
            if _continued(data, names, old, new, stop, stopped, posted):
                who = _same_owner(data, names, old, new, sims, audience_size, bios, avatars)
                carried_on[old] = max(carried_on.get(old, 0.0), round(who, 2))
            if not np.isfinite(start[new]):
                continue
            if not np.isfinite(stopped[old]) and not (
                np.isfinite(quiet[old])
                and posted[0][new] > quiet[old]
                and post_count[new] >= QUIET_GAPS  # all in the silence: it began after the last post
            ):
                continue
            link = _recreation(
                data,
                names,
                old,
                new,
                sims,
                start,
                stopped_or_quiet,
                posted,
                audience_size,
                bios,
                avatars,
                reports,
                read_clean,
            )
            if link is not None and link.score >= min_score:
                recreated.append(link)
        if platforms[x] != platforms[y]:
            score = _weighted(sims, CROSS_WEIGHTS)
            both_names = max(sims["handle"] or 0.0, sims["display_name"] or 0.0)
            # names alone are not enough (people share names): content, audience, avatar or bio must agree
            other = (
                (sims["shared_items"] or 0.0) >= MIN_SHARED_ITEMS
                or (sims["audience"] or 0.0) >= 0.05
                or (sims["avatar"] or 0.0) >= 0.8
                or (sims["bio"] or 0.0) >= 0.8
            )
            if score >= CROSS_PLATFORM_THRESHOLD and both_names >= 0.8 and other:
                old, new = (x, y) if (start[x], x) <= (start[y], y) else (y, x)
                cross.append(
                    AccountLink(
                        new,
                        old,
                        round(score, 4),
                        "cross-platform",
                        {
                            "link": "cross-platform",
                            "similarity": {k: None if v is None else round(v, 3) for k, v in sims.items()},
                            "names": [
                                fold(names.display_name[old] or names.handle[old]),
                                fold(names.display_name[new] or names.handle[new]),
                            ],
                        },
                    )
                )
    cross = _one_per_platform(cross, platforms)
    # a silent predecessor whose owner visibly carried on under another account (one that posted
    # beside it and outlived it, among the same people, with names, bio, avatar, audience and
    # content together at least as close as this successor's) left it for that one: its silence is
    # explained, the later look-alike is not its re-creation
    recreated = [
        lk
        for lk in recreated
        if lk.evidence["predecessor_status"] in REMOVED_STATUSES
        or owner_evidence(lk.evidence["log_likelihood_ratios"]) > carried_on.get(lk.predecessor, 0.0)
    ]
    recreated = _one_to_one(recreated)
    recreated_pairs = {(lk.account, lk.predecessor) for lk in recreated}
    links = recreated + [lk for lk in cross if (lk.account, lk.predecessor) not in recreated_pairs]
    links.sort(key=lambda lk: (-lk.score, lk.account))
    return links
