"""Scale benchmark of the key-account ranking beside igraph's raw PageRank on the same graph.

Generates a power-law interaction graph as arrays (no database): N accounts, M interaction edges,
M/2 posts, shared-content occurrences and 100 analyst seeds; times the full ranking (features,
PageRank, personalised PageRank, Leiden on the seed neighbourhood, roles) and igraph's PageRank
alone (graph construction from the same edge arrays plus ``Graph.pagerank``), prints a table with
the ratio and the peak resident memory.  Optionally networkit's PageRank as a second reference.

    .venv/bin/python benchmarks/graph.py --accounts 1000000 --edges 10000000

``--db-benign N`` also times the database path on a generated ecosystem (N benign accounts plus a
planted community) imported into a fresh SQLite file: bulk loading into arrays, then the ranking.
``--db-posts N`` times the path of ``openiru accounts --json`` on a store of N posts written with bulk
SQL under benchmarks/out/ (reused when there): loading into arrays, per step, then the ranking.

    .venv/bin/python benchmarks/graph.py --accounts 0 --db-posts 1000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from datetime import UTC, datetime

import igraph as ig
import numpy as np

from openiru.graph.ranking import rank_accounts
from openiru.graph.synthetic import large_graph


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def db_path(benign: int) -> None:
    """Import a generated ecosystem into SQLite, then time loading it and ranking it."""
    import tempfile
    from collections.abc import Iterator
    from pathlib import Path

    from openiru.graph.synthetic import small_ecosystem_rows
    from openiru.model import Account, AccountKey, AccountStatus, Media, Mention, Post, PostKey
    from openiru.services.collect.ingest import ingest_source
    from openiru.services.graph.load import load_graph
    from openiru.sources.base import Record, Source
    from openiru.store.db import open_database

    rows, _ = small_ecosystem_rows(
        seed=1,
        benign=benign,
        core=max(8, benign // 50),
        amplifiers=max(40, benign // 10),
        distributors=max(15, benign // 30),
    )

    class RowsSource(Source):
        name = "synthetic"
        default_platform = "x"

        @classmethod
        def sniff(cls, path: Path, head: bytes) -> float:
            return 0.0

        def records(self) -> Iterator[Record]:
            for a in rows.accounts:
                yield Account(
                    AccountKey(a.platform, a.account_id),
                    handle=a.handle,
                    display_name=a.display_name,
                    bio=a.bio,
                    followers=a.followers,
                    status=AccountStatus(a.status),
                    status_changed_at=a.status_changed_at,
                )
            for p in rows.posts:
                yield Post(
                    PostKey(p.platform, p.post_id),
                    AccountKey(p.platform, p.account_id),
                    p.timestamp,
                    text=p.text,
                    urls=list(p.urls or []),
                    hashtags=list(p.hashtags or []),
                    mentions=[Mention(account_id=m) for m in p.mentions],
                    repost_of=PostKey(p.platform, p.repost_of) if p.repost_of else None,
                    quote_of=PostKey(p.platform, p.quote_of) if p.quote_of else None,
                    media=[
                        Media(sha256=m.split(":", 1)[1]) for m in rows.media.get((p.platform, p.post_id), [])
                    ],
                )

    with tempfile.TemporaryDirectory() as tmp:
        engine = open_database(f"sqlite:///{tmp}/bench.db")
        t = time.perf_counter()
        ingest_source(engine, RowsSource(Path("memory"), None), after_batch=())
        imported = time.perf_counter() - t
        t = time.perf_counter()
        data = load_graph(engine)
        loaded = time.perf_counter() - t
        t = time.perf_counter()
        rank_accounts(data)
        ranked = time.perf_counter() - t
        engine.dispose()
    print()
    print(
        f"database path (SQLite): {data.n:,} accounts, {len(data.posts):,} posts, {len(data.edges):,} edges"
    )
    print(f"| {'step':<48} | {'seconds':>8} |")
    print(f"|{'-' * 50}|{'-' * 10}|")
    print(f"| {'import (ingest service, for reference)':<48} | {imported:8.2f} |")
    print(f"| {'load into arrays (bulk SQL, content items)':<48} | {loaded:8.2f} |")
    print(f"| {'key-account ranking':<48} | {ranked:8.2f} |")


def write_posts_db(path: str, n_posts: int, seed: int = 1) -> None:
    """A store of ``n_posts`` posts written with bulk SQL (executemany, one transaction per table):
    ``n_posts / 10`` accounts; 55% original posts of random words, 10% near-duplicate copies of 500
    campaign texts (one word changed), 5% short posts, 20% reposts, 10% replies; URLs, hashtag sets,
    mentions and media on a share of them; the matching interaction edges."""
    import json
    import sqlite3

    from openiru.store.db import open_database

    rng = np.random.default_rng(seed)
    open_database(f"sqlite:///{path}").dispose()  # the schema, as the store makes it
    n_acc = max(100, n_posts // 10)
    vocab = np.asarray([f"w{i}" for i in range(20_000)])
    campaign = [rng.choice(vocab, 14).tolist() for _ in range(500)]
    author = rng.zipf(1.6, n_posts) % n_acc
    kind = rng.choice(
        5, n_posts, p=[0.55, 0.10, 0.05, 0.20, 0.10]
    )  # original, campaign, short, repost, reply
    t0 = 1_700_000_000.0
    times = t0 + np.sort(rng.uniform(0, 90 * 86400, n_posts))
    stamp = [datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S.%f") for t in times.tolist()]
    lengths = rng.integers(6, 25, n_posts)
    words = rng.integers(0, len(vocab), int(lengths.sum()))
    ends = np.cumsum(lengths)
    url_of = rng.integers(0, 20_000, n_posts)
    has_url = rng.random(n_posts) < 0.2
    tags = rng.integers(0, 500, (n_posts, 2))
    has_tags = rng.random(n_posts) < 0.3
    mention = rng.integers(0, n_acc, n_posts)
    has_mention = rng.random(n_posts) < 0.1
    target = (rng.random(n_posts) * np.arange(n_posts)).astype(np.int64)  # an earlier post
    has_media = rng.random(n_posts) < 0.05
    media_of = rng.integers(0, 20_000, n_posts)
    posts, edges, post_media = [], [], []
    for k in range(n_posts):
        kd = int(kind[k])
        a = f"u{author[k]}"
        if kd == 1:
            ws = list(campaign[k % 500])
            ws[int(rng.integers(0, 14))] = str(vocab[words[ends[k] - 1]])
            text = " ".join(ws)
        elif kd == 2:
            text = " ".join(vocab[words[ends[k] - 3 : ends[k]]])
        else:
            text = " ".join(vocab[words[ends[k] - lengths[k] : ends[k]]])
        repost = reply = None
        if kd in (3, 4) and k:
            tgt = int(target[k])
            if kd == 3:
                repost, text = f"p{tgt}", "RT " + text
            else:
                reply = f"p{tgt}"
            edges.append(
                (
                    "x",
                    f"p{k}",
                    "repost" if kd == 3 else "reply",
                    f"post:p{tgt}",
                    a,
                    "x",
                    f"u{author[tgt]}",
                    stamp[k],
                )
            )
        urls = json.dumps([f"https://site{url_of[k] % 300}.example/a/{url_of[k]}"]) if has_url[k] else None
        hts = json.dumps([f"tag{tags[k, 0]}", f"tag{tags[k, 1]}"]) if has_tags[k] else None
        ment = json.dumps([f"u{mention[k]}"]) if has_mention[k] else None
        if has_mention[k]:
            edges.append(("x", f"p{k}", "mention", f"u{mention[k]}", a, "x", f"u{mention[k]}", stamp[k]))
        if has_media[k] and kd != 3:
            post_media.append(("x", f"p{k}", 0, f"sha256:{media_of[k]:064x}"))
        posts.append(("x", f"p{k}", a, stamp[k], text, urls, hts, ment, reply, repost, ""))
    con = sqlite3.connect(path)
    with con:
        con.executemany(
            "INSERT INTO accounts (platform, account_id, handle, followers, status) "
            "VALUES ('x', ?, ?, ?, 'active')",
            ((f"u{i}", f"user_{i}", int(f)) for i, f in enumerate(rng.zipf(1.8, n_acc) % 100_000)),
        )
        con.executemany(
            "INSERT INTO media (media_key, sha256, missing) VALUES (?, ?, 0)",
            ((f"sha256:{i:064x}", f"{i:064x}") for i in range(20_000)),
        )
        con.executemany(
            "INSERT INTO posts (platform, post_id, account_id, timestamp, text, urls, hashtags, "
            "mentions, reply_to, repost_of, raw) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            posts,
        )
        con.executemany(
            "INSERT OR IGNORE INTO edges (platform, post_id, kind, target_ref, source_account_id, "
            "target_platform, target_account_id, time) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            edges,
        )
        con.executemany(
            "INSERT INTO post_media (platform, post_id, position, media_key) VALUES (?, ?, ?, ?)", post_media
        )
    con.close()


def db_posts_path(n_posts: int, seed: int) -> None:
    """Write (or reuse) a SQLite store of ``n_posts`` posts under benchmarks/out/, then time loading
    it into arrays and ranking it: the path of ``openiru accounts --json``."""
    import os
    from pathlib import Path

    from openiru.graph.ranking import rank_accounts as rank
    from openiru.services.graph.load import load_graph
    from openiru.store.db import open_database

    out = Path(__file__).parent / "out"
    out.mkdir(exist_ok=True)
    path = out / f"graph_posts_{n_posts}_s{seed}.db"
    t = time.perf_counter()
    if not path.exists():
        write_posts_db(str(path) + ".tmp", n_posts, seed)
        os.replace(str(path) + ".tmp", path)
    written = time.perf_counter() - t
    engine = open_database(f"sqlite:///{path}")
    t = time.perf_counter()
    data = load_graph(engine)
    loaded = time.perf_counter() - t
    t = time.perf_counter()
    ranking = rank(data)
    ranked = time.perf_counter() - t
    engine.dispose()
    print()
    print(
        f"database path (SQLite, {path.name}): {data.n:,} accounts, {len(data.posts):,} posts, "
        f"{len(data.edges):,} edges, {len(data.content):,} shared-content occurrences"
    )
    print(f"| {'step':<48} | {'seconds':>8} |")
    print(f"|{'-' * 50}|{'-' * 10}|")
    print(f"| {'write the store (bulk SQL; 0 if reused)':<48} | {written:8.2f} |")
    print(f"| {'load into arrays (graph_load.load_graph)':<48} | {loaded:8.2f} |")
    for step, seconds in getattr(data, "timings", {}).items():
        print(f"| {'  of which ' + step.replace('_', ' '):<48} | {seconds:8.2f} |")
    print(f"| {'key-account ranking':<48} | {ranked:8.2f} |")
    print(f"| {'load + ranking':<48} | {loaded + ranked:8.2f} |")
    print(
        f"peak resident memory: {peak_mb():,.0f} MB; target load + ranking < 60 s: "
        f"{'met' if loaded + ranked < 60 else 'NOT met'}; top accounts: {ranking.order[:5].tolist()}"
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--db-benign", type=int, default=0, help="also time the database path (0: skip)")
    ap.add_argument(
        "--db-posts",
        type=int,
        default=0,
        help="also time loading + ranking a generated store of N posts (0: skip)",
    )
    args = ap.parse_args()
    if args.accounts <= 0:  # database path only
        if args.db_posts:
            db_posts_path(args.db_posts, args.seed)
        if args.db_benign:
            db_path(args.db_benign)
        return 0

    t = time.perf_counter()
    data = large_graph(args.accounts, args.edges, seed=args.seed)
    generate = time.perf_counter() - t
    after_generate = peak_mb()

    t = time.perf_counter()
    g = ig.Graph(
        n=data.n, edges=np.column_stack((data.edges.src, data.edges.dst)).astype(np.int64), directed=True
    )
    build = time.perf_counter() - t
    t = time.perf_counter()
    g.pagerank(damping=0.85)
    igraph_pr = time.perf_counter() - t
    del g

    networkit_pr = None
    try:
        import networkit as nk  # optional second reference

        t0 = time.perf_counter()
        G = nk.GraphFromCoo(
            (
                np.ones(len(data.edges.src)),
                (data.edges.src.astype(np.uint64), data.edges.dst.astype(np.uint64)),
            ),
            n=data.n,
            directed=True,
            weighted=False,
        )
        pr = nk.centrality.PageRank(G, damp=0.85)
        t1 = time.perf_counter()
        pr.run()
        networkit_pr = (t1 - t0, time.perf_counter() - t1)
        del G, pr
    except ImportError:
        pass

    t = time.perf_counter()
    ranking = rank_accounts(data)
    ours = time.perf_counter() - t
    peak = peak_mb()
    top = ranking.order[:5].tolist()

    print(
        f"graph: {data.n:,} accounts, {len(data.edges):,} interaction edges, {len(data.posts):,} posts, "
        f"{len(data.content):,} shared-content occurrences, {len(data.seeds)} seeds (generated in {generate:.1f} s)"
    )
    print()
    print(f"| {'step':<48} | {'seconds':>8} |")
    print(f"|{'-' * 50}|{'-' * 10}|")
    print(f"| {'igraph: build graph from the edge arrays':<48} | {build:8.2f} |")
    print(f"| {'igraph: PageRank':<48} | {igraph_pr:8.2f} |")
    print(f"| {'igraph: build + PageRank':<48} | {build + igraph_pr:8.2f} |")
    if networkit_pr:
        print(f"| {'networkit: build + PageRank':<48} | {sum(networkit_pr):8.2f} |")
    print(f"| {'OpenIRU: full key-account ranking':<48} | {ours:8.2f} |")
    for step, seconds in ranking.timings.items():
        print(f"| {'  of which ' + step.replace('_', ' '):<48} | {seconds:8.2f} |")
    print()
    print(
        f"ratio ours / igraph PageRank alone: {ours / igraph_pr:.1f}x; "
        f"ours / igraph build + PageRank: {ours / (build + igraph_pr):.1f}x"
    )
    print(f"peak resident memory: {peak:,.0f} MB (after generating the data: {after_generate:,.0f} MB)")
    print(f"target: ranking <= 60 s and <= 4096 MB: {'met' if ours <= 60 and peak <= 4096 else 'NOT met'}")
    print(f"top accounts: {top}")
    if args.db_posts:
        db_posts_path(args.db_posts, args.seed)
    if args.db_benign:
        db_path(args.db_benign)
    return 0


if __name__ == "__main__":
    sys.exit(main())
