"""Bank import benchmark: ``openiru bank import`` of a plain list of PDQ hashes.

Generates ``--n`` random PDQ hashes (one a line), then times, in the same run:

* reference: parsing the file alone (reading and stripping its lines), and reading
  it record by record with ``openiru.interop.hashlists.read_hash_list``;
* ``openiru bank import --kind pdq`` into a new SQLite database (start-up included);
* the same import again (every hash already there: deduplicated, nothing added);
* with ``--src OLD/src``, both imports also with the openiru package of another checkout
  (``git archive REV src | tar -x -C OLD``), right after this one's, into its own new file.

Wall and CPU seconds (user + system) are printed for each, and the ratio of the
import to the parse-only reference: on a busy machine the CPU figures hold better.

Usage: ``.venv/bin/python benchmarks/bank_import.py [--n 1000000] [--src OLD/src]``
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

from openiru.interop.hashlists import read_hash_list
from timing import timed

OUT = Path(__file__).parent / "out"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="hashes in the list")
    parser.add_argument("--src", help="also run the openiru package under this folder (an older checkout)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"bank_import_{args.n}.txt"
    rng = np.random.default_rng(3)
    path.write_text(
        "\n".join(bytes(r).hex() for r in rng.integers(0, 256, size=(args.n, 32), dtype=np.uint8)) + "\n"
    )

    cpu, t = time.process_time(), time.perf_counter()
    with open(path, encoding="utf-8-sig") as fh:
        lines = [v for v in map(str.strip, fh) if v]
    parse_wall, parse_cpu = time.perf_counter() - t, time.process_time() - cpu
    assert len(lines) == args.n
    print(
        f"reference: parse the file alone ({args.n:,} lines): {parse_wall:.2f} s wall, {parse_cpu:.2f} s CPU"
    )
    cpu, t = time.process_time(), time.perf_counter()
    records = sum(1 for _ in read_hash_list(path, "plain", "pdq"))
    print(
        f"reference: read_hash_list record by record ({records:,}): {time.perf_counter() - t:.2f} s wall, "
        f"{time.process_time() - cpu:.2f} s CPU"
    )

    versions = {"this checkout": None, **({args.src: args.src} if args.src else {})}
    for name, src in versions.items():
        db = OUT / "bank_import_bench.db"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(db) + suffix).unlink(missing_ok=True)
        exe = str(Path(sys.executable).with_name("openiru"))
        cmd = [exe, "bank", "import", str(path), "--bank", "bench", "--kind", "pdq", "--format", "plain"]
        cmd += ["--json", "--db", str(db)]
        for label in ("new bank", "again (all existing)"):
            wall, cpu, out = timed(cmd, src)
            summary = json.loads(out)
            print(
                f"openiru bank import ({name}), {label}: {wall:.2f} s wall, {cpu:.2f} s CPU "
                f"({args.n / wall:,.0f} hashes/s wall); added {summary['added']:,}, "
                f"existing {summary['existing']:,}; import/parse: {wall / parse_wall:.1f}x wall, "
                f"{cpu / parse_cpu:.1f}x CPU",
                flush=True,
            )


if __name__ == "__main__":
    main()
