"""Scenario-randomised evaluation of the network analytics (issue 10): key accounts, re-created
accounts and coordination on worlds the analytics were not tuned on.

Each world (``benchmarks/worlds``, a generator separate from ``openiru demo``) is written in the real
export formats, then the real pipeline runs through the CLI, as a unit would run it::

    openiru ingest ...            (twarc2 pages + users look-up, Telegram export, Rocket.Chat, Mastodon)
    openiru bank import / lexicon import / known-texts import, openiru scan   (when the world has them)
    openiru seed add ...          (when the world has analysts' seeds)
    openiru accounts --json; openiru resurgence --json; openiru coordination --json

and the JSON is scored against the world's ground truth (``worlds/scoring.py``).  Prints a table per
world and the mean and the WORST world per metric beside the targets.

    .venv/bin/python benchmarks/analytics_eval.py --worlds 20 --seed 1
    .venv/bin/python benchmarks/analytics_eval.py --seeds 2 5 8 17 --jobs 2   (chosen worlds)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from worlds import write_world  # noqa: E402
from worlds.scoring import TARGETS, score_accounts, score_coordination, score_recreated, summarise  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OPENIRU = ROOT / ".venv" / "bin" / "openiru"


class StepFailed(RuntimeError):
    pass


def cli(args: list[str], db: str) -> str:
    """Run ``openiru ARGS --db DB``; its standard output (a failure raises with its stderr)."""
    exe = str(OPENIRU) if OPENIRU.exists() else "openiru"
    done = subprocess.run([exe, *args, "--db", db], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise StepFailed(f"openiru {' '.join(args)}: exit {done.returncode}: {done.stderr.strip()[-500:]}")
    return done.stdout


def run_pipeline(out: Path, truth: dict[str, Any]) -> tuple[dict[str, Any], dict[str, float]]:
    """Import, detect (as the world's assets allow), seed, and read the three analyses as JSON."""
    db = f"sqlite:///{out / 'openiru.db'}"
    times: dict[str, float] = {}
    t = time.perf_counter()
    errors = 0
    by_call: dict[tuple[str, str | None], list[str]] = {}
    for item in truth["ingest"]:
        by_call.setdefault((item["format"], item["platform"]), []).append(str(out / item["path"]))
    for (fmt, platform), paths in by_call.items():
        args = ["ingest", *paths, "--format", fmt, "--json"] + (["--platform", platform] if platform else [])
        for summary in json.loads(cli(args, db)):
            errors += summary["errors_total"]
    times["ingest"] = time.perf_counter() - t
    t = time.perf_counter()
    files = truth["files"]
    if "hash_list" in files:
        cli(["bank", "import", str(out / files["hash_list"]), "--bank", "world-images"], db)
    if "lexicon" in files:
        cli(["lexicon", "import", str(out / files["lexicon"]), "--name", "world"], db)
    if "known_texts" in files:
        cli(["known-texts", "import", str(out / files["known_texts"])], db)
    scan = (
        json.loads(cli(["scan", "--json"], db))
        if {"hash_list", "lexicon", "known_texts"} & set(files)
        else {}
    )
    if "seeds" in files:
        for line in (out / files["seeds"]).read_text("utf-8").splitlines()[1:]:
            platform, account_id = line.split(",", 1)
            cli(["seed", "add", platform, account_id, "--note", "analyst's seed"], db)
    times["detect"] = time.perf_counter() - t
    t = time.perf_counter()
    result = {
        "accounts": json.loads(cli(["accounts", "--json", "--top", "50"], db)),
        "resurgence": json.loads(cli(["resurgence", "--json"], db)),
        "coordination": json.loads(cli(["coordination", "--json"], db)),
        "ingest_errors": errors,
        "hits": scan.get("hits", 0),
    }
    times["analytics"] = time.perf_counter() - t
    return result, times


def evaluate_world(seed: int, base: Path, quick: bool, keep: bool) -> dict[str, Any]:
    out = base / f"world-{seed:03d}"
    if out.exists():
        shutil.rmtree(out)
    t = time.perf_counter()
    truth = write_world(seed, out, quick)
    gen_s = time.perf_counter() - t
    try:
        result, times = run_pipeline(out, truth)
    except (StepFailed, ValueError) as exc:  # a command failed or printed no JSON
        return {"seed": seed, "scenario": truth["scenario"], "short": truth["short"], "failed": str(exc)}
    row: dict[str, Any] = {
        "seed": seed,
        "scenario": truth["scenario"],
        "short": truth["short"],
        "posts": truth["posts"],
        "ingest_errors": result["ingest_errors"],
        "hits": result["hits"],
        "generate_s": gen_s,
        **times,
    }
    row |= score_accounts(result["accounts"], truth)
    row |= score_recreated(result["resurgence"], truth)
    row |= score_coordination(result["coordination"], truth)
    (out / "scores.json").write_text(json.dumps(row, indent=1, default=str), "utf-8")
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return row


def print_table(rows: list[dict[str, Any]]) -> None:
    print(
        "| world | home, X presence, platforms, assets | posts | ingest errors | hits | p@20 | core in top 20 | exempt in top 20 "
        "| re-created P / R (found/planted) | coordination P / R / F1 (returned/planted) | seconds |"
    )
    print("|" + "---|" * 11)
    for r in rows:
        if "failed" in r:
            print(f"| {r['seed']} | {r['short']} | FAILED: {r['failed']} |" + " |" * 8)
            continue
        exempt = f"{r['exempt@20']}" + (f" ({', '.join(r['exempt_roles'])})" if r["exempt_roles"] else "")
        secs = r["generate_s"] + r["ingest"] + r["detect"] + r["analytics"]
        print(
            f"| {r['seed']} | {r['short']} | {r['posts']} | {r['ingest_errors']} | {r['hits']} "
            f"| {r['p@20']:.2f} | {r['core_recall@20']:.2f} | {exempt} "
            f"| {r['recreated_p']:.2f} / {r['recreated_r']:.2f} ({r['recreated_found']}/{r['recreated_planted']}) "
            f"| {r['coordination_p']:.2f} / {r['coordination_r']:.2f} / {r['coordination_f1']:.2f} "
            f"({r['groups_returned']}/{r['groups_planted']}) | {secs:.0f} |"
        )


def print_scenarios(rows: list[dict[str, Any]]) -> None:
    print()
    for r in rows:
        print(f"- world {r['seed']}: {r['scenario']}")


def print_summary(summary: dict[str, dict[str, Any]], rows: list[dict[str, Any]]) -> None:
    print()
    print("| metric | mean | worst | worst world | target | met on the worst world |")
    print("|---|---|---|---|---|---|")
    names = {
        "p@20": "key accounts precision@20",
        "exempt@20": "exempt accounts in top 20",
        "recreated_p": "re-created links precision",
        "recreated_r": "re-created links recall",
        "coordination_f1": "coordination F1",
    }
    for metric in TARGETS:
        if metric in summary:
            s = summary[metric]
            print(
                f"| {names[metric]} | {s['mean']:.2f} | {s['worst']:.2f} | {s['worst_seed']} | {s['target']} "
                f"| {'yes' if s['met'] else 'NO'} |"
            )
    failed = [r["seed"] for r in rows if "failed" in r]
    if failed:
        print(f"\nworlds whose pipeline failed: {failed}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--worlds", type=int, default=20, help="number of worlds (default 20)")
    ap.add_argument("--seed", type=int, default=1, help="seed of the first world (then seed+1, ...)")
    ap.add_argument(
        "--seeds", type=int, nargs="+", help="these worlds' seeds instead (a reduced run over chosen worlds)"
    )
    ap.add_argument("--out", type=Path, help="folder for the worlds (default a temporary folder)")
    ap.add_argument("--keep", action="store_true", help="keep each world's exports, database and scores")
    ap.add_argument("--quick", action="store_true", help="small worlds (a few hundred posts)")
    ap.add_argument("--jobs", type=int, default=1, help="worlds evaluated at the same time")
    ap.add_argument("--json", action="store_true", help="print the rows and summary as JSON")
    args = ap.parse_args()
    base = args.out or Path(tempfile.mkdtemp(prefix="analytics-eval-"))
    base.mkdir(parents=True, exist_ok=True)
    seeds = args.seeds or list(range(args.seed, args.seed + args.worlds))
    started = time.perf_counter()
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        rows = list(pool.map(lambda s: evaluate_world(s, base, args.quick, args.keep), seeds))
    good = [r for r in rows if "failed" not in r]
    summary = summarise(good)
    if args.json:
        print(json.dumps({"worlds": rows, "summary": summary}, indent=1, default=str))
    else:
        named = " ".join(map(str, seeds)) if args.seeds else f"{seeds[0]}..{seeds[-1]}"
        print(
            f"{len(seeds)} worlds, seeds {named}{' (quick)' if args.quick else ''}, "
            f"{time.perf_counter() - started:.0f} s"
        )
        print_table(rows)
        print_scenarios(rows)
        print_summary(summary, rows)
    if args.out is None and not args.keep:
        shutil.rmtree(base, ignore_errors=True)
    return 1 if len(good) < len(rows) else 0


if __name__ == "__main__":
    sys.exit(main())
