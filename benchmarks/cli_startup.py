"""CLI start-up benchmark: ``openiru --help`` and ``openiru stats --json`` against ``import sqlalchemy``.

    .venv/bin/python benchmarks/cli_startup.py [--runs 15] [--json] [--src OTHER/src]

Each command is started ``--runs`` times as a new process (the installed
``openiru`` console script, as a user runs it), the three commands taking turns
so that background load hits them alike.  ``stats --json`` runs on an empty
SQLite database created (and migrated) once before the timing.  The reference,
from the same run, is the same Python interpreter doing nothing but
``import sqlalchemy`` (which every database command needs).  Prints the median
and the fastest wall time of each command and the ratio of the medians to the
reference (target of issue 14: at most 2x), and the same for the CPU time (user +
system) of each process, which background load disturbs less than wall time.
``--src`` runs the openiru package of another checkout (``git archive REV src``)
with the same interpreter, to compare with an older revision in the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from timing import compile_package

BIN = Path(sys.executable).parent
OPENIRU = str(BIN / "openiru")


def commands(db: Path) -> dict[str, list[str]]:
    return {
        'python -c "import sqlalchemy"': [sys.executable, "-c", "import sqlalchemy"],
        "openiru --help": [OPENIRU, "--help"],
        "openiru stats --json (empty SQLite)": [OPENIRU, "stats", "--json", "--db", str(db)],
    }


def time_once(argv: list[str], src: str | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system) of one run of ``argv``."""
    env = None if src is None else {**os.environ, "PYTHONPATH": src}
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    stderr = proc.stderr.read().decode() if proc.stderr else ""
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {stderr[-500:]}")
    return elapsed, usage.ru_utime + usage.ru_stime


def measure(runs: int, src: str | None = None) -> list[dict[str, object]]:
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "empty.db"
        subprocess.run(
            [OPENIRU, "init", "--db", str(db)],
            check=True,
            stdout=subprocess.DEVNULL,
            env=None if src is None else {**os.environ, "PYTHONPATH": src},
        )
        cmds = commands(db)
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in cmds}
        for argv in cmds.values():  # warm the file cache and the byte-code cache
            time_once(argv, src)
        for _ in range(runs):
            for name, argv in cmds.items():
                times[name].append(time_once(argv, src))
    ref = next(iter(times.values()))
    ref_wall, ref_cpu = statistics.median(w for w, _ in ref), statistics.median(c for _, c in ref)
    rows = []
    for name, t in times.items():
        wall, cpu = statistics.median(w for w, _ in t), statistics.median(c for _, c in t)
        rows.append(
            {
                "command": name,
                "runs": len(t),
                "median_s": wall,
                "min_s": min(w for w, _ in t),
                "cpu_s": cpu,
                "ratio": wall / ref_wall,
                "cpu_ratio": cpu / ref_cpu,
            }
        )
    return rows


def main() -> None:
    compile_package()  # bytecode, as an installed package has (timing.compile_package)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="Runs of each command (default 15).")
    parser.add_argument("--json", action="store_true", help="Print the rows as JSON.")
    parser.add_argument("--src", help="Run the openiru package found in this folder (another revision).")
    args = parser.parse_args()
    rows = measure(args.runs, args.src)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    print(f"{'command':38} {'wall median s':>13} {'min s':>6} {'x ref':>6} {'CPU median s':>12} {'x ref':>6}")
    for r in rows:
        print(
            f"{r['command']:38} {r['median_s']:13.3f} {r['min_s']:6.3f} {r['ratio']:5.2f}x"
            f" {r['cpu_s']:12.3f} {r['cpu_ratio']:5.2f}x"
        )
    print(
        f"({args.runs} runs each, alternating; reference: the first row; target: openiru <= 2.00x; "
        f"load average {os.getloadavg()[0]:.1f})"
    )


if __name__ == "__main__":
    main()
