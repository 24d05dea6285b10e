"""The interaction graph: interaction edges plus shared-content edges, aggregated per pair and kind.

Interaction edges (mention, reply, repost, quote, forward) come from the posts; shared-content edges
join an account that posted a media item, text (exact or near-duplicate) or URL to the account that
posted it first (``shared-media``, ``shared-text``, ``shared-url``).  Each aggregated edge has a weight
(how many times) and its first and last time; the graph can be cut to a time window and platforms.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .algorithms import unique_ints
from .data import ContentKind, EdgeCode, GraphData

SHARED_KIND = {
    ContentKind.MEDIA: "shared-media",
    ContentKind.TEXT_EXACT: "shared-text",
    ContentKind.TEXT_NEAR: "shared-text",
    ContentKind.URL: "shared-url",
}
KIND_NAMES = [c.name.lower() for c in EdgeCode] + ["shared-media", "shared-text", "shared-url"]


@dataclass
class InteractionGraph:
    src: np.ndarray
    dst: np.ndarray
    kind: np.ndarray  # index into KIND_NAMES
    weight: np.ndarray
    first: np.ndarray
    last: np.ndarray
    nodes: np.ndarray  # account indices that take part

    def __len__(self) -> int:
        return len(self.src)


def shared_content_pairs(
    data: GraphData, since: float, until: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(later poster, first poster, kind index, time) for every repeat of a shared item."""
    c = data.content
    mask = np.isin(c.kind, np.asarray(list(SHARED_KIND), np.int8))
    post, item, kind = c.post[mask], c.item[mask], c.kind[mask]
    time = data.posts.time[post]
    inside = (time >= since) & (time <= until)
    post, item, kind, time = post[inside], item[inside], kind[inside], time[inside]
    if not len(post):
        z = np.zeros(0, np.int64)
        return z, z, z, np.zeros(0)
    order = np.lexsort((time, item))
    post, item, kind, time = post[order], item[order], kind[order], time[order]
    account = data.posts.account[post].astype(np.int64)
    starts = np.r_[0, np.flatnonzero(np.diff(item)) + 1]
    first = np.repeat(starts, np.diff(np.r_[starts, len(item)]))
    origin = account[first]
    keep = account != origin
    lookup = np.zeros(len(ContentKind), np.int64)
    for k, name in SHARED_KIND.items():
        lookup[k] = KIND_NAMES.index(name)
    return account[keep], origin[keep], lookup[kind[keep]], time[keep]


def interaction_graph(
    data: GraphData,
    since: float | None = None,
    until: float | None = None,
    platforms: set[str] | None = None,
    shared: bool = True,
) -> InteractionGraph:
    lo = -np.inf if since is None else since
    hi = np.inf if until is None else until
    e = data.edges
    inside = (e.time >= lo) & (e.time <= hi)
    src, dst = e.src[inside].astype(np.int64), e.dst[inside].astype(np.int64)
    kind, time = e.code[inside].astype(np.int64), e.time[inside]
    if shared:
        s2, d2, k2, t2 = shared_content_pairs(data, lo, hi)
        src, dst, kind, time = np.r_[src, s2], np.r_[dst, d2], np.r_[kind, k2], np.r_[time, t2]
    if platforms:
        plat = np.asarray(data.accounts.platform)
        ok = np.isin(plat[src], list(platforms)) | np.isin(plat[dst], list(platforms))
        src, dst, kind, time = src[ok], dst[ok], kind[ok], time[ok]
    keep = src != dst
    src, dst, kind, time = src[keep], dst[keep], kind[keep], time[keep]
    n, k = max(data.n, 1), len(KIND_NAMES)
    key = (src * n + dst) * k + kind
    uniq, inverse = np.unique(key, return_inverse=True)
    weight = np.bincount(inverse, minlength=len(uniq)).astype(np.float64)
    first = np.full(len(uniq), np.inf)
    last = np.full(len(uniq), -np.inf)
    np.minimum.at(first, inverse, time)
    np.maximum.at(last, inverse, time)
    pair = uniq // k
    u_src, u_dst = pair // n, pair % n
    nodes = unique_ints(np.r_[u_src, u_dst])
    return InteractionGraph(u_src, u_dst, uniq % k, weight, first, last, nodes)
