"""Re-score worlds that ``benchmarks/analytics_eval.py --keep`` left on disk, in-process, with the
current analytics code: the same services the CLI's ``accounts``, ``resurgence`` and
``coordination`` call, over each kept world's database, scored against its ground truth.  Seconds
per world instead of a full CLI run (generation, ingest and detection are not repeated).

    .venv/bin/python benchmarks/worlds/rescore.py KEPT_DIR [--reread-x-lookup]

``--reread-x-lookup`` first reads each world's X users look-up (``x/users.jsonl``) again with the
current reader into its database (changing the kept database: copy the folder first), for a reader
change that analytics depend on (account status from the look-up) without a full CLI run.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openiru.services.collect.ingest import ingest_source  # noqa: E402
from openiru.services.graph import analysis as gs  # noqa: E402
from openiru.services.graph.load import load_graph  # noqa: E402
from openiru.sources.twitter import TwitterV2Source  # noqa: E402
from openiru.store.db import open_database  # noqa: E402
from worlds.scoring import score_accounts, score_coordination, score_recreated, summarise  # noqa: E402


def rescore(world: Path, reread_x_lookup: bool = False) -> dict[str, Any]:
    truth = json.loads((world / "ground_truth.json").read_text())
    engine = open_database(f"sqlite:///{world}/openiru.db")
    try:
        lookup = world / "x" / "users.jsonl"
        if reread_x_lookup and lookup.exists():
            ingest_source(engine, TwitterV2Source(lookup), after_batch=())
        row: dict[str, Any] = {"seed": truth["seed"], "scenario": truth["scenario"]}
        row |= score_accounts(gs.key_accounts(engine, 50), truth)
        data = load_graph(engine, with_detection=False)
        row |= score_recreated(
            [x for x in gs.resurgence(engine, data) if x["evidence"]["link"] == "recreated"], truth
        )
        row |= score_coordination(gs.coordination(engine, data=data), truth)
    finally:
        engine.dispose()
    return row


def main(argv: list[str]) -> int:
    reread = "--reread-x-lookup" in argv
    argv = [a for a in argv if a != "--reread-x-lookup"]
    if len(argv) != 1 or not Path(argv[0]).is_dir():
        print(
            "usage: rescore.py KEPT_DIR [--reread-x-lookup] (KEPT_DIR: the --out folder of analytics_eval.py "
            "--keep)",
            file=sys.stderr,
        )
        return 2
    rows = []
    for world in sorted(Path(argv[0]).glob("world-*")):
        if not (world / "scores.json").exists():
            continue
        row = rescore(world, reread)
        rows.append(row)
        print(
            f"| {row['seed']} | {row['p@20']:.2f} | {row['exempt@20']} ({', '.join(row['exempt_roles'])}) | "
            f"{row['recreated_p']:.2f} / {row['recreated_r']:.2f} ({row['recreated_found']}/{row['recreated_planted']}) | "
            f"{row['coordination_p']:.2f} / {row['coordination_r']:.2f} / {row['coordination_f1']:.2f} "
            f"({row['groups_returned']}/{row['groups_planted']}) |",
            flush=True,
        )
    for metric, values in summarise(rows).items():
        print(metric, {k: (round(x, 3) if isinstance(x, float) else x) for k, x in values.items()})
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
