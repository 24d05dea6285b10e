"""Re-created accounts (ban evasion) and cross-platform identity links.

A **re-created account** is a new account that starts soon after a removed or silent predecessor
stops, and resembles it: handle (numbering, look-alike letters, transliteration), display name, bio,
avatar PDQ, who it talks to and who passes its posts on (audience), what it posts (content).  A
**cross-platform link** joins accounts of one actor on two platforms (the same channel on Telegram and
on a Rocket.Chat server) by name, avatar and content, whenever they were active.

Candidates are blocked on handle skeleton, display name and avatar, and on shared audience and
content (sparse products), so the pairwise scoring never sees all pairs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process
from scipy.sparse import csr_matrix

from .data import ContentKind, GraphData
from .identity import (
    avatar_similarity,
    fold,
    handle_similarity,
    handle_skeleton,
    name_similarity,
    text_similarity,
)

DAY = 86400.0
#: An account silent this long before the end of the data counts as stopped.
SILENT_AFTER = 14 * DAY
#: A successor must start within this long after its predecessor stopped.
MAX_GAP = 60 * DAY
#: ... and may start slightly before the recorded stop (suspension is recorded late).
OVERLAP_SLACK = 2 * DAY
RECREATED_THRESHOLD = 0.6
#: A predecessor that only went silent (not removed) needs this much more evidence.
SILENT_PENALTY = 0.1
CROSS_PLATFORM_THRESHOLD = 0.6
#: Content items (media, texts, links) a cross-platform pair must share, unless audience, avatar or bio agree.
MIN_SHARED_ITEMS = 2
MAX_BUCKET = 60
FUZZY_BUDGET = 5_000_000
FUZZY_CUTOFF = 80
#: Identity signals of a re-creation and their weights (averaged over those both accounts have).
IDENTITY_WEIGHTS = {"handle": 0.4, "display_name": 0.3, "bio": 0.1, "avatar": 0.2}
#: score = identity share x identity + behaviour share x min(1, 3 x behaviour) + timing share x timing
IDENTITY_SHARE, BEHAVIOUR_SHARE, TIMING_SHARE = 0.7, 0.15, 0.15
CROSS_WEIGHTS = {"handle": 0.25, "display_name": 0.25, "bio": 0.1, "avatar": 0.15, "content": 0.25}


@dataclass
class AccountLink:
    account: int
    predecessor: int
    score: float
    link: str                    # "recreated" or "cross-platform"
    evidence: dict[str, Any] = field(default_factory=dict)


def _activity_bounds(data: GraphData) -> tuple[np.ndarray, np.ndarray]:
    n = data.n
    a = data.accounts
    start = np.full(n, np.inf)
    stop = np.full(n, -np.inf)
    if len(data.posts):
        np.minimum.at(start, data.posts.account, data.posts.time)
        np.maximum.at(stop, data.posts.account, data.posts.time)
    seen = np.where(np.isnan(a.first_seen), np.inf, a.first_seen)
    start = np.minimum(start, seen)
    if a.created_at is not None:  # the platform's creation time, where given, is the real start
        start = np.where(np.isnan(a.created_at), start, a.created_at)
    last = np.where(np.isnan(a.last_seen), -np.inf, a.last_seen)
    stop = np.maximum(stop, last)
    return start, stop


def _stopped(data: GraphData, stop: np.ndarray) -> np.ndarray:
    """When each account stopped (suspension, deletion, or silence), or nan if still active."""
    a = data.accounts
    end = float(np.max(stop[np.isfinite(stop)], initial=0.0))
    status = np.asarray(a.status)
    removed = np.isin(status, ("suspended", "deleted"))
    changed = np.where(np.isnan(a.status_changed_at), stop, a.status_changed_at)
    when = np.where(removed, changed, np.nan)
    silent = ~removed & np.isfinite(stop) & (stop < end - SILENT_AFTER)
    return np.where(silent, stop, when)


def _membership(rows: np.ndarray, cols: np.ndarray, n: int) -> csr_matrix:
    m = csr_matrix((np.ones(len(rows), np.float32), (rows, cols)),
                   shape=(n, int(cols.max(initial=-1)) + 1))
    m.data[:] = 1.0  # duplicates summed: back to a 0/1 set
    return m


def _overlap(m: csr_matrix, i: int, j: int) -> tuple[float, int]:
    """Jaccard similarity and count of the members two rows share."""
    a = set(m.indices[m.indptr[i]:m.indptr[i + 1]].tolist())
    b = set(m.indices[m.indptr[j]:m.indptr[j + 1]].tolist())
    if not a or not b:
        return 0.0, 0
    shared = len(a & b)
    return shared / len(a | b), shared


def _overlap_pairs(m: csr_matrix, left: np.ndarray, right: np.ndarray, top: int = 5) -> set[tuple[int, int]]:
    """For each ``left`` account, the ``right`` accounts sharing most members with it."""
    if not len(left) or not len(right) or m.shape[1] == 0:
        return set()
    product = (m[left] @ m[right].T).tocsr()
    pairs = set()
    for r in range(product.shape[0]):
        lo, hi = product.indptr[r], product.indptr[r + 1]
        if hi == lo:
            continue
        best = np.argsort(-product.data[lo:hi])[:top]
        for k in best:
            pairs.add((int(left[r]), int(right[product.indices[lo + k]])))
    return pairs


def _name_blocks(data: GraphData, pool: np.ndarray) -> set[tuple[int, int]]:
    a = data.accounts
    buckets: dict[str, list[int]] = defaultdict(list)
    for i in pool.tolist():
        skel = handle_skeleton(a.handle[i])
        if len(skel) >= 3:
            buckets["h:" + skel].append(i)
        name = handle_skeleton(a.display_name[i])
        if len(name) >= 3:
            buckets["n:" + name].append(i)
        # exact folded names too: a skeleton shared by many ("Relay 3", "Relay 21") makes a big bucket
        for prefix, text in (("H:", a.handle[i]), ("N:", a.display_name[i])):
            folded = fold(text)
            if len(folded) >= 3:
                buckets[prefix + folded].append(i)
        if a.avatar_pdq[i]:
            buckets["a:" + a.avatar_pdq[i]].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 1 < len(members) <= MAX_BUCKET:
            pairs.update((x, y) if x < y else (y, x) for x, y in combinations(members, 2))
    return pairs


def _fuzzy_pairs(data: GraphData, left: np.ndarray, right: np.ndarray) -> set[tuple[int, int]]:
    """Predecessor/successor pairs with similar folded handles or names (transliteration variants
    such as ``leila``/``layla`` escape the skeleton blocks).  All pairs through rapidfuzz's ``cdist``
    while the product is small enough; skipped beyond :data:`FUZZY_BUDGET` pairs."""
    if not len(left) or not len(right) or len(left) * len(right) > FUZZY_BUDGET:
        return set()
    a = data.accounts
    pairs: set[tuple[int, int]] = set()
    for values in (a.handle, a.display_name):
        lt = [fold(values[i]) for i in left.tolist()]
        rt = [fold(values[j]) for j in right.tolist()]
        scores = process.cdist(lt, rt, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, workers=1)
        for r, c in zip(*np.nonzero(scores), strict=True):
            if lt[r] and rt[c]:
                x, y = int(left[r]), int(right[c])
                pairs.add((min(x, y), max(x, y)))
    return pairs


def _similarities(data: GraphData, i: int, j: int, audience: csr_matrix,
                  content: csr_matrix) -> dict[str, float | None]:
    a = data.accounts
    both = lambda x: bool(x[i]) and bool(x[j])  # noqa: E731
    audience_jaccard, _ = _overlap(audience, i, j)
    content_jaccard, shared_items = _overlap(content, i, j)
    return {
        "handle": handle_similarity(a.handle[i] or a.display_name[i], a.handle[j] or a.display_name[j]),
        "display_name": name_similarity(a.display_name[i], a.display_name[j]) if both(a.display_name) else None,
        "bio": text_similarity(a.bio[i], a.bio[j]) if both(a.bio) else None,
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


def find_links(data: GraphData) -> list[AccountLink]:
    """Re-created accounts and cross-platform identity links, strongest first."""
    n = data.n
    if n < 2:
        return []
    start, stop = _activity_bounds(data)
    stopped = _stopped(data, stop)
    e = data.edges
    audience = _membership(np.r_[e.src, e.dst], np.r_[e.dst, e.src], n)
    c = data.content
    keep = np.isin(c.kind, np.asarray((ContentKind.MEDIA, ContentKind.TEXT_EXACT, ContentKind.TEXT_NEAR,
                                       ContentKind.URL), np.int8))
    content = _membership(data.posts.account[c.post[keep]], c.item[keep], n)

    preds = np.flatnonzero(np.isfinite(stopped))
    first_stop = float(stopped[preds].min()) if len(preds) else np.inf
    succs = np.flatnonzero(np.isfinite(start) & (start >= first_stop - OVERLAP_SLACK))
    active = np.flatnonzero(np.isfinite(start))
    candidates = _name_blocks(data, active) | _fuzzy_pairs(data, preds, succs)
    candidates |= {(min(x, y), max(x, y)) for x, y in _overlap_pairs(audience, preds, succs)}
    candidates |= {(min(x, y), max(x, y)) for x, y in _overlap_pairs(content, preds, succs)}
    platforms = data.accounts.platform
    multi_platform = len(set(platforms)) > 1
    if multi_platform:
        candidates |= {(min(x, y), max(x, y)) for x, y in _overlap_pairs(content, active, active)
                       if platforms[x] != platforms[y]}

    recreated: list[AccountLink] = []
    cross: list[AccountLink] = []
    for x, y in candidates:
        if x == y:
            continue
        sims = _similarities(data, x, y, audience, content)
        for old, new in ((x, y), (y, x)):
            if not np.isfinite(stopped[old]) or not np.isfinite(start[new]):
                continue
            gap = float(start[new] - stopped[old])
            if gap < -OVERLAP_SLACK or gap > MAX_GAP or start[new] <= start[old]:
                continue
            s = dict(sims, timing=float(np.exp(-max(gap, 0.0) / (7 * DAY))))
            behaviour = max(s["audience"] or 0.0, s["content"] or 0.0)
            score = (IDENTITY_SHARE * _weighted(s, IDENTITY_WEIGHTS)
                     + BEHAVIOUR_SHARE * min(1.0, 3.0 * behaviour) + TIMING_SHARE * (s["timing"] or 0.0))
            removed = data.accounts.status[old] in ("suspended", "deleted")
            if not removed and platforms[old] != platforms[new]:
                continue  # went quiet here, active there: a move (cross-platform link), not a re-creation
            threshold = RECREATED_THRESHOLD + (0.0 if removed else SILENT_PENALTY)
            if score < threshold or max(s["handle"] or 0, s["display_name"] or 0, s["avatar"] or 0) < 0.6:
                continue
            link = AccountLink(new, old, round(score, 4), "recreated", {
                "link": "recreated", "similarity": {k: None if v is None else round(v, 3)
                                                    for k, v in s.items()},
                "gap_days": round(gap / DAY, 2), "predecessor_status": data.accounts.status[old],
                "predecessor_stopped": _iso(float(stopped[old])), "started": _iso(float(start[new])),
                "cross_platform": platforms[old] != platforms[new],
                "handles": [data.accounts.handle[old], data.accounts.handle[new]],
            })
            recreated.append(link)
        if platforms[x] != platforms[y]:
            score = _weighted(sims, CROSS_WEIGHTS)
            names = max(sims["handle"] or 0.0, sims["display_name"] or 0.0)
            # names alone are not enough (people share names): content, audience, avatar or bio must agree
            other = ((sims["shared_items"] or 0.0) >= MIN_SHARED_ITEMS or (sims["audience"] or 0.0) >= 0.05
                     or (sims["avatar"] or 0.0) >= 0.8 or (sims["bio"] or 0.0) >= 0.8)
            if score >= CROSS_PLATFORM_THRESHOLD and names >= 0.8 and other:
                old, new = (x, y) if (start[x], x) <= (start[y], y) else (y, x)
                cross.append(AccountLink(new, old, round(score, 4), "cross-platform", {
                    "link": "cross-platform", "similarity": {k: None if v is None else round(v, 3)
                                                             for k, v in sims.items()},
                    "names": [fold(data.accounts.display_name[old] or data.accounts.handle[old]),
                              fold(data.accounts.display_name[new] or data.accounts.handle[new])],
                }))
    cross = _one_per_platform(cross, platforms)
    recreated = _one_to_one(recreated)
    recreated_pairs = {(lk.account, lk.predecessor) for lk in recreated}
    links = recreated + [lk for lk in cross
                                             if (lk.account, lk.predecessor) not in recreated_pairs]
    links.sort(key=lambda lk: (-lk.score, lk.account))
    return links
