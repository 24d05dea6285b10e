"""Whether a coordinated group's co-activity is more than chance: a permutation test.

The null model keeps everything about each account but the link between *what* it posted and
*when*: each account's own posting times are shuffled among its own posts of the items in question
(its rhythm, its volume, its active hours and days all stay), and the group's co-activity is
counted again.  Accounts that post the same items at the same moments because they act together
lose that in almost every shuffle; accounts that are merely busy at the same hours (two heavy
posters of a popular hashtag set) keep about as much co-activity as they had, and the test says so.
On an occasion where the item had a public beyond the group (more other accounts posted it then
than members did: a match's live link, a storm warning), a member's post of it takes a time drawn
from that public's posts of it instead: members of a crowd that all post in the minutes after the
whistle meet by the crowd's doing, and the test keeps that.

Statistic: pairs of posts of one item by two different accounts of the group within the window.
``p = (1 + shuffles at least as co-active) / (1 + shuffles)``; ``z = (observed - mean) / sd``.

A group is one of many pairs looked at: every pair of accounts that posted one item within the
window even once could have turned into a group, and among hundreds of such pairs (a public event's
crowd, two monitoring channels that each archive every release) a few meet three times by chance.
So the group's chance is also corrected for how many pairs were tested (Bonferroni):
``p_value_corrected = max(p, pairs_tested x P(Poisson(mean) >= observed))`` (:func:`chance_tail`;
the Poisson tail reaches below the shuffles' resolution of 1 / (1 + SHUFFLES)), and the group is
reported only when that is at most :data:`MAX_P_VALUE`: two accounts that met three times where
0.2 meetings were expected, among 78 pairs, are explained (0.08); a ring of four that met 30 times
where 0.6 were expected is not (1e-37).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

import numpy as np

#: Shuffles per group: the smallest p-value possible is 1 / (1 + SHUFFLES) = 0.005.
SHUFFLES = 199
#: A group is reported only when chance explains its co-activity this rarely (the p-value corrected
#: for the pairs tested at most this).
MAX_P_VALUE = 0.01


@dataclass
class NullTest:
    observed: int
    expected: float
    z: float
    p_value: float
    shuffles: int
    #: Pairs of accounts looked at (every pair that posted one item within the window at least once).
    pairs_tested: int = 1
    #: Chance that some group among those pairs shows co-activity this far above its expectation.
    p_value_corrected: float = 0.0

    def evidence(self) -> dict[str, float | int | str]:
        return {
            "co_occurrences": self.observed,
            "expected_by_chance": round(self.expected, 3),
            "z": round(self.z, 2) if np.isfinite(self.z) else 1e9,
            "p_value": round(self.p_value, 4),
            "shuffles": self.shuffles,
            "pairs_tested": self.pairs_tested,
            "p_value_corrected": float(f"{self.p_value_corrected:.3g}"),
            "model": "times shuffled within each account",
        }


def poisson_tail(observed: int, expected: float) -> float:
    """P(X >= observed) for X ~ Poisson(expected): the chance of this many co-occurrences where the
    null model expects ``expected`` (rare coincidences add up to a Poisson count)."""
    if observed <= 0:
        return 1.0
    lam = max(expected, 1e-12)
    if observed <= lam:
        return 1.0
    log_terms = []
    k = observed
    while True:
        log_terms.append(-lam + k * math.log(lam) - math.lgamma(k + 1))
        if log_terms[-1] < log_terms[0] - 40.0 or k > observed + 10000:
            break
        k += 1
    top = max(log_terms)
    return min(1.0, math.exp(top) * sum(math.exp(t - top) for t in log_terms))


def chance_tail(observed: int, null: np.ndarray) -> float:
    """P(co-occurrences >= ``observed``) by chance, beyond what the shuffles can resolve: coincidences
    are rare events, so their count is Poisson with the shuffles' mean (known no finer than one
    co-occurrence in all the shuffles); where the shuffles vary more than a Poisson count (a
    coincidence on an item several members posted is several pairs at once), counted in clumps of
    the dispersion var/mean (quasi-Poisson), which only makes the tail heavier."""
    mean = max(float(null.mean()) if len(null) else 0.0, 1.0 / (1.0 + len(null)))
    dispersion = max(1.0, float(null.var()) / mean) if len(null) else 1.0
    return poisson_tail(int(observed // dispersion), mean / dispersion)


def co_occurrences(account: np.ndarray, item: np.ndarray, time: np.ndarray, window: float) -> int:
    """Pairs of posts of one item by two different accounts at most ``window`` seconds apart.

    ``account`` and ``item`` are small local integers (0..k-1)."""
    if len(time) < 2:
        return 0
    t = time - time.min()
    stride = float(t.max()) + 2.0 * window + 1.0
    # one number line per item (and per account and item): windows never cross from one to the next
    key = np.sort(t + item * stride)
    everyone = int((np.searchsorted(key, key + window, side="right") - np.arange(len(key)) - 1).sum())
    own_key = np.sort(t + (item + account * (int(item.max()) + 1)) * stride)
    own = int((np.searchsorted(own_key, own_key + window, side="right") - np.arange(len(own_key)) - 1).sum())
    return everyone - own


def permutation_test(
    account: np.ndarray,
    item: np.ndarray,
    time: np.ndarray,
    window: float,
    pool_account: np.ndarray | None = None,
    pool_time: np.ndarray | None = None,
    shuffles: int = SHUFFLES,
    pairs_tested: int = 1,
    public: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> NullTest:
    """Co-activity of the posts given (the group's posts of its shared items) against the null model.

    ``pool_account``/``pool_time``: every post of the group's accounts (their whole activity), from
    which each account's shuffled times are drawn; by default the posts given.  ``public``: for each
    post given, where the item had a public on that occasion, the start and size of its posts' times
    in the third array (start -1 elsewhere): such a post's time is drawn from those instead."""
    if pool_account is None or pool_time is None:
        pool_account, pool_time = account, time
    accounts, acc = np.unique(account, return_inverse=True)
    _, itm = np.unique(item, return_inverse=True)
    observed = co_occurrences(acc, itm, time, window)
    inside = np.isin(pool_account, accounts)
    pool_acc = np.searchsorted(accounts, pool_account[inside])
    pool_t = pool_time[inside]
    order = np.argsort(pool_acc, kind="stable")
    pool_acc, pool_t = pool_acc[order], pool_t[order]
    pool_start = np.searchsorted(pool_acc, np.arange(len(accounts)))
    pool_size = np.bincount(pool_acc, minlength=len(accounts))
    # the k-th post (in input order) of each account takes the k-th time of its shuffled activity
    grouped = np.argsort(acc, kind="stable")
    rank = np.empty(len(acc), np.int64)
    rank[grouped] = np.arange(len(acc)) - np.searchsorted(acc[grouped], acc[grouped])
    slot = pool_start[acc] + rank % np.maximum(pool_size[acc], 1)
    # repeatable: the generator is seeded by the group's posts
    if public is None:
        public = (np.full(len(acc), -1, np.int64), np.zeros(len(acc), np.int64), np.zeros(0))
    public_start, public_size, public_time = public
    crowd = public_start >= 0
    n_crowd = int(crowd.sum())
    rng = np.random.default_rng(zlib.crc32(np.ascontiguousarray(np.sort(time)).tobytes()))
    null = np.empty(shuffles)
    for s in range(shuffles):
        shuffled = pool_t[np.lexsort((rng.random(len(pool_acc)), pool_acc))]  # each account's times reordered
        drawn = shuffled[slot]
        if crowd.any():  # a member of an item's public posts it at one of the public's times
            drawn[crowd] = public_time[
                public_start[crowd] + (rng.random(n_crowd) * public_size[crowd]).astype(np.int64)
            ]
        null[s] = co_occurrences(acc, itm, drawn, window)
    mean, sd = float(null.mean()), float(null.std())
    z = (observed - mean) / sd if sd > 0 else (np.inf if observed > mean else 0.0)
    p = (1.0 + float((null >= observed).sum())) / (1.0 + shuffles)
    corrected = min(1.0, max(p, chance_tail(observed, null) * max(1, pairs_tested)))
    return NullTest(observed, mean, float(z), p, shuffles, max(1, pairs_tested), corrected)
