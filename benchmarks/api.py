"""API benchmark: triage queue and key-accounts pages under 50 concurrent clients, on PostgreSQL.

    .venv/bin/python benchmarks/api.py [--posts 1000000] [--alerts 100000] [--clients 50]

Generates the data with bulk SQL (``generate_series``) in a fresh PostgreSQL
database: accounts, posts, interaction edges, alerts with their evidence.
Starts the real server (``openiru serve``) on loopback, warms the analytics
cache, then drives each page with ``wrk`` (Debian package; a Python/httpx
client is used when wrk is missing) and prints p50/p99 latency, throughput and
the CPU milliseconds per request of the server and of PostgreSQL.  Each list
is measured on its first page and on random pages among the first
``--deep-pages`` (reached by their cursors, as a client pages).  Side by side in the same run: the floor of the stack (an
authenticated ``/api/v1/auth/me``: uvicorn + FastAPI + token check, no page
work) and the service functions called directly without HTTP.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
ADMIN_URL = os.environ.get("OPENIRU_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DB_NAME = "openiru_bench_api"

GENERATE = [
    # accounts: a few very active ones (power law through random()^3)
    """INSERT INTO accounts (platform, account_id, handle, display_name, status, followers, first_seen, last_seen)
       SELECT 'x', i::text, 'acct' || i, 'Placeholder account ' || i, 'active', (random() * 10000)::int,
              now() - interval '400 days', now()
       FROM generate_series(1, :accounts) AS i""",
    """INSERT INTO posts (platform, post_id, account_id, timestamp, text, language, raw)
       SELECT 'x', i::text, (1 + floor(:accounts * power(random(), 3)))::int::text,
              now() - make_interval(secs => i * 30), 'Neutral placeholder post number ' || i, 'en', ''
       FROM generate_series(1, :posts) AS i""",
    # half the posts mention or repost someone (targets also skewed)
    """INSERT INTO edges (platform, post_id, kind, target_ref, source_account_id, target_platform,
                          target_account_id, time)
       SELECT p.platform, p.post_id, CASE WHEN random() < 0.5 THEN 'mention' ELSE 'repost' END,
              t.target, p.account_id, 'x', t.target, p.timestamp
       FROM posts p CROSS JOIN LATERAL (
            SELECT (1 + floor(:accounts * power(random(), 2)))::int::text AS target) t
       WHERE (p.post_id::bigint % 2) = 0 AND t.target <> p.account_id""",
    """INSERT INTO detect_alerts (platform, post_id, account_id, status, priority, strength, created_at, updated_at)
       SELECT p.platform, p.post_id, p.account_id,
              CASE WHEN random() < 0.9 THEN 'open' ELSE 'confirmed' END, random(), random(), now(), now()
       FROM posts p WHERE p.post_id::bigint % (:posts / :alerts) = 0""",
    """INSERT INTO detect_hits (platform, post_id, matcher, bank, item, label, term, span_start, span_end,
                                strength, suppressed, created_at)
       SELECT platform, post_id, 'term', 'bench-lexicon', 'placeholder', 'Fictional Org', 'placeholder',
              8, 19, strength, false, now()
       FROM detect_alerts""",
]


def create_database(n_posts: int, n_alerts: int, n_accounts: int, reuse: bool) -> str:
    from openiru.store.db import open_database

    admin = sa.create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    url = ADMIN_URL.rsplit("/", 1)[0] + f"/{DB_NAME}"
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": DB_NAME}).first()
        if exists and reuse:
            print(f"reusing database {DB_NAME}")
            return url
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{DB_NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{DB_NAME}"'))
    admin.dispose()
    engine = open_database(url)
    params = {"posts": n_posts, "alerts": n_alerts, "accounts": n_accounts}
    with engine.begin() as conn:
        for sql in GENERATE:
            t = time.perf_counter()
            n = conn.execute(sa.text(sql), params).rowcount
            print(f"  generated {n:>9,} rows in {time.perf_counter() - t:6.1f}s: {sql.split()[2]}")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()
    return url


def make_token(url: str) -> str:
    from openiru.services.access import auth
    from openiru.services.access.users import add_user, get_user
    from openiru.store.db import open_database

    engine = open_database(url)
    try:
        get_user(engine, "bench-analyst")
    except Exception:
        add_user(engine, "bench-analyst", "analyst")
    token = auth.create_token(engine, "bench-analyst", "benchmark")
    engine.dispose()
    return token


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(
    url: str, port: int, workers: int, analytics_ttl: float, page_cache: bool
) -> subprocess.Popen:
    log = (OUT / "api-server.log").open("w")
    cmd = [
        str(Path(sys.executable).with_name("openiru")),
        "serve",
        "--db",
        url,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--analytics-ttl",
        str(analytics_ttl),
        "--page-cache" if page_cache else "--no-page-cache",
    ]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
    for _ in range(1200):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.terminate()
    raise RuntimeError("server did not start; see benchmarks/out/api-server.log")


def load_average() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 3)[0]


def process_cpu_seconds(names: tuple[str, ...], root: int | None = None) -> float:
    """CPU seconds (user + system) used so far by the processes whose command name is in
    ``names``, or by ``root`` and its descendants: the cost per request, whatever else the
    machine is doing at the time."""
    tick = os.sysconf("SC_CLK_TCK")
    procs: dict[int, tuple[int, str, float]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        procs[int(entry.name)] = (int(fields[1]), name, (int(fields[11]) + int(fields[12])) / tick)
    if root is None:
        return sum(cpu for _, name, cpu in procs.values() if name in names)
    family, grew = {root}, True
    while grew:
        more = {pid for pid, (ppid, _, _) in procs.items() if ppid in family} - family
        family |= more
        grew = bool(more)
    return sum(procs[pid][2] for pid in family if pid in procs)


def wrk(base: str, paths: list[str], token: str, clients: int, seconds: int) -> dict[str, float]:
    # Two threads for 50 connections: wrk's threads are busy loops that would otherwise take
    # CPU from the server on this 2-core machine.  Several paths: each request picks one at
    # random (a Lua script), e.g. pages deep in the queue by their cursors.
    threads = min(2, clients)
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{clients}",
        f"-d{seconds}s",
        "--latency",
        "--timeout",
        "10s",
        "-H",
        f"Authorization: Bearer {token}",
    ]
    if len(paths) > 1:
        script = OUT / "api-paths.lua"
        script.write_text(
            "paths = {" + ",".join(json.dumps(p) for p in paths) + "}\n"
            "request = function()\n  return wrk.format(nil, paths[math.random(#paths)])\nend\n"
        )
        cmd += ["-s", str(script)]
    out = subprocess.run(cmd + [base + paths[0]], capture_output=True, text=True, check=True).stdout

    def ms(label: str) -> float:
        m = re.search(rf"^\s*{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        assert m, out
        value, unit = float(m.group(1)), m.group(2)
        return value / 1000 if unit == "us" else value * 1000 if unit == "s" else value

    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "p50_ms": ms("50"),
        "p99_ms": ms("99"),
        "rps": float(rps.group(1)) if rps else 0.0,
        "requests": int(total.group(1)) if total else 0,
        "errors": int(errors.group(1)) if errors else 0,
        "load": load_average(),
    }


def python_load(base: str, paths: list[str], token: str, clients: int, seconds: int) -> dict[str, float]:
    """Fallback load generator when wrk is not installed (its own CPU use inflates latencies)."""
    import httpx

    latencies: list[float] = []
    errors = 0

    async def worker(client: httpx.AsyncClient, stop: float) -> None:
        nonlocal errors
        while time.perf_counter() < stop:
            t = time.perf_counter()
            r = await client.get(base + random.choice(paths))
            latencies.append((time.perf_counter() - t) * 1000)
            errors += r.status_code >= 300

    async def main() -> float:
        limits = httpx.Limits(max_connections=clients)
        async with httpx.AsyncClient(
            headers={"Authorization": f"Bearer {token}"}, limits=limits, timeout=30
        ) as client:
            start = time.perf_counter()
            await asyncio.gather(*(worker(client, start + seconds) for _ in range(clients)))
            return time.perf_counter() - start

    elapsed = asyncio.run(main())
    latencies.sort()
    return {
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "rps": len(latencies) / elapsed,
        "requests": len(latencies),
        "errors": errors,
        "load": load_average(),
    }


def direct_calls(url: str, repeats: int = 50) -> dict[str, float]:
    """The service functions the pages call, without HTTP (median ms)."""
    from openiru.services.detect import alerts as detect_alerts
    from openiru.services.detect import triage as triage_queue
    from openiru.store.db import open_database

    engine = open_database(url)
    filled = triage_queue.fill_missing_cards(engine)  # what `openiru serve` does at start
    if filled:
        print(f"  gave {filled:,} alerts their triage-queue card")
    times, page_times = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        detect_alerts.list_alerts(engine, limit=51)
        times.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        triage_queue.page_json(triage_queue.queue_rows(engine, limit=51), 50, str)
        page_times.append((time.perf_counter() - t) * 1000)
    engine.dispose()
    return {"triage_service_ms": statistics.median(times), "triage_page_ms": statistics.median(page_times)}


def warm_pages(base: str, paths: list[str], token: str, clients: int = 8) -> None:
    """Every path requested a few times over several connections (so every worker serves
    each), as the pages an analyst team has open: the run then measures the steady state, not
    the first visit of each page (that is what the runs with a changing queue measure)."""
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    def visit(offset: int) -> None:
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
            for path in paths[offset:] + paths[:offset]:
                client.get(path).raise_for_status()

    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(visit, range(0, len(paths), max(1, len(paths) // clients))))


class QueueChanger:
    """While the block runs, another process's worth of changes to the triage queue: ``rate``
    times a second one random alert is touched (as a rescan or a decision would), committed on
    its own; every commit makes PostgreSQL notify the servers, which drop their held pages."""

    def __init__(self, url: str, rate: float) -> None:
        import threading

        self.url, self.rate, self.done = url, rate, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> QueueChanger:
        if self.rate > 0:
            self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        engine = sa.create_engine(self.url)
        with engine.connect() as conn:
            keys = [
                r[0]
                for r in conn.execute(
                    sa.text(
                        "SELECT post_id FROM detect_alerts WHERE status = 'open' ORDER BY priority DESC LIMIT 10000"
                    )
                )
            ]
            conn.rollback()
        rng = random.Random(7)
        while not self._stop.wait(1 / self.rate):
            with engine.begin() as conn:
                conn.execute(
                    sa.text(
                        "UPDATE detect_alerts SET updated_at = now() WHERE platform = 'x' AND post_id = :p"
                    ),
                    {"p": rng.choice(keys)},
                )
            self.done += 1
        engine.dispose()


def page_paths(base: str, first: str, token: str, pages: int) -> list[str]:
    """The paths of the first ``pages`` pages of a list, following ``next_cursor``."""
    import httpx

    paths = [first]
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        while len(paths) < pages:
            cursor = client.get(paths[-1]).raise_for_status().json()["next_cursor"]
            if not cursor:
                break
            paths.append(f"{first}&cursor={cursor}")
    return paths


def stored_ranking_age(url: str) -> float | None:
    """Age in seconds of the key-accounts ranking the API stored in an earlier run, if any."""
    from openiru.api import rankings
    from openiru.store.db import open_database

    engine = open_database(url)
    try:
        stored = rankings.load(engine, "key-accounts")
    finally:
        engine.dispose()
    return None if stored is None else stored[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--posts", type=int, default=1_000_000)
    ap.add_argument("--alerts", type=int, default=100_000)
    ap.add_argument("--accounts", type=int, default=50_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument(
        "--analytics-ttl",
        type=float,
        default=86400.0,
        help="Server's ranking TTL: long, so no background re-ranking competes with the run.",
    )
    ap.add_argument(
        "--deep-pages",
        type=int,
        default=200,
        help="Deep-page runs pick at random among this many pages (their cursors).",
    )
    ap.add_argument(
        "--changes-per-second",
        type=float,
        default=5.0,
        help="Also run the triage pages while the queue changes this often (0: no such runs).",
    )
    ap.add_argument(
        "--no-page-cache",
        action="store_true",
        help="Serve every triage page from the database (`openiru serve --no-page-cache`).",
    )
    ap.add_argument("--reuse", action="store_true", help="Reuse the generated database of a previous run.")
    ap.add_argument(
        "--no-key-accounts", action="store_true", help="Floor and triage queue only (no ranking needed)."
    )
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    print(
        f"generating {args.posts:,} posts, {args.alerts:,} alerts, {args.accounts:,} accounts in PostgreSQL"
    )
    url = create_database(args.posts, args.alerts, args.accounts, args.reuse)
    token = make_token(url)
    print("service functions called directly (no HTTP)...")
    direct = direct_calls(url)
    age = stored_ranking_age(url)
    print(
        "key-accounts ranking: "
        + (
            "none stored, computed at warm-up"
            if age is None
            else f"stored by an earlier run {age / 60:.0f} min ago, served as is"
        )
    )
    port = free_port()
    server = start_server(url, port, args.workers, args.analytics_ttl, not args.no_page_cache)
    base = f"http://127.0.0.1:{port}"
    pages: dict[str, list[str]] = {
        "floor: /api/v1/auth/me": ["/api/v1/auth/me"],
        "triage queue, first page": ["/api/v1/alerts?limit=50"],
        f"triage queue, random page of the first {args.deep_pages}": [],  # cursors, found below
        "key accounts, first page": ["/api/v1/graph/key-accounts?limit=50"],
        f"key accounts, random page of the first {args.deep_pages}": [],
    }
    load = wrk if shutil.which("wrk") else python_load
    results = {}
    try:
        from concurrent.futures import ThreadPoolExecutor

        import httpx

        def warm(_: int) -> float:
            t0 = time.perf_counter()
            r = httpx.get(
                base + "/api/v1/graph/key-accounts?limit=50",
                headers={"Authorization": f"Bearer {token}"},
                timeout=3600,
            )
            r.raise_for_status()
            return time.perf_counter() - t0

        # Warm every worker's analytics cache: concurrent requests reach every worker; the
        # slowest one is the full ranking (graph load + PageRank + communities) of the data.
        warm_s = 0.0
        if args.no_key_accounts:
            pages = {name: paths for name, paths in pages.items() if not name.startswith("key accounts")}
        else:
            with ThreadPoolExecutor(args.workers * 4) as pool:
                warm_s = max(pool.map(warm, range(args.workers * 4)))
            # Until 20 requests in a row answer fast, some worker has not ranked yet.
            fast = 0
            while fast < 20:
                fast = fast + 1 if warm(0) < 1.0 else 0
        # every worker up and its pool filled before measuring
        httpx.get(base + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=60)
        direct["key_accounts_compute_s"] = warm_s
        direct["ranking_stored"] = age is not None
        print(
            f"warm-up (ranking {'loaded from the store' if age is not None else 'computed'} by every "
            f"worker): {warm_s:.1f}s"
        )
        for name, paths in pages.items():
            if not paths:  # deep pages: walk the list by its cursors as a client would
                first = pages[name.replace(f"random page of the first {args.deep_pages}", "first page")][0]
                paths += page_paths(base, first, token, args.deep_pages)
        if args.changes_per_second > 0:  # the triage runs again while the queue keeps changing
            rate = f", queue changing {args.changes_per_second:g}/s"
            triage = [(name, paths) for name, paths in pages.items() if name.startswith("triage")]
            pages = {
                **{n: p for n, p in pages.items() if not n.startswith("key")},
                **{n + rate: p for n, p in triage},
                **{n: p for n, p in pages.items() if n.startswith("key")},
            }
        server_pid = server.pid
        for name, paths in pages.items():
            changer = QueueChanger(url, args.changes_per_second if "changing" in name else 0)
            before = (process_cpu_seconds((), root=server_pid), process_cpu_seconds(("postgres",)))
            if len(paths) > 1:
                warm_pages(base, paths, token)
            with changer:
                results[name] = load(base, paths, token, args.clients, args.seconds)
            results[name]["changes"] = changer.done
            n = max(results[name]["requests"], 1)
            results[name]["server_cpu_ms"] = (process_cpu_seconds((), root=server_pid) - before[0]) * 1000 / n
            results[name]["db_cpu_ms"] = (process_cpu_seconds(("postgres",)) - before[1]) * 1000 / n
    finally:
        server.terminate()
        server.wait(30)
    print()
    print(f"triage page cache: {'off' if args.no_page_cache else 'on'}")
    print(
        f"{args.clients} concurrent clients, {args.seconds}s each, {args.workers} server workers, "
        f"load tool: {'wrk' if load is wrk else 'python httpx'}"
    )
    print(
        f"{'page':<66} {'p50 ms':>8} {'p99 ms':>8} {'req/s':>8} {'requests':>9} {'errors':>7} {'load':>6}"
        f" {'srv CPU':>8} {'db CPU':>7}"
    )
    for name, r in results.items():
        print(
            f"{name:<66} {r['p50_ms']:>8.1f} {r['p99_ms']:>8.1f} {r['rps']:>8.1f} {r['requests']:>9} "
            f"{r['errors']:>7} {r['load']:>6} {r['server_cpu_ms']:>8.3f} {r['db_cpu_ms']:>7.3f}"
        )
    print(f"{'service only: list_alerts(limit=51), median ms':<52} {direct['triage_service_ms']:>8.1f}")
    print(f"{'service only: triage_queue page (sync), median ms':<52} {direct['triage_page_ms']:>8.1f}")
    print(
        f"{'first key-accounts request per worker, ms':<52} {direct['key_accounts_compute_s'] * 1000:>8.0f}"
        f"  ({'stored ranking' if direct['ranking_stored'] else 'cold: full ranking'})"
    )
    print("load: 1-minute load average of the machine when the page's run ended (2 cores, shared)")
    print("srv CPU / db CPU: CPU ms per request used by the server processes / by PostgreSQL")
    target = all(r["p99_ms"] < 100 for n, r in results.items() if not n.startswith("floor"))
    print(f"target p99 < 100 ms on both pages: {'met' if target else 'NOT met'}")
    (OUT / "api.json").write_text(
        json.dumps({"args": vars(args), "results": results, "direct": direct}, indent=1)
    )


if __name__ == "__main__":
    main()
