"""Coordinated behaviour: accounts that post the same content within a short window, repeatedly.

The method of QUT's coordination-network-toolkit (co-post, co-repost, co-link, co-similar-text, and
here co-hashtag too): two accounts are linked when they post the same item within ``window`` seconds
of each other; a link is kept when it holds on at least ``min_repeats`` distinct occasions (distinct
items, or one item pushed again after a day nobody posted it: :data:`OCCASION_GAP`); the groups
are the connected components of the kept links, one kind at a time.  Written here rather than
calling the toolkit because the toolkit reads only Twitter JSON/CSV into its own SQLite file and
works on one platform; this works on the store's arrays across platforms.

A group is reported only when its co-activity is unlikely by chance: a permutation test shuffles
each member's posting times among its own posts (:mod:`.nullmodel`) and the group is kept at a
p-value of at most :data:`.nullmodel.MAX_P_VALUE`, corrected for the number of pairs of accounts
that co-posted at all (each could have been a group: ``pairs_tested``); the test's p-value,
corrected p-value and z-score are in its evidence.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .algorithms import unique_ints
from .data import COORDINATION_KIND, ContentKind, GraphData
from .nullmodel import MAX_P_VALUE, NullTest, permutation_test

#: Defaults: posts within two minutes of each other, shared on at least three distinct items.
DEFAULT_WINDOW = 120.0
DEFAULT_MIN_REPEATS = 3
#: Items posted by more accounts than this inside one window are background noise (a viral link),
#: not a signal of a coordinated group; they are skipped.
MAX_ACCOUNTS_PER_BURST = 500
EVIDENCE_ITEMS = 25
#: Posts of one item are one occasion until nobody posts it for this long (a day; at least the
#: window): the same item pushed together again on another day is a repeat, as a new item is,
#: while one day's stream of it (a news cycle: a crowd quoting one post all afternoon) is one.
OCCASION_GAP = 86400.0


@dataclass
class CoordinationGroup:
    kind: str
    accounts: list[int]
    score: float
    evidence: dict[str, Any] = field(default_factory=dict)


def _kind_groups() -> dict[str, list[ContentKind]]:
    groups: dict[str, list[ContentKind]] = defaultdict(list)
    for content_kind, name in COORDINATION_KIND.items():
        groups[name].append(content_kind)
    return dict(groups)


def _iso(t: float) -> str:
    return np.datetime_as_string(np.datetime64(int(t), "s"), unit="s") + "Z"


def find_coordination(
    data: GraphData,
    window: float = DEFAULT_WINDOW,
    min_repeats: int = DEFAULT_MIN_REPEATS,
    kinds: list[str] | None = None,
    max_p_value: float = MAX_P_VALUE,
) -> list[CoordinationGroup]:
    """Coordinated groups of every kind that chance does not explain (p corrected for the pairs tested
    <= ``max_p_value``), strongest first."""
    found: list[CoordinationGroup] = []
    c = data.content
    for name, content_kinds in _kind_groups().items():
        if kinds and name not in kinds:
            continue
        mask = np.isin(c.kind, np.asarray(content_kinds, np.int8))
        found.extend(
            g
            for g in _groups_of_kind(data, name, c.post[mask], c.item[mask], window, max(1, min_repeats))
            if g.evidence["null_model"]["p_value_corrected"] <= max_p_value
        )
    found = merge_same_accounts(found)
    found.sort(key=lambda g: (-g.score, -len(g.accounts)))
    return found


KIND_PRIORITY = ("co-post", "co-repost", "co-link", "co-similar-text", "co-hashtag")
SAME_GROUP_JACCARD = 0.8


def merge_same_accounts(groups: list[CoordinationGroup]) -> list[CoordinationGroup]:
    """One group per set of accounts: when groups of two kinds hold (nearly) the same accounts
    (Jaccard >= 0.8), the one with more distinct items is kept and the other is named in its
    evidence under ``also``; a group whose accounts lie (80 % or more) inside a larger group is the
    same ring seen through another kind of item, and is named under the larger group's ``also``."""

    def strength(g: CoordinationGroup) -> tuple[int, float, int]:
        return (g.evidence.get("item_count", 0), g.score, -KIND_PRIORITY.index(g.kind))

    def mention(g: CoordinationGroup) -> dict[str, Any]:
        return {
            "kind": g.kind,
            "item_count": g.evidence.get("item_count"),
            "score": g.score,
            "items": g.evidence.get("items", [])[:5],
            "accounts": len(g.accounts),
        }

    kept: list[CoordinationGroup] = []
    for g in sorted(groups, key=strength, reverse=True):
        members = set(g.accounts)
        for n, k in enumerate(kept):
            other = set(k.accounts)
            shared = len(members & other)
            if shared / len(members | other) >= SAME_GROUP_JACCARD:
                k.evidence.setdefault("also", []).append(mention(g))
            elif shared / min(len(members), len(other)) >= SAME_GROUP_JACCARD:
                if len(members) > len(other):  # the larger ring is the group; the part is named in it
                    g.evidence.setdefault("also", []).extend([mention(k), *k.evidence.pop("also", [])])
                    kept[n] = g
                else:
                    k.evidence.setdefault("also", []).append(mention(g))
            else:
                continue
            break
        else:
            kept.append(g)
    return kept


def _groups_of_kind(
    data: GraphData, name: str, posts: np.ndarray, items: np.ndarray, window: float, min_repeats: int
) -> list[CoordinationGroup]:
    if not len(posts):
        return []
    times = data.posts.time[posts]
    order = np.lexsort((times, items))
    posts, items, times = posts[order], items[order], times[order]
    accounts = data.posts.account[posts]
    bounds = np.r_[0, np.flatnonzero(np.diff(items)) + 1, len(items)]
    occasions = _occasions(items, times, max(window, OCCASION_GAP))
    pair_items: dict[tuple[int, int], set[int]] = defaultdict(set)
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        if e - s < 2 or len(np.unique(accounts[s:e])) < 2:
            continue
        t = times[s:e]
        ends = np.searchsorted(t, t + window, side="right")
        for k in range(e - s):
            stop = int(ends[k])
            if stop - k > MAX_ACCOUNTS_PER_BURST:
                continue
            a = int(accounts[s + k])
            for j in range(k + 1, stop):
                b = int(accounts[s + j])
                if a == b:
                    continue
                pair_items[(a, b) if a < b else (b, a)].add(s + k)
                pair_items[(a, b) if a < b else (b, a)].add(s + j)
    n_occasions = {pair: len({int(occasions[o]) for o in occ}) for pair, occ in pair_items.items()}
    strong = {pair: occ for pair, occ in pair_items.items() if n_occasions[pair] >= min_repeats}
    if not strong:
        return []
    members, pairs_by_label = _components(strong, pair_items, n_occasions, occasions, min_repeats)
    kept = {pair: pair_items[pair] for pairs in pairs_by_label.values() for pair in pairs}
    groups = []
    for lab, accs in members.items():
        pairs = pairs_by_label[lab]
        occurrences = sorted({o for pair in pairs for o in kept[pair]})
        group = _group(
            data,
            name,
            sorted(accs),
            pairs,
            kept,
            occurrences,
            posts,
            items,
            occasions,
            times,
            window,
            min_repeats,
        )
        test, public = _null_test(data, accs, accounts, items, times, window, occasions, len(pair_items))
        group.evidence["null_model"] = test.evidence() | {"public_occasions": public}
        groups.append(group)
    return groups


def _occasions(items: np.ndarray, times: np.ndarray, gap: float) -> np.ndarray:
    """Occasion of each occurrence (``items`` sorted, ``times`` sorted within each item): the
    posts of one item form one occasion until the item goes unposted, by anyone, for longer than
    ``gap``; posting it again after that is a new occasion.  A ring that pushes one text together
    again on another day acts together again, as it does on a new text; copies of one push, and a
    text posted without pause by a crowd, stay one occasion."""
    if not len(items):
        return np.zeros(0, np.int64)
    new = np.r_[True, (np.diff(items) != 0) | (np.diff(times) > gap)]
    return np.cumsum(new) - 1


def _components(
    strong: dict[tuple[int, int], set[int]],
    pair_items: dict[tuple[int, int], set[int]],
    n_occasions: dict[tuple[int, int], int],
    occasions: np.ndarray,
    min_repeats: int,
) -> tuple[dict[int, list[int]], dict[int, list[tuple[int, int]]]]:
    """Groups: connected components of the strong links (pairs together on ``min_repeats``
    occasions or more: :func:`_occasions`), then rings whose members each take part in only some of
    the posts: a component and an account (or two components) are joined when the pairs between
    them that repeat (two occasions or more) together cover ``min_repeats`` distinct occasions, and
    at least half the members of the smaller side are in such a pair (an account joining a ring
    always is): the smaller part acts with the other as a whole.  Two rings that each hold together
    on their own (strong links inside) and share their leader's post once are two rings, even when
    two of their 100 cross pairs happen to meet again.  Only components with a strong link grow,
    so a crowd posting about the same public events never starts a group."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in strong:
        parent[find(a)] = find(b)
    weak = [pair for pair, k in n_occasions.items() if 2 <= k < min_repeats]
    for _ in range(3):
        seeded = {find(a) for pair in strong for a in pair}
        size: dict[int, int] = defaultdict(int)
        for x in parent:
            size[find(x)] += 1
        between: dict[tuple[int, int], set[int]] = defaultdict(set)
        touched: dict[tuple[int, int], set[int]] = defaultdict(set)
        for a, b in weak:
            ra, rb = find(a), find(b)
            if ra != rb and (ra in seeded or rb in seeded):
                key = (min(ra, rb), max(ra, rb))
                between[key].update(int(occasions[o]) for o in pair_items[(a, b)])
                touched[key].update((a, b))
        joined = [
            (ra, rb)
            for (ra, rb), got in between.items()
            if len(got) >= min_repeats
            and 2 * len({x for x in touched[(ra, rb)] if find(x) == (ra if size[ra] <= size[rb] else rb)})
            >= min(size[ra], size[rb])
        ]
        for ra, rb in joined:
            parent[find(ra)] = find(rb)
        if not joined:
            break
    members: dict[int, list[int]] = defaultdict(list)
    for a in sorted(parent):
        members[find(a)].append(a)
    pairs_by_label: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for pair in list(strong) + weak:
        if pair[0] in parent and pair[1] in parent and find(pair[0]) == find(pair[1]):
            pairs_by_label[find(pair[0])].append(pair)
    members = {lab: accs for lab, accs in members.items() if len(accs) > 1}
    return members, pairs_by_label


def _null_test(
    data: GraphData,
    accs: list[int],
    accounts: np.ndarray,
    items: np.ndarray,
    times: np.ndarray,
    window: float,
    occasions: np.ndarray,
    pairs_tested: int = 1,
) -> tuple[NullTest, int]:
    """The permutation test on the group's posts of the items two or more of its accounts posted,
    each account's times drawn from its whole activity (all its posts), except on a public
    occasion (:func:`_public_occasions`), where they are drawn from the times of the item's posts
    then.  Also returns how many of the group's occasions were public."""
    mine = np.isin(accounts, np.asarray(accs))
    acc, itm, t = accounts[mine], items[mine], times[mine]
    pairs = unique_ints(itm.astype(np.int64) * (int(acc.max(initial=0)) + 1) + acc)
    item_of_pair = pairs // (int(acc.max(initial=0)) + 1)
    shared_items, counts = np.unique(item_of_pair, return_counts=True)
    keep = np.isin(itm, shared_items[counts >= 2])
    pool = np.isin(data.posts.account, np.asarray(accs))
    occ = occasions[mine][keep]
    public = _public_occasions(accs, accounts, occasions, np.unique(occ))
    start = np.where(np.isin(occ, public), np.searchsorted(occasions, occ, side="left"), -1)
    size = np.searchsorted(occasions, occ, side="right") - np.searchsorted(occasions, occ, side="left")
    test = permutation_test(
        acc[keep],
        itm[keep],
        t[keep],
        window,
        data.posts.account[pool],
        data.posts.time[pool],
        pairs_tested=pairs_tested,
        public=(start, size, times),
    )
    return test, len(public)


def _public_occasions(
    accs: list[int], accounts: np.ndarray, occasions: np.ndarray, candidates: np.ndarray
) -> np.ndarray:
    """The occasions (of ``candidates``) on which the item had a public beyond the group: more other
    accounts posted it then than members did (a match's live link posted by a crowd of 35, two of
    whom are the group).  There the members are taken for members of that public: the null model
    draws their times from the item's posts on that occasion, so the crowd's own rush (everyone
    posting in the minutes after the whistle) is not counted as the group's doing."""
    members = np.asarray(accs)
    public = []
    for o in candidates:
        there = np.unique(
            accounts[np.searchsorted(occasions, o) : np.searchsorted(occasions, o, side="right")]
        )
        inside = int(np.isin(there, members).sum())
        if len(there) - inside > inside:
            public.append(int(o))
    return np.asarray(public, np.int64)


def _group(
    data: GraphData,
    name: str,
    accs: list[int],
    pairs: list[tuple[int, int]],
    strong: dict[tuple[int, int], set[int]],
    occurrences: list[int],
    posts: np.ndarray,
    items: np.ndarray,
    occasions: np.ndarray,
    times: np.ndarray,
    window: float,
    min_repeats: int,
) -> CoordinationGroup:
    size = len(accs)
    density = len(pairs) / (size * (size - 1) / 2)
    repeats = [len({int(occasions[o]) for o in strong[p]}) for p in pairs]
    mean_repeats = float(np.mean(repeats))
    score = round(
        density * (1.0 - np.exp(-mean_repeats / (2.0 * min_repeats))) * (1.0 - np.exp(-size / 3.0)), 4
    )
    by_item: dict[int, list[int]] = defaultdict(list)
    for o in occurrences:
        by_item[int(items[o])].append(o)
    labels = data.content.labels
    p = data.posts
    evidence_items = []
    for item, occ in sorted(by_item.items(), key=lambda kv: -len(kv[1]))[:EVIDENCE_ITEMS]:
        evidence_items.append(
            {
                "item": labels[item] if item < len(labels) else str(item),
                "posts": [
                    {
                        "platform": p.platform[int(posts[o])] if p.platform else None,
                        "post_id": p.post_id[int(posts[o])] if p.post_id else None,
                        "account_id": data.accounts.account_id[int(p.account[posts[o]])],
                        "time": _iso(float(times[o])),
                    }
                    for o in occ
                ],
            }
        )
    span = [float(times[occurrences].min()), float(times[occurrences].max())]
    return CoordinationGroup(
        name,
        accs,
        float(score),
        {
            "items": evidence_items,
            "item_count": len(by_item),
            "occasion_count": len({int(occasions[o]) for o in occurrences}),
            "pairs": len(pairs),
            "density": round(density, 4),
            "mean_repeats": round(mean_repeats, 3),
            "window_seconds": window,
            "min_repeats": min_repeats,
            "first": _iso(span[0]),
            "last": _iso(span[1]),
        },
    )
