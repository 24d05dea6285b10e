"""Candidate search for :mod:`.resurgence`: when each account started and stopped, and which pairs
of accounts are worth scoring.

Activity bounds come from posts, first/last seen times and the platform's creation time; an account
has stopped when it was removed (suspended, deleted) or fell silent (:data:`SILENT_AFTER`, or less
for a regular poster).  Candidate pairs are blocked on handle skeleton, display name and avatar,
fuzzy names, and shared audience and content (sparse products), so the pairwise scoring in
:mod:`.resurgence` never sees all pairs.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

import numpy as np
from rapidfuzz import fuzz, process
from scipy.sparse import csr_matrix

from .data import GraphData
from .identity import fold, handle_skeleton, real_name

DAY = 86400.0
#: An account silent this long before the end of the data counts as stopped.
SILENT_AFTER = 14 * DAY
#: ... or, for an account with at least MIN_GAPS gaps between posts, this many times its median gap
#: (never less than MIN_SILENCE).
QUIET_GAPS, MIN_GAPS, MIN_SILENCE = 5.0, 5, 3 * DAY
#: Name buckets larger than this are too common to block on; fuzzy matching stops beyond this many
#: pairs, and keeps those scoring at least the cutoff (rapidfuzz ratio).
MAX_BUCKET = 60
FUZZY_BUDGET = 5_000_000
FUZZY_CUTOFF = 80


def activity_bounds(data: GraphData) -> tuple[np.ndarray, np.ndarray]:
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


def stop_times(data: GraphData, stop: np.ndarray) -> np.ndarray:
    """When each account stopped (suspension, deletion, or silence), or nan if still active."""
    a = data.accounts
    end = float(np.max(stop[np.isfinite(stop)], initial=0.0))
    removed = a.removed()
    changed = np.where(np.isnan(a.status_changed_at), stop, a.status_changed_at)
    when = np.where(removed, changed, np.nan)
    silent = ~removed & np.isfinite(stop) & (stop < end - _silence(data))
    return np.where(silent, stop, when)


def quiet_times(data: GraphData, stop: np.ndarray, stopped: np.ndarray) -> np.ndarray:
    """When each regular poster (at least :data:`MIN_GAPS` gaps between posts) not counted as stopped
    fell quiet, where it has said nothing for longer than it ever did before (its longest gap, at
    least :data:`MIN_SILENCE`) up to the end of the data, else nan.  Not yet a stop on its own
    (:func:`stop_times`): only where a successor's posts fill the silence
    (:func:`.resurgence.find_links`)."""
    n = data.n
    a = data.accounts
    end = float(np.max(stop[np.isfinite(stop)], initial=0.0))
    longest = np.zeros(n)
    count = np.zeros(n, int)
    p = data.posts
    if len(p) >= 2:
        order = np.lexsort((p.time, p.account))
        acc, t = np.asarray(p.account)[order], np.asarray(p.time, float)[order]
        same = acc[1:] == acc[:-1]
        np.maximum.at(longest, acc[1:][same], np.diff(t)[same])
        count = np.bincount(acc[1:][same], minlength=n)
    removed = a.removed()
    quiet = (
        ~removed
        & ~np.isfinite(stopped)
        & np.isfinite(stop)
        & (count >= MIN_GAPS)
        & (stop < end - np.maximum(longest, MIN_SILENCE))
    )
    return np.where(quiet, stop, np.nan)


def _silence(data: GraphData) -> np.ndarray:
    """How long each account must be quiet to count as stopped: :data:`SILENT_AFTER`, or less for an
    account that posted regularly: :data:`QUIET_GAPS` times its median gap between posts, at
    least :data:`MIN_SILENCE` (an account that posted twice a day and has said nothing for a week
    has stopped; one that posts once a fortnight has not)."""
    n = data.n
    wait = np.full(n, SILENT_AFTER)
    p = data.posts
    if len(p) < 2:
        return wait
    order = np.lexsort((p.time, p.account))
    acc, t = p.account[order], p.time[order]
    same = acc[1:] == acc[:-1]
    gaps, owner = np.diff(t)[same], acc[1:][same]
    if not len(gaps):
        return wait
    by = np.lexsort((gaps, owner))
    gaps, owner = gaps[by], owner[by]
    first = np.searchsorted(owner, np.arange(n))
    count = np.bincount(owner, minlength=n)
    median = np.where(count > 0, gaps[np.minimum(first + count // 2, len(gaps) - 1)], np.inf)
    regular = count >= MIN_GAPS
    return np.where(regular, np.clip(QUIET_GAPS * median, MIN_SILENCE, SILENT_AFTER), wait)


def membership(rows: np.ndarray, cols: np.ndarray, n: int) -> csr_matrix:
    m = csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(n, int(cols.max(initial=-1)) + 1))
    m.data[:] = 1.0  # duplicates summed: back to a 0/1 set
    return m


def member_overlap(m: csr_matrix, i: int, j: int) -> tuple[float, int]:
    """Jaccard similarity and count of the members two rows share."""
    a = set(m.indices[m.indptr[i] : m.indptr[i + 1]].tolist())
    b = set(m.indices[m.indptr[j] : m.indptr[j + 1]].tolist())
    if not a or not b:
        return 0.0, 0
    shared = len(a & b)
    return shared / len(a | b), shared


def overlap_pairs(m: csr_matrix, left: np.ndarray, right: np.ndarray, top: int = 5) -> set[tuple[int, int]]:
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


@dataclass
class Names:
    """Real handles and display names (platform ids dropped: :func:`.identity.real_name`)."""

    handle: list[str | None]
    display_name: list[str | None]

    @classmethod
    def of(cls, data: GraphData) -> Names:
        a = data.accounts
        return cls(
            [real_name(h, i) for h, i in zip(a.handle, a.account_id, strict=True)],
            [real_name(d, i) for d, i in zip(a.display_name, a.account_id, strict=True)],
        )


def name_blocks(data: GraphData, names: Names, pool: np.ndarray) -> set[tuple[int, int]]:
    a = data.accounts
    buckets: dict[str, list[int]] = defaultdict(list)
    for i in pool.tolist():
        skel = handle_skeleton(names.handle[i])
        if len(skel) >= 3:
            buckets["h:" + skel].append(i)
        name = handle_skeleton(names.display_name[i])
        if len(name) >= 3:
            buckets["n:" + name].append(i)
        # exact folded names too: a skeleton shared by many ("Relay 3", "Relay 21") makes a big bucket
        for prefix, text in (("H:", names.handle[i]), ("N:", names.display_name[i])):
            folded = fold(text)
            if len(folded) >= 3:
                buckets[prefix + folded].append(i)
        if a.avatar_pdq[i]:
            buckets["a:" + a.avatar_pdq[i]].append(i)
        if a.avatar_key is not None and a.avatar_key[i]:
            buckets["f:" + a.avatar_key[i]].append(i)
    pairs: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 1 < len(members) <= MAX_BUCKET:
            pairs.update((x, y) if x < y else (y, x) for x, y in combinations(members, 2))
    return pairs


def fuzzy_pairs(names: Names, left: np.ndarray, right: np.ndarray) -> set[tuple[int, int]]:
    """Predecessor/successor pairs with similar folded handles, skeletons or names (transliteration
    variants such as ``leila``/``layla``, edited letters such as ``nrothwind``, escape the exact
    blocks).  All pairs through rapidfuzz's ``cdist`` while the product is small enough; skipped
    beyond :data:`FUZZY_BUDGET` pairs."""
    if not len(left) or not len(right) or len(left) * len(right) > FUZZY_BUDGET:
        return set()
    pairs: set[tuple[int, int]] = set()
    skeletons = [handle_skeleton(h) for h in names.handle]
    for lt, rt in (
        ([fold(names.handle[i]) for i in left.tolist()], [fold(names.handle[j]) for j in right.tolist()]),
        ([skeletons[i] for i in left.tolist()], [skeletons[j] for j in right.tolist()]),
        (
            [fold(names.display_name[i]) for i in left.tolist()],
            [fold(names.display_name[j]) for j in right.tolist()],
        ),
    ):
        scores = process.cdist(lt, rt, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, workers=1)
        for r, c in zip(*np.nonzero(scores), strict=True):
            if lt[r] and rt[c]:
                x, y = int(left[r]), int(right[c])
                pairs.add((min(x, y), max(x, y)))
    return pairs


def post_bounds(data: GraphData) -> tuple[np.ndarray, np.ndarray]:
    """First and last post of each account (inf / -inf without posts)."""
    first = np.full(data.n, np.inf)
    last = np.full(data.n, -np.inf)
    if len(data.posts):
        np.minimum.at(first, data.posts.account, data.posts.time)
        np.maximum.at(last, data.posts.account, data.posts.time)
    return first, last


def candidate_pairs(
    data: GraphData,
    names: Names,
    start: np.ndarray,
    stopped: np.ndarray,
    audience: csr_matrix,
    content: csr_matrix,
    slack: float,
) -> set[tuple[int, int]]:
    """Pairs (lower index first) worth scoring: shared name blocks among active accounts, fuzzy
    names and shared audience or content between accounts that stopped and accounts that started
    after the first stop (less ``slack``), and shared content across platforms."""
    preds = np.flatnonzero(np.isfinite(stopped))
    first_stop = float(stopped[preds].min()) if len(preds) else np.inf
    succs = np.flatnonzero(np.isfinite(start) & (start >= first_stop - slack))
    active = np.flatnonzero(np.isfinite(start))
    candidates = name_blocks(data, names, active) | fuzzy_pairs(names, preds, succs)
    candidates |= {(min(x, y), max(x, y)) for x, y in overlap_pairs(audience, preds, succs)}
    candidates |= {(min(x, y), max(x, y)) for x, y in overlap_pairs(content, preds, succs)}
    platforms = data.accounts.platform
    if len(set(platforms)) > 1:
        candidates |= {
            (min(x, y), max(x, y))
            for x, y in overlap_pairs(content, active, active)
            if platforms[x] != platforms[y]
        }
    return candidates
