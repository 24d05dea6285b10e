"""What a key-account ranking says about each account: the :class:`Ranking` record (scores, their
breakdown, the evidence and the story behind each account's place), its role (originator,
amplifier, distributor, bystander: :func:`assign_roles`) and its community, renumbered by seed
density (:func:`rank_communities`), and the account an amplifier passes on most
(:func:`main_target`, whose score caps its own).  The scores themselves are computed in :mod:`.ranking`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .data import GraphData
from .features import Features

#: Accounts less close to the community than this, or with a commentary stance below this, are
#: bystanders.
BYSTANDER_AFFINITY = 0.15
BYSTANDER_STANCE = 0.4


@dataclass
class Ranking:
    score: np.ndarray
    order: np.ndarray  # account indices, best first
    role: list[str]
    community: np.ndarray  # Leiden label, -1 if none
    parts: dict[str, np.ndarray]  # the score breakdown, each 0..1
    affinity: np.ndarray
    prominence: np.ndarray
    stance: np.ndarray
    features: Features
    pagerank: np.ndarray
    ppr: np.ndarray
    seed_source: str  # "analysts", "detection", "analysts+detection", "structure"
    weights: dict[str, float]
    community_seed_share: dict[int, float]
    timings: dict[str, float] = field(default_factory=dict)
    reporting: dict[str, np.ndarray] = field(default_factory=dict)  # reporting signals (graph/stance.py)
    same_actor: dict[int, int] = field(default_factory=dict)  # account -> its twin on another platform

    def evidence(self, data: GraphData, i: int) -> dict[str, Any]:
        f = self.features
        parts = {k: round(float(v[i]), 4) for k, v in self.parts.items()}
        counts = {
            "posts": int(f.posts[i]),
            "original_posts": int(f.originals[i]),
            "reposts_and_quotes": int(f.reposts[i]),
            "forwards_and_copies": int(f.forwards[i]),
            "posts_per_day": round(float(f.per_day[i]), 3),
            "busiest_day_posts": int(f.burst[i]),
            "flagged_content": round(float(f.flagged[i]), 3),
            "exempt_hits": int(f.exempt_hits[i]),
            "amplified_by": int(f.amplified_by[i]),
            "distinct_amplifiers": int(f.amplifiers[i]),
            "copied_by": round(float(f.copied_by[i]), 2),
            "followers": int(f.followers[i]),
        }
        reasons = [
            f"{k.replace('_', ' ')} {v:.2f}"
            for k, v in sorted(parts.items(), key=lambda kv: -kv[1] * self.weights.get(kv[0], 1.0))[:3]
        ]
        return {
            "score_breakdown": parts,
            "weights": self.weights,
            "affinity": round(float(self.affinity[i]), 4),
            "prominence": round(float(self.prominence[i]), 4),
            "stance": round(float(self.stance[i]), 4),
            "seed": data.seeds.get(i) if i in data.seeds else None,
            "is_seed": i in data.seeds,
            "exemption": data.exempt_accounts.get(i),
            "seed_source": self.seed_source,
            "pagerank": float(self.pagerank[i]),
            "personalised_pagerank": float(self.ppr[i]),
            "community_seed_share": self.community_seed_share.get(int(self.community[i])),
            "reporting": {k: round(float(v[i]), 3) for k, v in self.reporting.items()},
            "same_actor": None
            if i not in self.same_actor
            else {
                "platform": data.accounts.platform[self.same_actor[i]],
                "account_id": data.accounts.account_id[self.same_actor[i]],
            },
            "counts": counts,
            "why": "strongest parts: " + ", ".join(reasons) + "; " + self._story(data, i),
        }

    def _story(self, data: GraphData, i: int) -> str:
        """The account's behaviour in words, from its counts."""
        f = self.features
        said = [f"{self.role[i]}: {int(f.posts[i])} posts ({f.per_day[i]:.1f} a day)"]
        if f.amplified_by[i] or f.copied_by[i]:
            said.append(
                f"passed on {int(f.amplified_by[i])} times by {int(f.amplifiers[i])} accounts, "
                f"re-uploaded {f.copied_by[i]:.0f} times"
            )
        if f.reposts[i] or f.forwards[i]:
            said.append(
                f"{int(f.reposts[i])} reposts/quotes and {f.forwards[i]:.0f} forwards/re-uploads of others"
            )
        if f.flagged[i]:
            said.append(f"flagged content {f.flagged[i]:.1f} (endorsing share of hits {f.hit_stance[i]:.0%})")
        if self.stance[i] < 0.5:
            said.append(f"mostly commentary on the community (stance {self.stance[i]:.2f})")
        if i in data.seeds:
            said.append("marked as a seed" + (f" by {data.seeds[i]}" if data.seeds[i] else ""))
        if i in data.exempt_accounts:
            said.append(f"exempted: {data.exempt_accounts[i]}")
        return "; ".join(said)


def rank_communities(labels: np.ndarray, seeded: np.ndarray) -> tuple[np.ndarray, dict[int, float]]:
    """Renumber communities by seed density (0 = densest) and give each its seed share 0..1."""
    inside = labels >= 0
    if not inside.any():
        return labels, {}
    size = np.bincount(labels[inside])
    seeds = np.bincount(labels[inside & seeded], minlength=len(size))
    density = seeds / np.maximum(size, 1)
    order = np.lexsort((-size, -density))
    new_label = np.empty_like(order)
    new_label[order] = np.arange(len(order))
    relabelled = np.where(inside, new_label[np.maximum(labels, 0)], -1)
    share = {int(new_label[c]): float(min(1.0, 2.0 * np.sqrt(density[c]))) for c in range(len(size))}
    return relabelled, share


def unseen(f: Features) -> np.ndarray:
    """Accounts of which the collection holds nothing: no post of their own and none passed on or
    re-uploaded by others (known only from a look-up, or as the target of mentions and replies)."""
    out: np.ndarray = (f.posts == 0) & (f.amplified_by + f.copied_by == 0)
    return out


def assign_roles(f: Features, affinity: np.ndarray, stance: np.ndarray, factor: np.ndarray) -> list[str]:
    """Originator: others pass its posts on (at least two, at least one per two posts);
    amplifier: mostly reposts and quotes; distributor: mostly forwards and re-uploads or its own
    posts of the community's content; bystander: not close to the community, commentary stance,
    exempted, or nothing of it seen (no post of its own and none of its posts passed on)."""
    received = f.amplified_by + f.copied_by
    posts = np.maximum(f.posts, 1.0)
    originator = received >= np.maximum(2.0, 0.5 * posts)
    amplifier = ~originator & (f.reposts >= 0.5 * posts)
    bystander = (affinity < BYSTANDER_AFFINITY) | (stance < BYSTANDER_STANCE) | (factor < 0.5)
    bystander |= unseen(f)
    role = np.where(originator, "originator", np.where(amplifier, "amplifier", "distributor"))
    role = np.where(bystander, "bystander", role)
    roles: list[str] = role.tolist()
    return roles


def main_target(n: int, src: np.ndarray, dst: np.ndarray) -> np.ndarray:
    """The account each account passes on most (-1 for none)."""
    target = np.full(n, -1, np.int64)
    if not len(src):
        return target
    pairs, counts = np.unique(src.astype(np.int64) * n + dst, return_counts=True)
    order = np.lexsort((-counts, pairs // n))  # by source, most passed-on first
    first = np.r_[True, np.diff(pairs[order] // n) != 0]
    target[pairs[order][first] // n] = pairs[order][first] % n
    return target
