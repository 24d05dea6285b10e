"""`openiru ingest` of a twarc2 file into a new SQLite file, against plain ``json.loads`` of its lines.

    .venv/bin/python benchmarks/ingest_cli.py [--tweets 100000] [--runs 3] [--busy 2] [--src OLD/src]

The file is the twarc2 export of ``benchmarks/ingest.py`` (``--tweets`` tweets in pages
of 100, with ``includes.users``, ``includes.tweets`` and ``includes.media``; 100,000 tweets
give 121,892 posts, 132 MB), written once under ``benchmarks/out/``.  Each run starts the
installed ``openiru`` console script as a user would (``openiru ingest FILE --db
sqlite:///NEW --json``: start-up, migrations of the new file, the reading child process,
the ingest hooks and the closing edge resolution included), and, taking turns with it,
the reference: the same interpreter reading the file and calling the standard library's
``json.loads`` on every line (orjson's time is printed beside it).  Printed: the median
wall and CPU seconds of each (the reference: of the parsing loop alone), posts per second,
and the ratios to the reference in wall and in CPU time (issue 14: at least 20,000 posts/s
and at most 6x ``json.loads``; on a shared machine the CPU ratio is the steadier one).

Detection at ingest: the new database has no banks, lexicons or model, so the detect hook
finds nothing to do before reading starts and the posts do not travel to it (the output
says so); ``--rules`` imports a 15-term lexicon first, so that every batch is scanned.

``--busy N`` keeps N processes spinning on the CPU during the whole measurement (the
reference included): the figure "when the machine is busy".  ``--src`` also runs the
openiru package of another checkout (``git archive REV src | tar -x -C OLD``) with the same
interpreter, taking turns, to compare with an older revision under the same load.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import compile_package

sys.path.insert(0, str(Path(__file__).parent))
from ingest import OUT, write_twarc2  # noqa: E402

BIN = Path(sys.executable).parent
OPENIRU = str(BIN / "openiru")
REFERENCE = """
import json, sys, time
import orjson
with open(sys.argv[1], "rb") as fh:
    lines = fh.read().splitlines()
t, c = time.perf_counter(), time.process_time()
for line in lines:
    json.loads(line)
stdlib, stdlib_cpu = time.perf_counter() - t, time.process_time() - c
t, c = time.perf_counter(), time.process_time()
for line in lines:
    orjson.loads(line)
print(stdlib, stdlib_cpu, time.perf_counter() - t, time.process_time() - c)
"""
LEXICON = "term,language,kind,label\n" + "".join(
    f"{t},{lang},term,bench\n"
    for t, lang in [
        ("placeholderx", "en"),
        ("bulletinx", "en"),
        ("noticex", "en"),
        ("neutralx", "en"),
        ("archivex", "en"),
        ("плейсхолдер", "ru"),
        ("бюллетень", "ru"),
        ("уведомление", "ru"),
        ("архивный", "ru"),
        ("нейтральный", "ru"),
        ("نموذجي", "ar"),
        ("نشرة", "ar"),
        ("إشعار", "ar"),
        ("أرشيف", "ar"),
        ("محايد", "ar"),
    ]
)


def run(argv: list[str], src: str | None = None) -> tuple[float, float, str]:
    """Wall and CPU seconds of ``argv`` (user + system, its own children included: the
    importer's reading process), and its output."""
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[-800:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, proc.stdout.decode()


def ingest_once(path: Path, tmp: Path, rules: bool, src: str | None) -> tuple[float, float, int, str]:
    db = tmp / f"ingest_{time.monotonic_ns()}.db"
    url = f"sqlite:///{db}"
    if rules:
        lexicon = tmp / "lexicon.csv"
        lexicon.write_text(LEXICON, encoding="utf-8")
        run([OPENIRU, "lexicon", "import", str(lexicon), "--db", url], src)
    wall, cpu, out = run([OPENIRU, "ingest", str(path), "--db", url, "--json"], src)
    summary = json.loads(out)[0]
    return wall, cpu, int(summary["posts"]), url


def main() -> None:
    compile_package()  # bytecode, as an installed package has (timing.compile_package)
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tweets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="spinning processes during the measurement")
    parser.add_argument(
        "--rules", action="store_true", help="import a 15-term lexicon first (detection runs)"
    )
    parser.add_argument("--src", help="also run the openiru package under this folder (an older checkout)")
    args = parser.parse_args()
    path = OUT / f"twarc2_{args.tweets}.jsonl"
    if not path.exists():
        write_twarc2(path, args.tweets)
    spinners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(args.busy)]
    versions = {"openiru (this checkout)": None, **({f"openiru ({args.src})": args.src} if args.src else {})}
    results: dict[str, list[tuple[float, float, int]]] = {"json.loads": [], "orjson.loads": []}
    results.update({name: [] for name in versions})
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for _ in range(args.runs):
                ref_wall, ref_cpu, out = run([sys.executable, "-c", REFERENCE, str(path)])
                stdlib, stdlib_cpu, fast, fast_cpu = (float(x) for x in out.split())
                results["json.loads"].append((stdlib, stdlib_cpu, 0))
                results["orjson.loads"].append((fast, fast_cpu, 0))
                for name, src in versions.items():
                    wall, cpu, posts, _ = ingest_once(path, Path(tmp), args.rules, src)
                    results[name].append((wall, cpu, posts))
    finally:
        for proc in spinners:
            proc.kill()
            proc.wait()
    print(
        f"{path.name}: {path.stat().st_size / 1e6:.0f} MB, {args.tweets:,} tweets; runs {args.runs}, "
        f"busy {args.busy}, load average now {os.getloadavg()[0]:.1f}; detection at ingest: "
        f"{'yes (15-term lexicon)' if args.rules else 'no rules in the new database (detect hook idle)'}"
    )
    ref = statistics.median(r[0] for r in results["json.loads"])
    ref_cpu = statistics.median(r[1] for r in results["json.loads"])
    print(
        f"{'what':<40} {'wall s':>8} {'CPU s':>8} {'posts':>9} {'posts/s':>9} {'x json.loads':>13} "
        f"{'CPU x json.loads':>17}"
    )
    rows = []
    for name, values in results.items():
        wall = statistics.median(v[0] for v in values)
        cpu = statistics.median(v[1] for v in values)
        posts = values[0][2]
        rate = f"{posts / wall:>9,.0f}" if posts else f"{'':>9}"
        print(
            f"{name:<40} {wall:>8.2f} {cpu:>8.2f} {posts or '':>9} {rate} {wall / ref:>12.1f}x "
            f"{cpu / ref_cpu:>16.1f}x"
        )
        rows.append(
            {
                "what": name,
                "wall_s": wall,
                "cpu_s": cpu,
                "posts": posts,
                "x_json_loads": wall / ref,
                "walls": [v[0] for v in values],
            }
        )
    (OUT / "ingest_cli.json").write_text(
        json.dumps({"busy": args.busy, "rules": args.rules, "rows": rows}, indent=1)
    )


if __name__ == "__main__":
    main()
