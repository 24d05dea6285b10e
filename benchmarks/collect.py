"""Live collection benchmark: posts/s per connector against the local fakes, and the latency
from a post appearing on a fake server to its alert in the triage queue.

    .venv/bin/python benchmarks/collect.py [--posts 2000] [--latency-runs 30] [--json]

Each connector reads ``--posts`` items from the fake server of the tests
(``tests/collect_support.py``: Python's threaded HTTP server, in this process, so its own
cost is part of every figure) into a fresh SQLite database, through the import path with
the registered ingest hooks (detection with a one-term lexicon that every post matches,
so every post raises an alert).  The reference row, from the same run, imports the same
Mastodon statuses from a JSON file (``ingest_path``): the cost of collecting over HTTP
page by page against reading an export.  Latency: a status is added to the fake Mastodon
server, one poll is run (``collect_target``) and the clock stops when its alert is in
``detect_alerts``; p50/p99 over ``--latency-runs``.  For polling connectors the poll
interval (``watch add --every``) adds to this figure; there is no streaming connector yet.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from collect_support import FakeServer, message, status, tweet  # noqa: E402
from openiru.services.collect.ingest import default_hooks, ingest_path  # noqa: E402
from openiru.services.collect.runner import build_connector, collect_target  # noqa: E402
from openiru.services.detect.banks import import_lexicon  # noqa: E402
from openiru.sources.connectors.base import Target  # noqa: E402
from openiru.sources.connectors.polite import Backoff  # noqa: E402
from openiru.store.db import open_database  # noqa: E402
from openiru.store.tables_detect import detect_alerts  # noqa: E402


def fresh_db(folder: Path, name: str) -> sa.Engine:
    engine = open_database(f"sqlite:///{folder / name}.db")
    lexicon = folder / "lexicon.txt"
    lexicon.write_text("placeholder\n", encoding="utf-8")
    import_lexicon(engine, lexicon)
    return engine


def alerts(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(sa.select(sa.func.count()).select_from(detect_alerts)).scalar_one())


def timed_collect(engine: sa.Engine, target: Target, env: dict[str, str], **options: Any) -> tuple[int, float]:
    hooks = default_hooks(engine)
    start = time.perf_counter()
    result = collect_target(engine, build_connector(target, env=env, backoff=Backoff(), max_pages=10_000,
                                                    **options), hooks=hooks)
    elapsed = time.perf_counter() - start
    if result.errors:
        raise SystemExit(f"{target}: {result.errors}")
    return result.new_posts, elapsed


def throughput(folder: Path, posts: int) -> list[dict[str, Any]]:
    rows = []
    env = {"OPENIRU_ROCKETCHAT_USER": "collector", "OPENIRU_ROCKETCHAT_PASSWORD": "s3cret-pass-word",
           "OPENIRU_X_BEARER_TOKEN": "x-bearer-token-1", "OPENIRU_FETCH_ALLOW": "127.0.0.1"}
    with FakeServer() as fake:
        fake.add_statuses(range(1, posts + 1))
        fake.messages = [message(n) for n in range(1, posts + 1)]
        fake.tweets = [tweet(n) for n in range(1, posts + 1)]
        fake.feed_items = [(f"g{n}", f"Placeholder notice {n}") for n in range(1, min(posts, 500) + 1)]
        os.environ["OPENIRU_FETCH_ALLOW"] = "127.0.0.1"
        cases = [("mastodon (Mastodon.py)", Target("mastodon", "public", fake.url), {}),
                 ("rocketchat (rocketchat_API)", Target("rocketchat", "channel:general", fake.url), {}),
                 ("x (twarc)", Target("x", "search:placeholder", fake.url), {}),
                 ("feed (feedparser + WARC)", Target("feed", f"{fake.url}/feed.xml"), {"warc_dir": folder / "warc"})]
        for _name, target, options in cases:  # warm-up, untimed: imports, lexicon and language models
            scratch = fresh_db(folder, f"warm-{target.connector}")
            collect_target(scratch, build_connector(target, env=env, max_pages=1, **options),
                           hooks=default_hooks(scratch))
            scratch.dispose()
        for name, target, options in cases:
            engine = fresh_db(folder, target.connector)
            stored, elapsed = timed_collect(engine, target, env, **options)
            rows.append({"connector": name, "posts": stored, "alerts": alerts(engine), "seconds": round(elapsed, 3),
                         "posts_per_s": round(stored / elapsed, 1)})
            engine.dispose()
    export = folder / "statuses.json"
    export.write_text(json.dumps([status(n, "fedi.example") for n in range(1, posts + 1)]), encoding="utf-8")
    engine = fresh_db(folder, "reference")
    start = time.perf_counter()
    summary = ingest_path(engine, export, "mastodon")
    elapsed = time.perf_counter() - start
    rows.append({"connector": "reference: ingest of the same statuses as a file", "posts": summary.posts,
                 "alerts": alerts(engine), "seconds": round(elapsed, 3),
                 "posts_per_s": round(summary.posts / elapsed, 1)})
    engine.dispose()
    return rows


def latency(folder: Path, runs: int) -> dict[str, float]:
    engine = fresh_db(folder, "latency")
    hooks = default_hooks(engine)
    samples = []
    with FakeServer() as fake:
        fake.add_statuses(range(1, 41))
        target = Target("mastodon", "public", fake.url)
        collect_target(engine, build_connector(target), hooks=hooks)
        for n in range(41, 41 + runs):
            start = time.perf_counter()
            fake.add_statuses(range(n, n + 1))
            collect_target(engine, build_connector(target), hooks=hooks)
            with engine.connect() as conn:
                found = conn.execute(sa.select(detect_alerts.c.post_id).where(
                    detect_alerts.c.post_id == str(110000000000000000 + n))).first()
            samples.append(time.perf_counter() - start)
            if found is None:
                raise SystemExit(f"status {n}: no alert")
    engine.dispose()
    samples.sort()
    return {"runs": runs, "p50_s": round(statistics.median(samples), 4),
            "p99_s": round(samples[min(len(samples) - 1, int(0.99 * len(samples)))], 4)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=2000)
    parser.add_argument("--latency-runs", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        rows = throughput(folder, args.posts)
        lat = latency(folder, args.latency_runs)
    if args.json:
        print(json.dumps({"throughput": rows, "latency": lat}, indent=2))
        return
    print(f"{'connector':52} {'posts':>6} {'alerts':>6} {'seconds':>8} {'posts/s':>9}")
    for r in rows:
        print(f"{r['connector']:52} {r['posts']:>6} {r['alerts']:>6} {r['seconds']:>8} {r['posts_per_s']:>9}")
    print(f"\nnew status on the fake server -> its alert in the triage queue, one poll "
          f"({lat['runs']} runs): p50 {lat['p50_s']} s, p99 {lat['p99_s']} s (plus the poll interval)")


if __name__ == "__main__":
    main()
