"""Network analytics' demo step and its scoring against the demo's ground truth.

Registered under ``openiru.demo_steps``; :func:`score_against_truth` is also what
``benchmarks/graph_quality.py`` prints: precision@k of core propagandists (and journalists or
researchers in the top 20), coordinated groups matched one-to-one (Jaccard of accounts >= 0.5),
re-created and cross-platform links, emerging domains.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..graph.ranking import rank_accounts
from ..services.graph import analysis as graph_service
from ..services.graph.load import load_graph

Key = tuple[str, str]


def _key(d: dict[str, Any]) -> Key:
    return (d["platform"], str(d["account_id"]))


def _pred(d: dict[str, Any]) -> Key:
    return (d["predecessor_platform"], str(d["predecessor_account_id"]))


def match_groups(
    found: list[tuple[str, set[Key]]], planted: list[tuple[str, set[Key]]], use_kind: bool
) -> tuple[int, int, int]:
    """Greedy one-to-one matching by Jaccard >= 0.5: (matched, found, planted)."""
    pairs = []
    for i, (fk, fa) in enumerate(found):
        for j, (tk, ta) in enumerate(planted):
            if use_kind and fk != tk:
                continue
            jaccard = len(fa & ta) / len(fa | ta)
            if jaccard >= 0.5:
                pairs.append((jaccard, i, j))
    used_f: set[int] = set()
    used_t: set[int] = set()
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
    return len(used_f), len(found), len(planted)


def prf(matched: int, found: int, planted: int) -> tuple[float, float, float]:
    p = matched / found if found else 0.0
    r = matched / planted if planted else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_against_truth(
    engine: sa.Engine,
    truth: dict[str, Any],
    window: float = 120.0,
    min_repeats: int = 3,
    with_detection: bool = True,
) -> dict[str, Any]:
    """Scores of every analysis; ``with_detection=False`` ranks from structure alone."""
    res: dict[str, Any] = {}
    t = time.perf_counter()
    data = load_graph(engine, with_detection=with_detection)
    res["load_s"] = time.perf_counter() - t
    t = time.perf_counter()
    ranking = rank_accounts(data)
    ranked = graph_service.key_accounts(engine, loaded=(data, ranking))
    res["rank_s"] = time.perf_counter() - t
    core = {_key(a) for a in truth.get("core_propagandists", [])}
    outsiders = {_key(a) for a in truth.get("journalists", []) + truth.get("researchers", [])}
    keys = [_key(r) for r in ranked]
    for k in (10, 20, 50):
        res[f"p@{k}"] = sum(x in core for x in keys[:k]) / k
    res["outsiders_top20"] = sum(x in outsiders for x in keys[:20])
    res["core"] = len(core)
    t = time.perf_counter()
    groups = graph_service.coordination(engine, window, min_repeats, data=data)
    res["coord_s"] = time.perf_counter() - t
    found = [(g["kind"], {_key(a) for a in g["accounts"]}) for g in groups]
    planted = [(g["kind"], {_key(a) for a in g["accounts"]}) for g in truth.get("coordination_groups", [])]
    res["coord_kind"] = prf(*match_groups(found, planted, True))
    res["coord_any"] = prf(*match_groups(found, planted, False))
    res["groups"] = (len(found), len(planted))
    links = graph_service.resurgence(engine, data=data)
    recreated = {(_key(x), _pred(x)) for x in links if x["evidence"].get("link") == "recreated"}
    recreated_truth = {(_key(x), _pred(x)) for x in truth.get("recreated", [])}
    res["recreated"] = prf(len(recreated & recreated_truth), len(recreated), len(recreated_truth))
    cross = {frozenset({_key(x), _pred(x)}) for x in links if x["evidence"].get("link") == "cross-platform"}
    cross_truth = {frozenset({_key(x["a"]), _key(x["b"])}) for x in truth.get("cross_platform", [])}
    res["cross"] = prf(len(cross & cross_truth), len(cross), len(cross_truth))
    # emerging domains from detection results where there are any, as the command does
    domains = graph_service.platforms(
        engine, emerging_only=True, loaded=(data, ranking) if with_detection else None
    )
    emerging = {d["domain"] for d in domains}
    planted_domains = set(truth.get("emerging_domains", []))
    res["emerging"] = (
        sorted(emerging & planted_domains),
        sorted(emerging - planted_domains),
        sorted(planted_domains - emerging),
    )
    return res


def demo_step(engine: sa.Engine, out: Path, truth: dict[str, Any]) -> list[str]:
    r = score_against_truth(engine, truth)
    ck, rc, cr = r["coord_kind"], r["recreated"], r["cross"]
    return [
        f"analytics: key accounts precision@20 {r['p@20']:.2f} (core propagandists), "
        f"journalists/researchers in top 20: {r['outsiders_top20']}",
        f"analytics: coordination groups {r['groups'][0]} found / {r['groups'][1]} planted, "
        f"P {ck[0]:.2f} R {ck[1]:.2f} F1 {ck[2]:.2f}",
        f"analytics: re-created accounts P {rc[0]:.2f} R {rc[1]:.2f}; cross-platform links recall {cr[1]:.2f}",
        f"analytics: emerging domains {', '.join(r['emerging'][0]) or 'none'}"
        + (f"; missed {', '.join(r['emerging'][2])}" if r["emerging"][2] else ""),
    ]
