"""Key-account ranking: who to direct a unit's attention to, and why.

score = affinity x (0.25 + 0.75 x prominence) x stance x exemption, where

* **affinity** (closeness to the recognised community) = personalised PageRank on the endorsement
  graph (reposts, forwards, copies of the same content) restarting at the seeds: analysts' seeds,
  accounts with confirmed or matched content, or, when neither exists, structural seeds (accounts
  whose media and texts others re-upload), blended with the seed density of the account's Leiden
  community;
* **prominence** = weighted activity, propaganda volume, originality, reach and PageRank centrality
  on the whole interaction graph;
* **stance** discounts accounts whose interaction with the community is commentary (mentions, replies,
  quotes: journalists, researchers) rather than endorsement or support received from it;
* **exemption**: analysts' and detection's exemptions (journalistic, research use) near zero a score.

Each account gets a role (originator / amplifier / distributor / bystander) and an evidence record
that breaks the score down into these parts (:mod:`.roles`).
"""

from __future__ import annotations

import time
from dataclasses import replace

import numpy as np

from . import stance as reporting_signals
from .actors import same_actor_pairs
from .algorithms import leiden, pagerank, personalised_pagerank, weighted_matrix
from .data import COMMENTING, ENDORSING, EdgeCode, GraphData, PostCode
from .features import Copies, compute_features, find_copies, log_scale
from .roles import BYSTANDER_AFFINITY, Ranking, assign_roles, main_target, rank_communities, unseen
from .seeds import seed_reset, topic_share, unflagged_where_seen

__all__ = ["Ranking", "assign_roles", "rank_accounts"]

#: Weight of each interaction kind on the interaction graph (attention flows source -> target).
INTERACTION_WEIGHT = {
    EdgeCode.REPOST: 1.0,
    EdgeCode.FORWARD: 1.0,
    EdgeCode.QUOTE: 0.5,
    EdgeCode.REPLY: 0.2,
    EdgeCode.MENTION: 0.2,
}
COPY_WEIGHT = 1.0
#: Originality (own content, and being the first poster of what others pass on) weighs more than
#: volume: an account that posts a lot is not thereby a ringleader.
WEIGHTS_WITH_DETECTION = {
    "activity": 0.05,
    "propaganda_volume": 0.2,
    "originality": 0.35,
    "reach": 0.2,
    "centrality": 0.2,
}
WEIGHTS_STRUCTURAL = {
    "activity": 0.05,
    "propaganda_volume": 0.0,
    "originality": 0.4,
    "reach": 0.25,
    "centrality": 0.3,
}
#: An account whose posts are at least this share pass-ons of others' (reposts, forwards,
#: re-uploads) is an amplifier; it ranks below the account it passes on most.
PASS_ON_SHARE = 0.8
AMPLIFIER_CAP = 0.9
#: score x (AMPLIFIER_FLOOR + (1 - AMPLIFIER_FLOOR) x share of the account's posts that are its own)
AMPLIFIER_FLOOR = 0.25
#: The same actor's account on another platform keeps this share of the actor's prominence.
SAME_ACTOR_SHARE = 0.9
#: Weight of a reciprocated reply/quote/mention exchange in the endorsement graph, per exchange.
CONVERSATION_WEIGHT = 0.5
#: Quotes by accounts this close to the seeds (first pass) pass content on, with this weight.
NEAR_CLOSENESS = 0.2
QUOTE_PASS_ON = 0.5
#: score = affinity x (PROMINENCE_FLOOR + (1 - PROMINENCE_FLOOR) x prominence) x stance x exemption
PROMINENCE_FLOOR = 0.1
#: Largest sub-graph (by closeness) that Leiden partitions; the rest gets no community.
LEIDEN_MAX = 100_000
EXEMPT_FACTOR = 0.02
#: The score of an account far from the community (affinity < BYSTANDER_AFFINITY: a bystander) or of
#: which nothing was collected keeps this share: it ranks below community accounts of similar score.
BYSTANDER_FACTOR = 0.5


def _edge_sum(idx: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(idx, weights=values, minlength=n)


def _spread(values: np.ndarray, a: np.ndarray, b: np.ndarray, share: float = 1.0) -> np.ndarray:
    """Each account of a same-actor pair gets at least ``share`` of the other's value (twice: chains)."""
    out = values.copy()
    for _ in range(2):
        np.maximum.at(out, a, share * out[b])
        np.maximum.at(out, b, share * out[a])
    return out


def _conversations(n: int, src: np.ndarray, dst: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs of accounts that reply to, quote or mention *each other*: a conversation inside a
    community (members of the group's own chat server), where commentary at an account that never
    answers is not.  Weight :data:`CONVERSATION_WEIGHT` x the smaller of the two directions' counts."""
    keep = src != dst
    pairs, counts = np.unique(src[keep].astype(np.int64) * n + dst[keep], return_counts=True)
    a, b = pairs // n, pairs % n
    back = b * n + a
    where = np.searchsorted(pairs, back)
    found = (where < len(pairs)) & (pairs[np.minimum(where, len(pairs) - 1)] == back) & (a < b)
    w = CONVERSATION_WEIGHT * np.minimum(counts[found], counts[where[found]])
    return a[found], b[found], w.astype(np.float64)


def _quote_only_platform(data: GraphData) -> np.ndarray:
    """Accounts on platforms whose edges include quotes but no repost or forward at all."""
    e = data.edges
    names, code = np.unique(np.asarray(data.accounts.platform, dtype=object), return_inverse=True)
    quoted = np.bincount(code[e.src[e.code == EdgeCode.QUOTE]], minlength=len(names)) > 0
    passed = (
        np.bincount(code[e.src[np.isin(e.code, np.asarray(ENDORSING, np.int8))]], minlength=len(names)) > 0
    )
    return (quoted & ~passed)[code] if data.n else np.zeros(0, bool)


def rank_accounts(data: GraphData, copies: Copies | None = None) -> Ranking:
    n = data.n
    clock = _Clock()
    copies = copies if copies is not None else find_copies(data)
    f = compute_features(data, copies)
    clock.lap("features")
    e = data.edges
    kind_weight = np.zeros(len(EdgeCode))
    for code, w in INTERACTION_WEIGHT.items():
        kind_weight[code] = w
    endorsing = np.isin(e.code, np.asarray(ENDORSING, np.int8))
    commenting = np.isin(e.code, np.asarray(COMMENTING, np.int8))

    interaction = weighted_matrix(
        n,
        np.r_[e.src, copies.copier],
        np.r_[e.dst, copies.origin],
        np.r_[kind_weight[e.code], COPY_WEIGHT * copies.weights()],
    )
    pr = pagerank(interaction)
    clock.lap("pagerank")
    del interaction
    # the same actor on several platforms: one identity, joined in the endorsement graph
    same_a, same_b, same_signals = same_actor_pairs(data)
    end_src = np.r_[e.src[endorsing], copies.copier]
    end_dst = np.r_[e.dst[endorsing], copies.origin]
    end_w = np.r_[np.ones(int(endorsing.sum())), copies.weights()]
    talk_a, talk_b, talk_w = _conversations(n, e.src[commenting], e.dst[commenting])
    degree = np.bincount(
        np.r_[end_src, end_dst, talk_a, talk_b], weights=np.r_[end_w, end_w, talk_w, talk_w], minlength=n
    )
    same_w = same_signals / 2.0 * (1.0 + np.sqrt(degree[same_a] * degree[same_b]))
    endorsement = weighted_matrix(
        n,
        np.r_[end_src, talk_a, same_a],
        np.r_[end_dst, talk_b, same_b],
        np.r_[end_w, talk_w, same_w],
        undirected=True,
    )
    signals = {
        "self_description": reporting_signals.self_description(data),
        "commentary": np.where(f.flagged > 0, 1.0 - f.hit_stance, 0.0),
        "own_article_links": reporting_signals.own_article_links(data),
        "framing": reporting_signals.framing(data),
    }
    if data.seeds:  # an analyst's seed is what the analyst says it is
        for key in signals:
            signals[key][list(data.seeds)] = 0.0
    reporting = reporting_signals.combine(signals)
    # passing on a report that names the organisation is not carrying its content: not flagged
    relayed = reporting_signals.relayed_reports(data, reporting)
    if relayed.any():
        posts = replace(data.posts, flag=np.where(relayed, 0.0, data.posts.flag).astype(np.float32))
        f = compute_features(replace(data, posts=posts), copies)
        signals["commentary"] = np.where(f.flagged > 0, 1.0 - f.hit_stance, 0.0)
        if data.seeds:
            signals["commentary"][list(data.seeds)] = 0.0
        reporting = reporting_signals.combine(signals)
    reset, seed_source = seed_reset(data, f)
    reset = reset * (1.0 - reporting)
    ppr = personalised_pagerank(endorsement, reset)
    # quotes by the community's own accounts pass content on (sharing a message into a room of the
    # group's server); quotes by anyone else are commentary: a second pass adds the former
    # On a platform with no reposts or forwards at all (a chat server: Rocket.Chat, Matrix), quoting a
    # message into a room is the only way to pass it on: there every quote passes content on
    quote_only = _quote_only_platform(data)
    near = (_spread(log_scale(ppr * n), same_a, same_b) >= NEAR_CLOSENESS) | quote_only
    quoting = (e.code == EdgeCode.QUOTE) & near[e.src] & (reporting[e.src] < 0.5)
    if quoting.any():
        endorsement = endorsement + weighted_matrix(
            n, e.src[quoting], e.dst[quoting], np.full(int(quoting.sum()), QUOTE_PASS_ON), undirected=True
        )
        ppr = personalised_pagerank(endorsement, reset)
    clock.lap("personalised_pagerank")
    closeness = _spread(log_scale(ppr * n), same_a, same_b)

    members = np.flatnonzero(closeness > 0.05)
    if len(members) > LEIDEN_MAX:
        members = np.sort(np.argsort(-closeness)[:LEIDEN_MAX])
    community = leiden(endorsement, members)
    clock.lap("leiden")
    del endorsement
    community, seed_share = rank_communities(community, reset > 0)
    share_of = np.zeros(len(seed_share) + 1)
    for c, share in seed_share.items():
        share_of[c] = share
    community_part = np.where(community >= 0, share_of[np.maximum(community, 0)], 0.0)
    affinity = 0.75 * closeness + 0.25 * community_part

    own_posts = np.maximum(f.posts, 1.0)
    own_share = np.minimum(f.originals / own_posts, 1.0)
    received = f.amplified_by + f.copied_by
    parts = {
        "activity": 0.7 * log_scale(f.per_day) + 0.3 * log_scale(f.burst),
        "propaganda_volume": log_scale(f.flagged),
        # own content, and above all being the first poster of what others pass on
        "originality": own_share * (0.3 * log_scale(f.originals) + 0.7 * log_scale(received)),
        "reach": 0.8 * log_scale(received) + 0.2 * log_scale(f.followers),
        "centrality": log_scale(pr * n),
    }
    weights = WEIGHTS_WITH_DETECTION if f.flagged.any() else WEIGHTS_STRUCTURAL
    prominence = _spread(sum(weights[k] * parts[k] for k in weights), same_a, same_b, SAME_ACTOR_SHARE)
    parts["closeness_to_seeds"] = closeness
    parts["community"] = community_part

    # Stance: support from and endorsement of the community, versus commentary about it.
    support = _edge_sum(e.dst[endorsing], affinity[e.src[endorsing]], n) + _edge_sum(
        copies.origin, affinity[copies.copier], n
    )
    endorse = _edge_sum(e.src[endorsing], affinity[e.dst[endorsing]], n) + _edge_sum(
        copies.copier, affinity[copies.origin], n
    )
    # replies, quotes and mentions answered in kind are conversation inside the community
    pair = e.src.astype(np.int64) * n + e.dst
    reciprocal = np.sort(np.r_[talk_a * n + talk_b, talk_b * n + talk_a])
    at = np.searchsorted(reciprocal, pair)
    answered = (
        commenting
        & (at < len(reciprocal))
        & (reciprocal[np.minimum(at, max(len(reciprocal) - 1, 0))] == pair)
        if len(reciprocal)
        else np.zeros(len(pair), bool)
    )
    passed_on = commenting & (e.code == EdgeCode.QUOTE) & near[e.src] & (reporting[e.src] < 0.5)
    comment_only = commenting & ~answered & ~passed_on
    endorse = endorse + _edge_sum(e.src[answered | passed_on], affinity[e.dst[answered | passed_on]], n)
    comment = _edge_sum(e.src[comment_only], affinity[e.dst[comment_only]], n)
    signals["outside_audience"] = reporting_signals.outside_audience(data, affinity, BYSTANDER_AFFINITY)
    if data.seeds:
        signals["outside_audience"][list(data.seeds)] = 0.0
    signals["unflagged_outside_audience"] = signals["outside_audience"] * unflagged_where_seen(data, f)
    reporting = reporting_signals.combine(signals)
    stance = (
        (support + endorse + 1.0)
        / (support + endorse + comment + 1.0)
        * (0.5 + 0.5 * f.hit_stance)
        * (1.0 - reporting) ** 2
    )
    hits = f.exempt_hits + (f.flagged > 0)
    exempt_share = np.where(hits > 0, f.exempt_hits / np.maximum(f.exempt_hits + f.flagged, 1e-9), 0.0)
    factor = 1.0 - 0.9 * np.minimum(exempt_share, 1.0)
    factor = np.where(reporting >= reporting_signals.EXEMPT_CLASS, np.minimum(factor, EXEMPT_FACTOR), factor)
    if data.exempt_accounts:
        factor[list(data.exempt_accounts)] = EXEMPT_FACTOR
    score = affinity * (PROMINENCE_FLOOR + (1.0 - PROMINENCE_FLOOR) * prominence) * stance * factor
    # amplifiers (mostly pass-ons of others' posts) rank below the account they pass on most
    passes = (
        np.bincount(
            data.posts.account[np.isin(data.posts.code, (PostCode.REPOST, PostCode.FORWARD))], minlength=n
        )
        + f.copies_made
    )
    # on a platform where quoting is the only way to pass a post on (a chat server), an account whose
    # posts are nearly all quotes and copies is an amplifier too; members who quote in conversation
    # but write most of their posts themselves are not
    quotes = np.bincount(
        data.posts.account[(data.posts.code == PostCode.QUOTE) & quote_only[data.posts.account]], minlength=n
    )
    amplifier = passes + quotes >= PASS_ON_SHARE * own_posts
    passes = np.where(amplifier, passes + quotes, passes)
    # originality over volume: an account's score counts its own share of its posts
    score *= AMPLIFIER_FLOOR + (1.0 - AMPLIFIER_FLOOR) * (1.0 - np.minimum(passes / own_posts, 1.0))
    score *= topic_share(data, f)
    # an account far from the community, or of which the collection holds nothing (no post of its
    # own, none passed on), ranks below the community's accounts of similar score: prominence or
    # closeness alone does not lift it (commentary stance and exemptions are in the score already)
    score[(affinity < BYSTANDER_AFFINITY) | unseen(f)] *= BYSTANDER_FACTOR
    roles = assign_roles(f, affinity, stance, factor)
    target = main_target(n, end_src, end_dst)
    capped = amplifier & (target >= 0)
    score[capped] = np.minimum(score[capped], AMPLIFIER_CAP * score[target[capped]])
    order = np.lexsort((np.arange(n), -score))
    clock.lap("scores_and_roles")
    ranking = Ranking(
        score,
        order,
        roles,
        community,
        parts,
        affinity,
        prominence,
        stance,
        f,
        pr,
        ppr,
        seed_source,
        dict(weights),
        seed_share,
        clock.laps,
    )
    ranking.reporting = dict(signals) | {"reporting": reporting}
    ranking.same_actor = {
        int(x): int(y) for x, y in zip(np.r_[same_a, same_b], np.r_[same_b, same_a], strict=True)
    }
    return ranking


class _Clock:
    """Seconds spent in each step of the ranking (reported by benchmarks/graph.py)."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = now - self._last
        self._last = now
