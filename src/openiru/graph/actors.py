"""The same actor on several platforms: accounts that are one operator's, for the ranking.

A ringleader active mainly on the group's own Rocket.Chat server or a Mastodon instance is the
same person as the handle on X the seeds sit next to; nothing in the interaction graph joins the
platforms, so without this their closeness to the community is zero.  Two accounts on different
platforms are one actor when a real name agrees (the same folded handle or handle skeleton, or the
same display name; platform ids never count, :func:`.identity.real_name`) and a signal beyond names
agrees too: shared content (a media file, a text, a link), links to the same site (not one that a
fifth of all accounts link to), the same avatar, or an interaction between them.  People share names; names and behaviour together they rarely share.
Names shared by many accounts (more than :data:`MAX_BUCKET`) are too common to say anything.
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations
from urllib.parse import urlsplit

import numpy as np

from .data import ContentKind, GraphData
from .identity import fold, handle_skeleton, pdq_distance, real_name

MAX_BUCKET = 6
MIN_NAME = 4
#: Signals a pair must show: a name and one more.
MIN_SIGNALS = 2
#: A link domain this share of the posting accounts use says nothing about who runs an account.
COMMON_DOMAIN_SHARE = 0.2


def _items_of(data: GraphData, wanted: set[int]) -> tuple[dict[int, set[int]], dict[int, set[str]]]:
    """The content items (media, texts, links) and the link domains each wanted account posted."""
    c = data.content
    keep = np.isin(c.kind, np.asarray((ContentKind.MEDIA, ContentKind.TEXT_NEAR, ContentKind.URL), np.int8))
    account = data.posts.account[c.post[keep]]
    mine = np.isin(account, np.fromiter(wanted, np.int64, count=len(wanted)))
    items: dict[int, set[int]] = defaultdict(set)
    domains: dict[int, set[str]] = defaultdict(set)
    kinds = c.kind[keep][mine].tolist()
    for acc, item, kind in zip(account[mine].tolist(), c.item[keep][mine].tolist(), kinds, strict=True):
        items[acc].add(item)
        if kind == ContentKind.URL:
            domains[acc].add(urlsplit(c.labels[item]).hostname or "")
    return items, domains


def _common_domains(data: GraphData) -> set[str]:
    """Domains more than :data:`COMMON_DOMAIN_SHARE` of the posting accounts link to (big platforms)."""
    c = data.content
    url = c.kind == ContentKind.URL
    if not url.any():
        return set()
    pairs = {
        (int(a), int(i))
        for a, i in zip(data.posts.account[c.post[url]].tolist(), c.item[url].tolist(), strict=True)
    }
    by_domain: dict[str, set[int]] = defaultdict(set)
    for a, i in pairs:
        by_domain[urlsplit(c.labels[i]).hostname or ""].add(a)
    posting = int((np.bincount(data.posts.account, minlength=data.n) > 0).sum())
    return {d for d, accs in by_domain.items() if len(accs) > COMMON_DOMAIN_SHARE * posting}


def same_actor_pairs(data: GraphData) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, b, signals)``: pairs of accounts on different platforms run by one actor, with how many
    signals agree (2..5)."""
    a = data.accounts
    if len(set(a.platform)) < 2:  # one platform: nothing to join
        z = np.zeros(0, np.int64)
        return z, z, z
    handles = [real_name(h, i) if h else None for h, i in zip(a.handle, a.account_id, strict=True)]
    names = [real_name(d, i) if d else None for d, i in zip(a.display_name, a.account_id, strict=True)]
    buckets: dict[str, list[int]] = defaultdict(list)
    for i in range(data.n):
        for prefix, key in (("h:", handle_skeleton(handles[i])), ("n:", fold(names[i]))):
            if len(key) >= MIN_NAME:
                buckets[prefix + key].append(i)
    candidates: set[tuple[int, int]] = set()
    for members in buckets.values():
        if 1 < len(members) <= MAX_BUCKET and len({a.platform[m] for m in members}) > 1:
            candidates.update(
                (x, y) for x, y in combinations(sorted(members), 2) if a.platform[x] != a.platform[y]
            )
    if not candidates:
        z = np.zeros(0, np.int64)
        return z, z, z
    items, domains = _items_of(data, {x for pair in candidates for x in pair})
    common = _common_domains(data)
    e = data.edges
    involved = np.isin(e.src, np.fromiter({x for pair in candidates for x in pair}, np.int64))
    talk = set(zip(e.src[involved].tolist(), e.dst[involved].tolist(), strict=True))
    out = []
    for x, y in sorted(candidates):
        same_handle = bool(handles[x] and handles[y]) and handle_skeleton(handles[x]) == handle_skeleton(
            handles[y]
        )
        same_name = bool(names[x] and names[y]) and fold(names[x]) == fold(names[y])
        distance = pdq_distance(a.avatar_pdq[x], a.avatar_pdq[y])
        behaviour = (
            int(bool(items[x] & items[y]))
            + int(bool((domains[x] & domains[y]) - common))
            + int(distance is not None and distance <= 31)
            + int((x, y) in talk or (y, x) in talk)
        )
        signals = int(same_handle) + int(same_name) + behaviour
        # a name and something beyond names: a handle and a display name are one person's choice
        if signals >= MIN_SIGNALS and behaviour >= 1:
            out.append((x, y, signals))
    arr = np.asarray(out, np.int64).reshape(-1, 3)
    return arr[:, 0], arr[:, 1], arr[:, 2]
