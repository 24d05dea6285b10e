"""Key-account ranking of an existing store (SQLite or PostgreSQL), read only, step by step.

Times what ``openiru graph key-accounts --json`` does on the store the URL names: reading posts and
edges into arrays, shared-content items (near-duplicate text included), the ranking, the JSON
records; prints the peak resident memory.  Side by side in the same run, on the same normalised
texts: the near-duplicate clustering as it is (LSH buckets capped at ``MAX_BUCKET_CLUSTERS``
clusters), without the cap (``--uncapped``: one confirmation per cluster of the whole bucket,
quadratic on templated texts) and datasketch's ``MinHashLSH`` with an exact-Jaccard check of every
candidate, the reference library and the earlier implementation, on the first N texts
(``--datasketch N``; quadratic too, so keep N small).

    .venv/bin/python benchmarks/graph_store.py \
        --db postgresql+psycopg://postgres@127.0.0.1:5432/openiru_bench_api --uncapped --datasketch 100000

The store is only read: nothing is written to it.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from openiru.graph import neardup
from openiru.graph.content import MIN_TEXT_TOKENS, normalise_text
from openiru.graph.data import PostCode
from openiru.graph.ranking import rank_accounts
from openiru.services.graph.analysis import key_accounts
from openiru.services.graph.load import load_graph
from openiru.store.db import open_database

TARGET_SECONDS = 120.0


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def row(step: str, seconds: float) -> None:
    print(f"| {step:<58} | {seconds:8.2f} |")


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def texts_of(engine: Any) -> dict[int, list[str]]:
    """Normalised words of the store's texts, as build_content hands them to the clustering."""
    from sqlalchemy import select

    from openiru.store import schema

    p = schema.posts
    words: dict[int, list[str]] = {}
    with engine.connect() as conn:
        rows = conn.execute(
            select(p.c.text, p.c.repost_of, p.c.forward_from, p.c.forward_from_name).order_by(p.c.timestamp)
        )
        for k, r in enumerate(rows):
            if r.repost_of or r.forward_from or r.forward_from_name:
                continue  # pass-ons carry the original's content (PostCode.REPOST / FORWARD)
            w = normalise_text(r.text or "").split()
            if len(w) >= MIN_TEXT_TOKENS:
                words[k] = w
    return words


def datasketch_clusters(words_by_post: Mapping[int, Sequence[str]]) -> dict[int, int]:
    """datasketch's MinHashLSH, every candidate confirmed by exact Jaccard (the earlier code)."""
    from datasketch import MinHash, MinHashLSH

    sets = {p: {" ".join(w[i : i + 3]) for i in range(max(len(w) - 2, 1))} for p, w in words_by_post.items()}
    lsh = MinHashLSH(threshold=neardup.NEAR_TEXT_JACCARD, num_perm=neardup.NUM_PERM)
    parent = {p: p for p in sets}

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    hashes = MinHash.bulk([[s.encode() for s in sh] for sh in sets.values()], num_perm=neardup.NUM_PERM)
    for (p, sh), mh in zip(sets.items(), hashes, strict=True):
        for other in lsh.query(mh):
            if neardup.similar(sh, sets[other]):
                parent[find(p)] = find(other)
        lsh.insert(p, mh)
    return {p: find(p) for p in sets}


def rank_store(url: str, engine: Any) -> None:
    """Time the key-accounts path on the store, step by step (its arrays are freed on return)."""
    data, loaded = timed(lambda: load_graph(engine))
    ranking, ranked = timed(lambda: rank_accounts(data))
    records, formatted = timed(lambda: key_accounts(engine, loaded=(data, ranking)))
    peak = peak_mb()
    total = loaded + ranked + formatted
    print(
        f"store {url.rsplit('@', 1)[-1]}: {data.n:,} accounts, {len(data.posts):,} posts, "
        f"{len(data.edges):,} edges, {len(data.content):,} shared-content occurrences, "
        f"{int((data.posts.code == PostCode.ORIGINAL).sum()):,} original posts"
    )
    print()
    print(f"| {'step':<58} | {'seconds':>8} |")
    print(f"|{'-' * 60}|{'-' * 10}|")
    row("load into arrays (graph_load.load_graph)", loaded)
    for step, seconds in data.timings.items():
        row("  of which " + step, seconds)
    row("key-account ranking (rank_accounts)", ranked)
    for step, seconds in ranking.timings.items():
        row("  of which " + step.replace("_", " "), seconds)
    row("JSON records (services.graph.key_accounts)", formatted)
    row("total: key accounts of the store", total)
    print()
    print(
        f"peak resident memory: {peak:,.0f} MB; {len(records):,} records; top: "
        f"{[r['account_id'] for r in records[:5]]}"
    )
    print(
        f"target: ranking of the store < {TARGET_SECONDS:.0f} s: {'met' if total < TARGET_SECONDS else 'NOT met'}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="database URL of the store (read only)")
    ap.add_argument(
        "--uncapped",
        action="store_true",
        help="also cluster all texts without the bucket cap (quadratic on templates)",
    )
    ap.add_argument(
        "--datasketch",
        type=int,
        default=0,
        metavar="N",
        help="also cluster the first N texts with datasketch's MinHashLSH (0: skip)",
    )
    args = ap.parse_args()
    engine = open_database(args.db)
    rank_store(args.db, engine)
    if not (args.uncapped or args.datasketch):
        return 0
    words, read = timed(lambda: texts_of(engine))
    print()
    print(
        f"near-duplicate text clustering side by side ({len(words):,} texts of 5 words or more, "
        f"read and normalised in {read:.1f} s)"
    )
    print(f"| {'clustering':<58} | {'seconds':>8} | {'texts':>9} | {'clusters':>9} |")
    print(f"|{'-' * 60}|{'-' * 10}|{'-' * 11}|{'-' * 11}|")

    def report(
        name: str, texts: Mapping[int, Sequence[str]], fn: Callable[[Any], dict[int, int]]
    ) -> dict[int, int]:
        clusters, seconds = timed(lambda: fn(texts))
        print(f"| {name:<58} | {seconds:8.2f} | {len(texts):9,} | {len(set(clusters.values())):9,} |")
        return clusters

    capped = report(
        f"OpenIRU (buckets capped at {neardup.MAX_BUCKET_CLUSTERS} clusters)",
        words,
        neardup.near_duplicate_clusters,
    )
    if args.uncapped:
        cap = neardup.MAX_BUCKET_CLUSTERS
        neardup.MAX_BUCKET_CLUSTERS = len(words) + 1
        try:
            uncapped = report(
                "OpenIRU without the cap (whole buckets)", words, neardup.near_duplicate_clusters
            )
        finally:
            neardup.MAX_BUCKET_CLUSTERS = cap
        same = uncapped == capped
    if args.datasketch:
        first = dict(list(words.items())[: args.datasketch])
        report("OpenIRU, first N texts", first, neardup.near_duplicate_clusters)
        report("datasketch MinHashLSH + exact Jaccard, first N texts", first, datasketch_clusters)
    if args.uncapped:
        print(f"same clusters with and without the cap: {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
