"""Quality of the network analytics on the demo ecosystem's ground truth.

Runs ``openiru demo`` (unless ``--data DIR`` points at an existing demo output with its database),
then scores, against ``DIR/ground_truth.json``:

* key accounts: precision@k of core propagandists, journalists/researchers in the top 20;
* coordination: groups matched one-to-one to planted groups (Jaccard >= 0.5 of accounts) -> precision,
  recall, F1 (and the same ignoring kinds);
* re-created accounts: precision and recall of (account, predecessor) links; cross-platform links too;
* emerging domains: which planted domains ``platforms --emerging`` raises.

    .venv/bin/python benchmarks/graph_quality.py --seeds 1 2 3 --scale 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from openiru.services import graph as graph_service
from openiru.store.db import open_database

ROOT = Path(__file__).resolve().parent.parent


def _key(d: dict[str, Any]) -> tuple[str, str]:
    return (d["platform"], str(d["account_id"]))


def run_demo(seed: int, scale: float, out: Path) -> str:
    db = f"sqlite:///{out / 'openiru.db'}"
    cmd = [str(ROOT / ".venv/bin/openiru"), "demo", "--seed", str(seed), "--scale", str(scale),
           "--out", str(out), "--db", db]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return db


def match_groups(found: list[tuple[str, set]], truth: list[tuple[str, set]], use_kind: bool) -> tuple[int, int, int]:
    """Greedy one-to-one matching by Jaccard >= 0.5; (true positives, found, planted)."""
    pairs = []
    for i, (fk, fa) in enumerate(found):
        for j, (tk, ta) in enumerate(truth):
            if use_kind and fk != tk:
                continue
            jac = len(fa & ta) / len(fa | ta)
            if jac >= 0.5:
                pairs.append((jac, i, j))
    used_f, used_t, tp = set(), set(), 0
    for _, i, j in sorted(pairs, reverse=True):
        if i not in used_f and j not in used_t:
            used_f.add(i)
            used_t.add(j)
            tp += 1
    return tp, len(found), len(truth)


def prf(tp: int, found: int, planted: int) -> tuple[float, float, float]:
    p = tp / found if found else 0.0
    r = tp / planted if planted else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def evaluate(db: str, truth: dict[str, Any], window: float, min_repeats: int) -> dict[str, Any]:
    engine = open_database(db)
    res: dict[str, Any] = {}
    t = time.perf_counter()
    ranked = graph_service.key_accounts(engine)
    res["rank_s"] = time.perf_counter() - t
    core = {_key(a) for a in truth.get("core_propagandists", [])}
    outsiders = {_key(a) for a in truth.get("journalists", []) + truth.get("researchers", [])}
    keys = [_key(r) for r in ranked]
    for k in (10, 20, 50):
        res[f"p@{k}"] = sum(x in core for x in keys[:k]) / k
    res["outsiders_top20"] = sum(x in outsiders for x in keys[:20])
    res["core"] = len(core)
    t = time.perf_counter()
    groups = graph_service.coordination(engine, window, min_repeats)
    res["coord_s"] = time.perf_counter() - t
    found = [(g["kind"], {_key(a) for a in g["accounts"]}) for g in groups]
    planted = [(g["kind"], {_key(a) for a in g["accounts"]}) for g in truth.get("coordination_groups", [])]
    res["coord_kind"] = prf(*match_groups(found, planted, True))
    res["coord_any"] = prf(*match_groups(found, planted, False))
    res["groups"] = (len(found), len(planted))
    links = graph_service.resurgence(engine)
    rec = {(_key(x), (x["predecessor_platform"], str(x["predecessor_account_id"])))
           for x in links if x["evidence"].get("link") == "recreated"}
    rec_truth = {(_key(x), (x["predecessor_platform"], str(x["predecessor_account_id"])))
                 for x in truth.get("recreated", [])}
    tp = len(rec & rec_truth)
    res["recreated"] = prf(tp, len(rec), len(rec_truth))
    cross = {frozenset({_key(x), (x["predecessor_platform"], str(x["predecessor_account_id"]))})
             for x in links if x["evidence"].get("link") == "cross-platform"}
    cross_truth = {frozenset({_key(x["a"]), _key(x["b"])}) for x in truth.get("cross_platform", [])}
    res["cross"] = prf(len(cross & cross_truth), len(cross), len(cross_truth))
    emerging = {d["domain"] for d in graph_service.platforms(engine, emerging_only=True)}
    planted_domains = set(truth.get("emerging_domains", []))
    res["emerging"] = (sorted(emerging & planted_domains), sorted(emerging - planted_domains),
                       sorted(planted_domains - emerging))
    engine.dispose()
    return res


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--data", type=Path, help="existing demo output (with openiru.db)")
    ap.add_argument("--window", type=float, default=120.0)
    ap.add_argument("--min-repeats", type=int, default=3)
    args = ap.parse_args()
    rows = []
    for seed in ([0] if args.data else args.seeds):
        if args.data:
            out, db = args.data, f"sqlite:///{args.data / 'openiru.db'}"
        else:
            out = Path(tempfile.mkdtemp(prefix=f"graph-quality-{seed}-", dir=ROOT / "benchmarks/out"
                                        if (ROOT / "benchmarks/out").exists() else None))
            db = run_demo(seed, args.scale, out)
        truth = json.loads((out / "ground_truth.json").read_text())
        rows.append((truth.get("seed", seed), evaluate(db, truth, args.window, args.min_repeats)))
    print(f"scale {args.scale}, coordination window {args.window:.0f} s, min repeats {args.min_repeats}")
    print("| seed | core | p@10 | p@20 | p@50 | journalists+researchers in top 20 | coordination P/R/F1 "
          "(kind) | coordination F1 (any kind) | groups found/planted | re-created P/R/F1 | "
          "cross-platform P/R | emerging found / extra / missed | rank s | coordination s |")
    print("|" + "---|" * 15)
    for seed, r in rows:
        ck, ca, rc, cr = r["coord_kind"], r["coord_any"], r["recreated"], r["cross"]
        print(f"| {seed} | {r['core']} | {r['p@10']:.2f} | {r['p@20']:.2f} | {r['p@50']:.2f} | "
              f"{r['outsiders_top20']} | {ck[0]:.2f}/{ck[1]:.2f}/{ck[2]:.2f} | {ca[2]:.2f} | "
              f"{r['groups'][0]}/{r['groups'][1]} | {rc[0]:.2f}/{rc[1]:.2f}/{rc[2]:.2f} | "
              f"{cr[0]:.2f}/{cr[1]:.2f} | {r['emerging'][0]} / {r['emerging'][1]} / {r['emerging'][2]} | "
              f"{r['rank_s']:.1f} | {r['coord_s']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
