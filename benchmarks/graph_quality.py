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
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from openiru.demo.graph_step import score_against_truth
from openiru.store.db import open_database

ROOT = Path(__file__).resolve().parent.parent


def run_demo(seed: int, scale: float, out: Path) -> str:
    db = f"sqlite:///{out / 'openiru.db'}"
    cmd = [
        str(ROOT / ".venv/bin/openiru"),
        "demo",
        "--seed",
        str(seed),
        "--scale",
        str(scale),
        "--out",
        str(out),
        "--db",
        db,
    ]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return db


def evaluate(
    db: str, truth: dict[str, Any], window: float, min_repeats: int, with_detection: bool
) -> dict[str, Any]:
    engine = open_database(db)
    try:
        return score_against_truth(engine, truth, window, min_repeats, with_detection)
    finally:
        engine.dispose()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--data", type=Path, nargs="+", help="existing demo outputs (each with openiru.db)")
    ap.add_argument("--window", type=float, default=120.0)
    ap.add_argument("--min-repeats", type=int, default=3)
    ap.add_argument(
        "--data-only",
        action="store_true",
        help="rank without detection results (structure, as after a fresh import)",
    )
    ap.add_argument("--keep", action="store_true", help="keep each generated demo under benchmarks/out/")
    args = ap.parse_args()
    rows = []
    runs: list[tuple[int, Path | None]] = (
        [(0, d) for d in args.data] if args.data else [(seed, None) for seed in args.seeds]
    )
    for seed, data_dir in runs:
        if data_dir is not None:
            out, db = data_dir, f"sqlite:///{data_dir / 'openiru.db'}"
        else:
            out = Path(
                tempfile.mkdtemp(
                    prefix=f"graph-quality-{seed}-",
                    dir=ROOT / "benchmarks/out" if (ROOT / "benchmarks/out").exists() else None,
                )
            )
            db = run_demo(seed, args.scale, out)
        truth = json.loads((out / "ground_truth.json").read_text())
        rows.append(
            (
                f"{truth.get('seed', seed)} / {truth.get('scale', args.scale)}",
                evaluate(db, truth, args.window, args.min_repeats, not args.data_only),
            )
        )
        if data_dir is None and not args.keep:  # a generated demo: tens of MB each run
            shutil.rmtree(out, ignore_errors=True)
    print(
        f"scale {args.scale if not args.data else 'of each demo'}, coordination window {args.window:.0f} s, min repeats {args.min_repeats}, "
        f"ranking {'from structure only' if args.data_only else 'with detection results'}"
    )
    print(
        "| seed / scale | core propagandists | p@10 | p@20 | p@50 | journalists+researchers in top 20 | coordination P/R/F1 "
        "(kind) | coordination F1 (any kind) | groups found/planted | re-created P/R/F1 | "
        "cross-platform P/R | emerging found / extra / missed | load s | rank s | coordination s |"
    )
    print("|" + "---|" * 16)
    for seed, r in rows:
        ck, ca, rc, cr = r["coord_kind"], r["coord_any"], r["recreated"], r["cross"]
        print(
            f"| {seed} | {r['core']} | {r['p@10']:.2f} | {r['p@20']:.2f} | {r['p@50']:.2f} | "
            f"{r['outsiders_top20']} | {ck[0]:.2f}/{ck[1]:.2f}/{ck[2]:.2f} | {ca[2]:.2f} | "
            f"{r['groups'][0]}/{r['groups'][1]} | {rc[0]:.2f}/{rc[1]:.2f}/{rc[2]:.2f} | "
            f"{cr[0]:.2f}/{cr[1]:.2f} | {r['emerging'][0]} / {r['emerging'][1]} / {r['emerging'][2]} | "
            f"{r['load_s']:.1f} | {r['rank_s']:.2f} | {r['coord_s']:.2f} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
