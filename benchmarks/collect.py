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
interval (``watch add --every``) adds to this figure.  Streaming (Mastodon ``stream:public``,
server-sent events through Mastodon.py): a collector streams the fake's public timeline in a
thread (:class:`TargetStream`, as ``openiru collect`` runs it); a status is published on the
fake (to the timeline and, at once, to the open stream) and the clock stops when the
collector has stored it and its alert is in ``detect_alerts`` (checked); one status at a time,
``--latency-runs`` times, then ``--posts`` statuses published at once for the streamed posts/s;
the same for the X filtered stream (``stream:RULE``, a tweet published on the fake's stream).
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
from openiru.services.collect.streaming import TargetStream  # noqa: E402
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


def timed_collect(
    engine: sa.Engine, target: Target, env: dict[str, str], **options: Any
) -> tuple[int, float]:
    hooks = default_hooks(engine)
    start = time.perf_counter()
    result = collect_target(
        engine, build_connector(target, env=env, backoff=Backoff(), max_pages=10_000, **options), hooks=hooks
    )
    elapsed = time.perf_counter() - start
    if result.errors:
        raise SystemExit(f"{target}: {result.errors}")
    return result.new_posts, elapsed


def throughput(folder: Path, posts: int) -> list[dict[str, Any]]:
    rows = []
    env = {
        "OPENIRU_ROCKETCHAT_USER": "collector",
        "OPENIRU_ROCKETCHAT_PASSWORD": "s3cret-pass-word",
        "OPENIRU_X_BEARER_TOKEN": "x-bearer-token-1",
        "OPENIRU_FETCH_ALLOW": "127.0.0.1",
    }
    with FakeServer() as fake:
        fake.add_statuses(range(1, posts + 1))
        fake.messages = [message(n) for n in range(1, posts + 1)]
        fake.tweets = [tweet(n) for n in range(1, posts + 1)]
        fake.feed_items = [(f"g{n}", f"Placeholder notice {n}") for n in range(1, min(posts, 500) + 1)]
        os.environ["OPENIRU_FETCH_ALLOW"] = "127.0.0.1"
        cases = [
            ("mastodon (Mastodon.py)", Target("mastodon", "public", fake.url), {}),
            ("rocketchat (rocketchat_API)", Target("rocketchat", "channel:general", fake.url), {}),
            ("x (twarc)", Target("x", "search:placeholder", fake.url), {}),
            (
                "feed (feedparser + WARC)",
                Target("feed", f"{fake.url}/feed.xml"),
                {"warc_dir": folder / "warc"},
            ),
        ]
        for _name, target, options in cases:  # warm-up, untimed: imports, lexicon and language models
            scratch = fresh_db(folder, f"warm-{target.connector}")
            collect_target(
                scratch,
                build_connector(target, env=env, max_pages=1, **options),
                hooks=default_hooks(scratch),
            )
            scratch.dispose()
        for name, target, options in cases:
            engine = fresh_db(folder, target.connector)
            stored, elapsed = timed_collect(engine, target, env, **options)
            rows.append(
                {
                    "connector": name,
                    "posts": stored,
                    "alerts": alerts(engine),
                    "seconds": round(elapsed, 3),
                    "posts_per_s": round(stored / elapsed, 1),
                }
            )
            engine.dispose()
    export = folder / "statuses.json"
    export.write_text(json.dumps([status(n, "fedi.example") for n in range(1, posts + 1)]), encoding="utf-8")
    engine = fresh_db(folder, "reference")
    start = time.perf_counter()
    summary = ingest_path(engine, export, "mastodon")
    elapsed = time.perf_counter() - start
    rows.append(
        {
            "connector": "reference: ingest of the same statuses as a file",
            "posts": summary.posts,
            "alerts": alerts(engine),
            "seconds": round(elapsed, 3),
            "posts_per_s": round(summary.posts / elapsed, 1),
        }
    )
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
                found = conn.execute(
                    sa.select(detect_alerts.c.post_id).where(
                        detect_alerts.c.post_id == str(110000000000000000 + n)
                    )
                ).first()
            samples.append(time.perf_counter() - start)
            if found is None:
                raise SystemExit(f"status {n}: no alert")
    engine.dispose()
    samples.sort()
    return {
        "runs": runs,
        "p50_s": round(statistics.median(samples), 4),
        "p99_s": round(samples[min(len(samples) - 1, int(0.99 * len(samples)))], 4),
    }


def quantiles(samples: list[float]) -> dict[str, float]:
    samples = sorted(samples)
    return {
        "runs": len(samples),
        "p50_s": round(statistics.median(samples), 4),
        "p99_s": round(samples[min(len(samples) - 1, int(0.99 * len(samples)))], 4),
        "max_s": round(samples[-1], 4),
    }


def streaming(folder: Path, runs: int, posts: int, kind: str = "mastodon") -> dict[str, Any]:
    """Post -> stored with its alert, through the streaming collector (``kind``: mastodon SSE or the X
    filtered stream); then a burst's posts/s."""
    import threading

    engine = fresh_db(folder, f"stream-{kind}")
    stored: dict[str, float] = {}
    arrived = threading.Condition()

    def on_post(item: dict[str, Any]) -> None:
        with arrived:
            stored[str(item["id"])] = time.perf_counter()
            arrived.notify_all()

    def wait_for(ids: list[str], timeout: float = 600.0) -> None:
        with arrived:
            if not arrived.wait_for(lambda: all(i in stored for i in ids), timeout):
                raise SystemExit("streamed statuses missing")

    with FakeServer() as fake:
        if kind == "x":
            os.environ["OPENIRU_X_BEARER_TOKEN"] = "x-bearer-token-1"
            fake.tweets = [tweet(n) for n in range(1, 41)]
            target, publish = Target("x", "stream:placeholder", fake.url), fake.publish_tweet
        else:
            fake.add_statuses(range(1, 41))
            target, publish = Target("mastodon", "stream:public", fake.url), fake.publish
        runner = TargetStream(engine, target, on_post=on_post)
        thread = threading.Thread(target=runner.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while len(fake.subscribers) + len(fake.x_subscribers) < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        deadline = time.monotonic() + 120
        while runner.stats.gap_filled < 40 and time.monotonic() < deadline:  # the gap fill: 40 statuses
            time.sleep(0.01)
        samples = []
        for n in range(41, 41 + runs):
            start = time.perf_counter()
            sid = str(publish(n)["id"])
            wait_for([sid])
            samples.append(stored[sid] - start)
            with engine.connect() as conn:
                if (
                    conn.execute(
                        sa.select(detect_alerts.c.post_id).where(detect_alerts.c.post_id == sid)
                    ).first()
                    is None
                ):
                    raise SystemExit(f"status {n}: no alert")
            time.sleep(0.05)  # one status at a time
        first = 41 + runs
        start = time.perf_counter()
        ids = [str(publish(n)["id"]) for n in range(first, first + posts)]
        wait_for(ids)
        burst = time.perf_counter() - start
        runner.stop.set()
        thread.join(30)
    total = alerts(engine)
    engine.dispose()
    return {
        "latency": quantiles(samples),
        "burst_posts": posts,
        "burst_seconds": round(burst, 3),
        "burst_posts_per_s": round(posts / burst, 1),
        "alerts": total,
        "errors": runner.stats.errors,
    }


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
        streamed = streaming(folder, args.latency_runs, args.posts)
        streamed_x = streaming(folder, args.latency_runs, args.posts, "x")
    if args.json:
        print(
            json.dumps(
                {"throughput": rows, "latency": lat, "streaming": streamed, "streaming_x": streamed_x},
                indent=2,
            )
        )
        return
    print(f"{'connector':52} {'posts':>6} {'alerts':>6} {'seconds':>8} {'posts/s':>9}")
    for r in rows:
        print(f"{r['connector']:52} {r['posts']:>6} {r['alerts']:>6} {r['seconds']:>8} {r['posts_per_s']:>9}")
    print(
        f"\nnew status on the fake server -> its alert in the triage queue, one poll "
        f"({lat['runs']} runs): p50 {lat['p50_s']} s, p99 {lat['p99_s']} s (plus the poll interval)"
    )
    for name, got in (
        ("Mastodon stream:public, SSE", streamed),
        ("X stream:RULE, filtered stream", streamed_x),
    ):
        sl = got["latency"]
        print(
            f"streaming ({name}): new post -> stored with its alert ({sl['runs']} runs): "
            f"p50 {sl['p50_s']} s, p99 {sl['p99_s']} s, max {sl['max_s']} s; burst of {got['burst_posts']}: "
            f"{got['burst_posts_per_s']} posts/s; alerts {got['alerts']}"
        )


if __name__ == "__main__":
    main()
