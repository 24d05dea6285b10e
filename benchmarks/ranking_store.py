"""Key accounts over a store of a million posts, from the database (issue 14, ranking row).

Writes (or reuses) a SQLite store of ``--posts`` posts with ``benchmarks/graph.py``'s
``write_posts_db`` (a tenth as many accounts; originals, near-duplicate campaign copies, reposts,
replies, URLs, hashtag sets, mentions, media), then times, in the same run, each in a child process:

* ``openiru accounts --json --top 100 --db STORE``: start-up, loading the store into arrays,
  the ranking and the JSON records, as a user waits for them;
* reference: reading the columns the load reads (posts and edges, the same ``ORDER BY``) with
  Python's ``sqlite3`` module alone (``fetchall``), no conversion at all.

Wall and CPU seconds (user + system) and the peak resident memory of each child are printed with
the ratio to the reference: on a busy machine the CPU figures hold better.  The store is only read.

Usage: ``.venv/bin/python benchmarks/ranking_store.py [--posts 1000000] [--store PATH]``
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path(__file__).parent / "out"
READ = """
import sqlite3, sys
con = sqlite3.connect(sys.argv[1])
posts = con.execute("SELECT platform, post_id, account_id, timestamp, text, urls, hashtags, reply_to, repost_of, "
                    "quote_of, forward_from, forward_from_name, mentions FROM posts ORDER BY timestamp").fetchall()
edges = con.execute("SELECT platform, source_account_id, target_platform, target_account_id, kind, time "
                    "FROM edges WHERE target_account_id IS NOT NULL").fetchall()
print(len(posts), len(edges))
"""


def child(cmd: list[str]) -> tuple[float, float, float, bytes]:
    """Wall seconds, CPU seconds (user + system), peak resident MB and output of one command."""
    with tempfile.TemporaryFile() as out:
        t = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"{cmd[0]} failed with exit status {proc.returncode}")
        out.seek(0)
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024.0, out.read()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000, help="posts in the generated store")
    parser.add_argument(
        "--store", type=Path, help="the store's file (default benchmarks/out/graph_posts_N_s1.db)"
    )
    args = parser.parse_args()
    store = args.store or OUT / f"graph_posts_{args.posts}_s1.db"
    if not store.exists():
        sys.path.insert(0, str(Path(__file__).parent))
        from graph import write_posts_db

        store.parent.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        write_posts_db(str(store) + ".tmp", args.posts)
        os.replace(str(store) + ".tmp", store)
        print(f"wrote {store} in {time.perf_counter() - t:.0f} s")
    exe = str(Path(sys.executable).with_name("openiru"))
    wall, cpu, peak, out = child([exe, "accounts", "--json", "--top", "100", "--db", str(store)])
    records = json.loads(out)
    ref_wall, ref_cpu, ref_peak, ref_out = child([sys.executable, "-c", READ, str(store)])
    n_posts, n_edges = map(int, ref_out.split())
    print(f"store {store.name}: {n_posts:,} posts, {n_edges:,} resolved edges")
    print(
        f"reference: sqlite3 fetchall of the posts' and edges' columns: {ref_wall:.2f} s wall, {ref_cpu:.2f} s CPU, "
        f"peak {ref_peak:,.0f} MB"
    )
    print(
        f"openiru accounts --json --top 100: {wall:.2f} s wall, {cpu:.2f} s CPU, peak {peak:,.0f} MB "
        f"({wall / ref_wall:.1f}x wall, {cpu / ref_cpu:.1f}x CPU of the reference); "
        f"top: {[r['account_id'] for r in records[:5]]}"
    )
    print(f"target <= 10 s and <= 2,048 MB: {'met' if wall <= 10 and peak <= 2048 else 'NOT met'}")


if __name__ == "__main__":
    main()
