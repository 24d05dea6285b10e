"""`openiru scan` of an imported twarc2 file with hash banks, known texts and a 15-term lexicon,
against `openiru ingest` of the same posts, and the retroactive rescan after one more term.

    .venv/bin/python benchmarks/scan_cli.py [--tweets 30000] [--workers 1] [--busy 0] [--src OLD/src]

The posts are the twarc2 export of ``benchmarks/ingest.py`` (30,000 tweets: 36,566 posts,
placeholder words).  Rules, all generated: a PDQ bank of 10,000 random hashes, a URL bank
of 1,000 outlet addresses (a tenth of them linked from posts), 1,000 known texts (half of
them texts of posts in the file, so near-duplicates are found), and a lexicon of 15 terms
in English, Russian and Arabic (words, phrases, a hashtag and an outlet; the Cyrillic and
Arabic ones never occur in these posts).  Each run, on a new SQLite file:

1. ``openiru ingest FILE`` (no rules yet: the reference, the time the posts took to come in);
2. ``openiru bank import`` (PDQ, URL), ``openiru known-texts import``, ``openiru lexicon import``;
3. ``openiru scan --json`` (``OPENIRU_SCAN_WORKERS`` = ``--workers``; 1: one process);
4. ``openiru lexicon import`` of one more term, then ``openiru scan --json`` again: the
   retroactive rescan, and how many posts it scanned (the token index names the posts that
   hold the term's words);
5. ``openiru scan --rescan --json``: every post again with the same rules, the reference for
   step 4, which must leave exactly the same hits and alerts in the database.

Printed: wall and CPU seconds of each command, posts/s, the hits and alerts the scan wrote,
and the ratio of the scan to the ingest (issue 14: no longer than the ingest, at least
10,000 posts/s in one process).  ``--busy`` and ``--src`` as in ``benchmarks/ingest_cli.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import compile_package

sys.path.insert(0, str(Path(__file__).parent))
from ingest import OUT, _accounts, tweet, write_twarc2  # noqa: E402
from ingest_cli import OPENIRU, run  # noqa: E402

TERMS = [
    ("bulletin mirror", "en", "term"),
    ("relay sample", "en", "term"),
    ("Tag7", "en", "hashtag"),
    ("outlet7.example", "en", "outlet"),
    ("statement archive", "en", "term"),
    ("бюллетень", "ru", "term"),
    ("зеркало архива", "ru", "term"),
    ("нейтральный", "ru", "term"),
    ("ретранслятор", "ru", "term"),
    ("образец", "ru", "term"),
    ("نشرة", "ar", "term"),
    ("مرآة الأرشيف", "ar", "term"),
    ("محايد", "ar", "term"),
    ("عينة", "ar", "term"),
    ("بيان", "ar", "term"),
]
NEW_TERM = ("neutral outlet", "en", "term")


def stored_results(url: str) -> tuple[set[tuple[object, ...]], set[tuple[object, ...]]]:
    """Every hit (post, matcher, item, term, span, suppressed) and alert (post, status) in the database."""
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        hits = set(
            db.execute(
                "SELECT platform, post_id, matcher, item_id, term, span_start, span_end, suppressed "
                "FROM detect_hits"
            )
        )
        alerts = set(db.execute("SELECT platform, post_id, status FROM detect_alerts"))
    return hits, alerts


def write_rules(folder: Path, tweets: int, seed: int = 7) -> dict[str, Path]:
    rng = random.Random(seed)
    files = {
        "pdq": folder / "pdq.txt",
        "urls": folder / "urls.txt",
        "known": folder / "known.jsonl",
        "lexicon": folder / "lexicon.csv",
        "new_term": folder / "new_term.csv",
    }
    files["pdq"].write_text("".join(f"{rng.getrandbits(256):064x}\n" for _ in range(10_000)))
    files["urls"].write_text(
        "".join(f"https://outlet{k % 50}.example/a/{k}\n" for k in rng.sample(range(tweets * 10), 1000))
    )
    accounts = _accounts(tweets)
    with open(files["known"], "w", encoding="utf-8") as fh:
        for k in range(1000):
            if k % 2 == 0:
                text = str(tweet(rng.randrange(tweets), 1, accounts)[0]["text"])
            else:
                text = " ".join(f"w{rng.randrange(10**6)}" for _ in range(12))
            fh.write(json.dumps({"id": f"k{k}", "text": text, "language": "en", "label": "bench"}) + "\n")
    header = "term,language,kind,label\n"
    files["lexicon"].write_text(
        header + "".join(f"{t},{lang},{kind},bench\n" for t, lang, kind in TERMS), encoding="utf-8"
    )
    files["new_term"].write_text(header + "{},{},{},bench\n".format(*NEW_TERM), encoding="utf-8")
    return files


def once(path: Path, tmp: Path, files: dict[str, Path], workers: int, src: str | None) -> dict[str, float]:
    url = f"sqlite:///{tmp / f'scan_{os.getpid()}_{len(list(tmp.iterdir()))}.db'}"
    env_src = src
    out: dict[str, float] = {}
    out["ingest_wall"], out["ingest_cpu"], text = run(
        [OPENIRU, "ingest", str(path), "--db", url, "--json"], env_src
    )
    out["posts"] = json.loads(text)[0]["posts"]
    for argv in (
        ["bank", "import", str(files["pdq"]), "--bank", "pdq-bank", "--kind", "pdq"],
        ["bank", "import", str(files["urls"]), "--bank", "url-bank", "--kind", "url"],
        ["known-texts", "import", str(files["known"])],
        ["lexicon", "import", str(files["lexicon"]), "--name", "bench"],
    ):
        run([OPENIRU, *argv, "--db", url], env_src)
    os.environ["OPENIRU_SCAN_WORKERS"] = str(workers)
    out["scan_wall"], out["scan_cpu"], text = run([OPENIRU, "scan", "--json", "--db", url], env_src)
    scanned = json.loads(text)
    out["scan_posts"], out["hits"], out["alerts"] = scanned["posts"], scanned["hits"], scanned["alerts"]
    out["term_wall"], _, _ = run(
        [OPENIRU, "lexicon", "import", str(files["new_term"]), "--name", "bench", "--db", url], env_src
    )
    out["rescan_wall"], out["rescan_cpu"], text = run([OPENIRU, "scan", "--json", "--db", url], env_src)
    rescanned = json.loads(text)
    out["rescan_posts"], out["rescan_hits"] = rescanned["posts"], rescanned["hits"]
    indexed = stored_results(url)
    out["full_wall"], out["full_cpu"], text = run(
        [OPENIRU, "scan", "--rescan", "--json", "--db", url], env_src
    )
    full = json.loads(text)
    out["full_posts"], out["full_hits"], out["full_alerts"] = full["posts"], full["hits"], full["alerts"]
    out["same_results"] = float(stored_results(url) == indexed)
    out["stored_hits"], out["stored_alerts"] = len(indexed[0]), len(indexed[1])
    return out


def main() -> None:
    compile_package()  # bytecode, as an installed package has (timing.compile_package)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tweets", type=int, default=30_000)
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1, help="OPENIRU_SCAN_WORKERS for the scans")
    parser.add_argument("--busy", type=int, default=0, help="spinning processes during the measurement")
    parser.add_argument("--src", help="also run the openiru package under this folder (an older checkout)")
    args = parser.parse_args()
    path = OUT / f"twarc2_{args.tweets}.jsonl"
    if not path.exists():
        write_twarc2(path, args.tweets)
    versions = {"this checkout": None, **({args.src: args.src} if args.src else {})}
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    results: dict[str, list[dict[str, float]]] = {name: [] for name in versions}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            files = write_rules(Path(tmp), args.tweets)
            for _ in range(args.runs):
                for name, src in versions.items():
                    results[name].append(once(path, Path(tmp), files, args.workers, src))
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()
    print(
        f"{path.name}: {args.tweets:,} tweets; runs {args.runs}, scan workers {args.workers}, busy {args.busy}, "
        f"load average now {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'checkout':<22} {'step':<34} {'wall s':>7} {'CPU s':>7} {'posts':>7} {'posts/s':>8} {'hits':>7} "
        f"{'alerts':>7} {'x ingest':>9}"
    )
    for name, values in results.items():
        med = {k: statistics.median(v[k] for v in values) for k in values[0]}
        rows = [
            ("openiru ingest (reference)", med["ingest_wall"], med["ingest_cpu"], med["posts"], "", ""),
            (
                "openiru scan",
                med["scan_wall"],
                med["scan_cpu"],
                med["scan_posts"],
                med["hits"],
                med["alerts"],
            ),
            ("lexicon import (+1 term)", med["term_wall"], 0.0, 0, "", ""),
            (
                "openiru scan (retroactive)",
                med["rescan_wall"],
                med["rescan_cpu"],
                med["rescan_posts"],
                med["rescan_hits"],
                "",
            ),
            (
                "openiru scan --rescan (every post)",
                med["full_wall"],
                med["full_cpu"],
                med["full_posts"],
                med["full_hits"],
                med["full_alerts"],
            ),
        ]
        for step, wall, cpu, posts, hits, alerts in rows:
            rate = f"{posts / wall:>8,.0f}" if posts else f"{'':>8}"
            print(
                f"{name:<22} {step:<34} {wall:>7.2f} {cpu:>7.2f} {int(posts):>7} {rate} {hits!s:>7} "
                f"{alerts!s:>7} {wall / med['ingest_wall']:>8.2f}x"
            )
        print(
            f"{name:<22} retroactive rescan {med['rescan_wall']:.2f} s vs every post {med['full_wall']:.2f} s "
            f"({med['full_wall'] / med['rescan_wall']:.1f}x faster); database after both: "
            f"{int(med['stored_hits'])} hits, {int(med['stored_alerts'])} alerts, same: "
            f"{'yes' if min(v['same_results'] for v in values) == 1 else 'NO'}"
        )
    (OUT / "scan_cli.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
