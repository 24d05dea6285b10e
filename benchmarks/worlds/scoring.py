"""Scores of the analytics' JSON output against a world's ground truth (pure functions).

* **Key accounts**: precision@20 = share of the first 20 ranked accounts that are key accounts
  (ringleaders, the organisation's outlets, propagandists: the accounts that originate its content);
  recall of the core accounts (ringleaders) within the first 20; how many exempt accounts (news
  outlet, journalist, researcher, OSINT analyst, monitoring channel, celebrity) are in the first 20.
* **Re-created accounts**: precision and recall of (account, predecessor) links with
  ``evidence.link == "recreated"``.  With no link returned, precision is 1.0 (nothing wrong said).
* **Coordination**: a planted group is found when one returned group has Jaccard >= 0.7 with its
  accounts; a returned group that matches no planted group at >= 0.7 is a false positive.  Returned
  groups with the same account set (one ring seen as co-post and co-hashtag) count once; kinds are
  not compared.  Precision = matching returned groups / returned groups (1.0 when none are
  returned), recall = found / planted, F1 their harmonic mean (1.0 when nothing was planted and
  nothing returned).
"""

from __future__ import annotations

from typing import Any

Key = tuple[str, str]
TOP = 20
JACCARD = 0.7
TARGETS = {
    "p@20": (">=", 0.9),
    "exempt@20": ("<=", 0),
    "recreated_p": (">=", 0.9),
    "recreated_r": (">=", 0.9),
    "coordination_f1": (">=", 0.94),
}


def key(d: dict[str, Any]) -> Key:
    return (str(d["platform"]), str(d["account_id"]))


def pred_key(d: dict[str, Any]) -> Key:
    return (str(d["predecessor_platform"]), str(d["predecessor_account_id"]))


def score_accounts(ranked: list[dict[str, Any]], truth: dict[str, Any], top: int = TOP) -> dict[str, Any]:
    keys = [key(r) for r in ranked[:top]]
    key_set = {key(a) for a in truth["key_accounts"]}
    core = {key(a) for a in truth["core_accounts"]}
    exempt = {key(a): a["role"] for a in truth["exempt_accounts"]}
    hits = sum(k in key_set for k in keys)
    return {
        "p@20": hits / top,
        "core_recall@20": (sum(k in core for k in keys) / len(core)) if core else 1.0,
        "exempt@20": sum(k in exempt for k in keys),
        "exempt_roles": sorted(exempt[k] for k in keys if k in exempt),
        "key_total": len(key_set),
    }


def prf(matched_pred: int, n_pred: int, matched_truth: int, n_truth: int) -> tuple[float, float, float]:
    p = matched_pred / n_pred if n_pred else 1.0
    r = matched_truth / n_truth if n_truth else 1.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


def score_recreated(rows: list[dict[str, Any]], truth: dict[str, Any]) -> dict[str, Any]:
    found = {
        (key(r), pred_key(r)) for r in rows if r.get("evidence", {}).get("link", "recreated") == "recreated"
    }
    planted = {(key(t), pred_key(t)) for t in truth["recreated"]}
    good = len(found & planted)
    p, r, _ = prf(good, len(found), good, len(planted))
    return {
        "recreated_p": p,
        "recreated_r": r,
        "recreated_found": len(found),
        "recreated_planted": len(planted),
        "recreated_false": sorted(found - planted),
    }


def jaccard(a: set[Key], b: set[Key]) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def score_coordination(
    groups: list[dict[str, Any]], truth: dict[str, Any], threshold: float = JACCARD
) -> dict[str, Any]:
    returned = list({frozenset(key(a) for a in g["accounts"]) for g in groups})
    planted = [set(key(a) for a in g["accounts"]) for g in truth["coordination_groups"]]
    good = [any(jaccard(set(r), t) >= threshold for t in planted) for r in returned]
    found = [any(jaccard(set(r), t) >= threshold for r in returned) for t in planted]
    p, r, f = prf(sum(good), len(returned), sum(found), len(planted))
    if not returned and not planted:
        f = 1.0
    return {
        "coordination_p": p,
        "coordination_r": r,
        "coordination_f1": f,
        "groups_returned": len(returned),
        "groups_planted": len(planted),
        "groups_false": len(returned) - sum(good),
        "missed_kinds": sorted(
            g["kind"] for g, ok in zip(truth["coordination_groups"], found, strict=True) if not ok
        ),
    }


def meets(metric: str, value: float) -> bool:
    op, target = TARGETS[metric]
    return value >= target if op == ">=" else value <= target


def summarise(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Mean and worst world per target metric (worst = lowest, or highest for exempt@20)."""
    out: dict[str, dict[str, Any]] = {}
    for metric, (op, target) in TARGETS.items():
        values = [(r[metric], r["seed"]) for r in rows if metric in r]
        if not values:
            continue
        worst = max(values) if op == "<=" else min(values)
        out[metric] = {
            "mean": sum(v for v, _ in values) / len(values),
            "worst": worst[0],
            "worst_seed": worst[1],
            "target": f"{op} {target}",
            "met": meets(metric, worst[0]),
        }
    return out
