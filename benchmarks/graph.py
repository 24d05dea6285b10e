"""Scale benchmark of the key-account ranking beside igraph's raw PageRank on the same graph.

Generates a power-law interaction graph as arrays (no database): N accounts, M interaction edges,
M/2 posts, shared-content occurrences and 100 analyst seeds; times the full ranking (features,
PageRank, personalised PageRank, Leiden on the seed neighbourhood, roles) and igraph's PageRank
alone (graph construction from the same edge arrays plus ``Graph.pagerank``), prints a table with
the ratio and the peak resident memory.  Optionally networkit's PageRank as a second reference.

    .venv/bin/python benchmarks/graph.py --accounts 1000000 --edges 10000000
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import igraph as ig
import numpy as np

from openiru.graph.ranking import rank_accounts
from openiru.graph.synthetic import large_graph


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--accounts", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=10_000_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    t = time.perf_counter()
    data = large_graph(args.accounts, args.edges, seed=args.seed)
    generate = time.perf_counter() - t
    after_generate = peak_mb()

    t = time.perf_counter()
    g = ig.Graph(n=data.n, edges=np.column_stack((data.edges.src, data.edges.dst)).astype(np.int64),
                 directed=True)
    build = time.perf_counter() - t
    t = time.perf_counter()
    g.pagerank(damping=0.85)
    igraph_pr = time.perf_counter() - t
    del g

    networkit_pr = None
    try:
        import networkit as nk  # optional second reference

        t0 = time.perf_counter()
        G = nk.GraphFromCoo((np.ones(len(data.edges.src)), (data.edges.src.astype(np.uint64),
                            data.edges.dst.astype(np.uint64))), n=data.n, directed=True, weighted=False)
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

    print(f"graph: {data.n:,} accounts, {len(data.edges):,} interaction edges, {len(data.posts):,} posts, "
          f"{len(data.content):,} shared-content occurrences, {len(data.seeds)} seeds (generated in {generate:.1f} s)")
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
    print(f"ratio ours / igraph PageRank alone: {ours / igraph_pr:.1f}x; "
          f"ours / igraph build + PageRank: {ours / (build + igraph_pr):.1f}x")
    print(f"peak resident memory: {peak:,.0f} MB (after generating the data: {after_generate:,.0f} MB)")
    print(f"target: ranking <= 60 s and <= 4096 MB: {'met' if ours <= 60 and peak <= 4096 else 'NOT met'}")
    print(f"top accounts: {top}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
