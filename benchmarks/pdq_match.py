"""PDQ matching benchmark: OpenIRU's multi-index PDQIndex beside FAISS and python-threatexchange.

For banks of 100,000 and 1,000,000 PDQ hashes (random, and clustered: groups of
near-duplicates), each index answers "every bank hash within distance 31" for the
same queries (half near-duplicates of bank hashes, half unrelated).  Printed per
index: build time, queries per second, memory, recall against FAISS
``IndexBinaryFlat`` (an exhaustive scan, so the exact answer).

* ``openiru``: :class:`openiru.detect.pdq_index.PDQIndex` (16x16-bit multi-index
  hashing, numba kernel over query batches);
* ``faiss-flat``: ``faiss.IndexBinaryFlat.range_search`` (exhaustive);
* ``tx-PDQIndex``: python-threatexchange's ``PDQIndex`` (FAISS ``IndexBinaryMultiHash``
  behind an ID map), queried in batches through its own ``search_with_distance_in_result``.

With ``--cli`` (or ``--cli-only``) it also times ``openiru match --from-file`` of the
queries (20,000 by default) against a 1,000,000-hash bank imported with ``openiru bank
import``, start-up included (the first run builds the memory-mapped bank index, later
runs map it), beside FAISS ``IndexBinaryFlat`` build + range search of the same
queries in the same run, in wall and CPU seconds (the CPU ratio holds better on a
busy machine).

Usage: ``.venv/bin/python benchmarks/pdq_match.py [--sizes 100000 1000000] [--cli | --cli-only]``
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import faiss
import numpy as np
from threatexchange.signal_type.pdq.pdq_index import PDQIndex as TxPDQIndex

from openiru.detect.pdq_index import PDQIndex
from timing import timed

OUT = Path(__file__).parent / "out"
RADIUS = 31


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6


def flip(rng: np.random.Generator, rows: np.ndarray, max_bits: int) -> np.ndarray:
    bits = np.unpackbits(rows, axis=1)
    counts = rng.integers(0, max_bits + 1, size=len(rows))
    for r, k in enumerate(counts):
        bits[r, rng.choice(256, size=int(k), replace=False)] ^= 1
    return np.packbits(bits, axis=1)


def make_bank(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "random":
        return rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    centres = rng.integers(0, 256, size=(n // 100, 32), dtype=np.uint8)
    members = centres[rng.integers(0, len(centres), size=n)]
    # cheap perturbation for large n: xor with sparse random masks (about 16 bits)
    masks = np.packbits(rng.random((n, 256)) < 16 / 256, axis=1)
    return members ^ masks


def make_queries(bank: np.ndarray, q: int, rng: np.random.Generator) -> np.ndarray:
    near = flip(rng, bank[rng.integers(0, len(bank), size=q // 2)], 24)
    far = rng.integers(0, 256, size=(q - q // 2, 32), dtype=np.uint8)
    return np.concatenate([near, far])


def pairs_from_ranges(lims: np.ndarray, ids: np.ndarray) -> set[tuple[int, int]]:
    return {(qi, int(i)) for qi in range(len(lims) - 1) for i in ids[lims[qi] : lims[qi + 1]]}


def bench(kind: str, n: int, n_queries: int, n_slow: int, seed: int = 1) -> list[dict]:
    rng = np.random.default_rng(seed)
    bank = make_bank(kind, n, rng)
    queries = make_queries(bank, n_queries, rng)
    slow = queries[:n_slow]
    rows = []

    # FAISS flat: the exhaustive reference
    before = rss_mb()
    t = time.perf_counter()
    flat = faiss.IndexBinaryFlat(256)
    flat.add(bank)
    build = time.perf_counter() - t
    mem = rss_mb() - before
    t = time.perf_counter()
    lims, _, ids = flat.range_search(slow, RADIUS + 1)  # faiss: distance < radius
    qps = n_slow / (time.perf_counter() - t)
    gold = pairs_from_ranges(lims, ids)
    rows.append(
        {"index": "faiss-flat", "build_s": build, "qps": qps, "mem_mb": mem, "recall": 1.0, "queries": n_slow}
    )
    del flat

    # threatexchange PDQIndex (faiss multi-hash)
    hexes = [bytes(r).hex() for r in bank]
    before = rss_mb()
    t = time.perf_counter()
    tx = TxPDQIndex(entries=zip(hexes, range(n), strict=True))
    build = time.perf_counter() - t
    mem = rss_mb() - before
    q_hex = [bytes(r).hex() for r in slow]
    t = time.perf_counter()
    tx.index.mih_index.nflip = RADIUS // tx.index.mih_index.nhash
    lims, _, ids = tx.index.faiss_index.range_search(slow, RADIUS + 1)
    qps = n_slow / (time.perf_counter() - t)
    found = pairs_from_ranges(lims, ids)
    rows.append(
        {
            "index": "tx-PDQIndex",
            "build_s": build,
            "qps": qps,
            "mem_mb": mem,
            "recall": len(found & gold) / max(len(gold), 1),
            "queries": n_slow,
        }
    )
    del tx, hexes, q_hex

    # OpenIRU
    before = rss_mb()
    t = time.perf_counter()
    ours = PDQIndex(bank)
    build = time.perf_counter() - t
    mem = ours.nbytes / 1e6
    ours.search(queries[:64])  # load the compiled kernel (numba cache) outside the timing
    t = time.perf_counter()
    result = ours.search(queries)
    qps = n_queries / (time.perf_counter() - t)
    keep = result.query < n_slow
    mine = set(zip(result.query[keep].tolist(), result.index[keep].tolist(), strict=True))
    rows.append(
        {
            "index": "openiru",
            "build_s": build,
            "qps": qps,
            "mem_mb": mem,
            "recall": len(mine & gold) / max(len(gold), 1),
            "queries": n_queries,
            "exact": mine == gold,
            "matches": len(gold),
        }
    )
    return rows


def cli_bench(n_bank: int, n_queries: int) -> None:
    """``openiru match --from-file`` (start-up included) beside FAISS ``IndexBinaryFlat`` build + range
    search of the same queries in the same run; wall and CPU seconds for each."""
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    bank = make_bank("random", n_bank, rng)
    queries = make_queries(bank, n_queries, rng)
    bank_file, query_file = OUT / f"bank_{n_bank}.txt", OUT / f"queries_{n_queries}.txt"
    bank_file.write_text("\n".join(bytes(r).hex() for r in bank) + "\n")
    query_file.write_text("\n".join(bytes(r).hex() for r in queries) + "\n")
    db = OUT / "match_bench.db"
    for suffix in ("", "-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    subprocess.run(["rm", "-rf", str(db) + ".cache"], check=True)
    exe = str(Path(sys.executable).with_name("openiru"))
    wall, cpu, _ = timed(
        [
            exe,
            "bank",
            "import",
            str(bank_file),
            "--bank",
            "bench",
            "--kind",
            "pdq",
            "--format",
            "plain",
            "--db",
            str(db),
        ]
    )
    print(f"openiru bank import of {n_bank:,} PDQ hashes: {wall:.1f} s wall, {cpu:.1f} s CPU")
    cpu, t = time.process_time(), time.perf_counter()
    flat = faiss.IndexBinaryFlat(256)
    flat.add(bank)
    lims, _, ids = flat.range_search(queries, RADIUS + 1)  # faiss: distance < radius
    ref_wall, ref_cpu = time.perf_counter() - t, time.process_time() - cpu
    gold = len(ids)
    del flat
    print(
        f"reference: faiss IndexBinaryFlat build + range search, {n_queries:,} queries vs {n_bank:,}: "
        f"{ref_wall:.1f} s wall, {ref_cpu:.1f} s CPU; {gold:,} matches"
    )
    cmd = [exe, "match", "--from-file", str(query_file), "--kind", "pdq", "--json", "--db", str(db)]
    for label in ("first run: builds the mapped index", "later run: maps the index"):
        wall, cpu, out = timed(cmd)
        matched = out.count(b'"distance"')
        print(
            f"openiru match {n_queries:,} hashes vs {n_bank:,} ({label}): {wall:.1f} s wall, {cpu:.1f} s CPU, "
            f"start-up included; {matched:,} matches ({'exact' if matched == gold else 'DIFFERS'}); "
            f"faiss/openiru: {ref_wall / wall:.1f}x wall, {ref_cpu / cpu:.1f}x CPU",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=20_000)
    parser.add_argument("--slow-queries", type=int, default=2_000, help="queries for faiss-flat and PDQIndex")
    parser.add_argument("--cli", action="store_true", help="also time 'openiru match' end to end")
    parser.add_argument("--cli-only", action="store_true", help="only the 'openiru match' row")
    args = parser.parse_args()
    if args.cli_only:
        cli_bench(1_000_000, args.queries)
        return
    print(f"{'bank':>22} {'index':>12} {'build s':>8} {'queries/s':>10} {'memory MB':>10} {'recall':>7}")
    for n in args.sizes:
        for kind in ("random", "clustered"):
            for row in bench(kind, n, args.queries, args.slow_queries):
                print(
                    f"{kind + ' ' + format(n, ','):>22} {row['index']:>12} {row['build_s']:8.2f} "
                    f"{row['qps']:10,.0f} {row['mem_mb']:10.1f} {row['recall']:7.4f}",
                    flush=True,
                )
    if args.cli:
        cli_bench(1_000_000, args.queries)


if __name__ == "__main__":
    main()
