"""Modus-operandi figures (pure): survival curves and the effect of takedowns.

* :func:`survival` — Kaplan-Meier estimate of how long something lasts (referred content
  until removal, accounts until suspension) with right-censoring for what is still there,
  through ``scipy.stats.ecdf`` on ``CensoredData``.
* :func:`takedown_effect` — for each removed account, its posting volume, reach (reposts,
  forwards, quotes, replies and mentions received) and audience (followers) in a window before
  its removal, against those of the accounts that re-created it in the same window after,
  on the old platform and where it re-appeared; and the re-creation rate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np


def survival(
    durations: Sequence[float], observed: Sequence[bool], at: Sequence[float] | None = None
) -> dict[str, Any]:
    """Kaplan-Meier survival of ``durations`` (seconds); ``observed[i]`` False = still there at
    ``durations[i]`` (censored).  Median survival (None when the curve stays above 0.5) and the
    survival probability at each of ``at``."""
    from scipy.stats import CensoredData, ecdf

    d = np.asarray(durations, dtype=float)
    o = np.asarray(observed, dtype=bool)
    n, events = int(d.size), int(o.sum())
    if n == 0:
        return {"n": 0, "events": 0, "censored": 0, "median_s": None, "times_s": [], "survival": [], "at": []}
    if events == 0:
        points = [1.0 for _ in (at or [])]
        return {
            "n": n,
            "events": 0,
            "censored": n,
            "median_s": None,
            "times_s": [],
            "survival": [],
            "at": [{"t_s": t, "survival": p} for t, p in zip(at or [], points, strict=True)],
        }
    res = ecdf(CensoredData(uncensored=d[o], right=d[~o])).sf
    times, probs = res.quantiles.tolist(), res.probabilities.tolist()
    below = [t for t, p in zip(times, probs, strict=True) if p <= 0.5]
    return {
        "n": n,
        "events": events,
        "censored": n - events,
        "median_s": below[0] if below else None,
        "times_s": times,
        "survival": [round(p, 4) for p in probs],
        "at": [{"t_s": t, "survival": round(float(res.evaluate(t)), 4)} for t in (at or [])],
    }


@dataclass(slots=True)
class Removed:
    """A removed account: when, its own activity before, its re-creations' activity after."""

    platform: str
    account_id: str
    removed_at: float  # epoch seconds
    posts_before: int
    reach_before: int
    audience_before: int
    successors: list[dict[str, Any]] = field(default_factory=list)  # {platform, posts, reach, audience}


def takedown_effect(removed: list[Removed]) -> dict[str, Any]:
    """Totals before and after, per (old platform -> new platform) and the re-creation rate."""
    recreated = [r for r in removed if r.successors]
    flows: dict[tuple[str, str], dict[str, int]] = {}
    for r in recreated:
        for s in r.successors:
            f = flows.setdefault(
                (r.platform, s["platform"]),
                {"accounts": 0, "posts_after": 0, "reach_after": 0, "audience_after": 0},
            )
            f["accounts"] += 1
            f["posts_after"] += int(s["posts"])
            f["reach_after"] += int(s["reach"])
            f["audience_after"] += int(s["audience"])

    def total(key: str, rs: list[Removed]) -> int:
        return sum(int(getattr(r, key)) for r in rs)

    after = {k: sum(int(s[k]) for r in removed for s in r.successors) for k in ("posts", "reach", "audience")}
    before = {
        "posts": total("posts_before", removed),
        "reach": total("reach_before", removed),
        "audience": total("audience_before", removed),
    }
    return {
        "removed_accounts": len(removed),
        "recreated_accounts": len(recreated),
        "recreation_rate": round(len(recreated) / len(removed), 4) if removed else None,
        "before": before,
        "after": after,
        "retained": {k: (round(after[k] / before[k], 4) if before[k] else None) for k in before},
        "flows": [{"from": a, "to": b, **v} for (a, b), v in sorted(flows.items())],
    }


def transfers(before: dict[str, float], after: dict[str, float]) -> dict[tuple[str, str], float]:
    """Flows between two weeks' shares (each summing to the same total, e.g. 100 %): what a
    platform keeps stays (``min(before, after)``), and what the shrinking platforms lose goes to
    the growing ones in proportion to what each gains.  An estimate from the shares, not a
    tracing of accounts across platforms."""
    flows: dict[tuple[str, str], float] = {}
    names = sorted(set(before) | set(after))
    loss = {p: before.get(p, 0.0) - min(before.get(p, 0.0), after.get(p, 0.0)) for p in names}
    gain = {p: after.get(p, 0.0) - min(before.get(p, 0.0), after.get(p, 0.0)) for p in names}
    gained = sum(gain.values())
    for p in names:
        kept = min(before.get(p, 0.0), after.get(p, 0.0))
        if kept > 0:
            flows[(p, p)] = kept
    for a in names:
        for b in names:
            if loss[a] > 0 and gain[b] > 0 and gained > 0:
                flows[(a, b)] = loss[a] * gain[b] / gained
    return flows
