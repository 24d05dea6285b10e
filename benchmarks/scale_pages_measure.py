"""The measuring half of ``benchmarks/scale.py --pages-db``: each page through the real API
(``openiru serve``, ``wrk``) with 1 and with ``--clients`` connections, beside the floor: the
SQL statements the page's service code sends, recorded and replayed alone through psycopg
(the database's share of the page, without Python or HTTP).  ``--explain`` shows each
statement's plan and flags sequential scans of the big tables."""

from __future__ import annotations

import re
import shutil
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa

from api import free_port, load_average, make_token, python_load, start_server, warm_pages, wrk
from openiru.api.pagination import decode_cursor
from openiru.services.collect import content
from openiru.services.console import views
from openiru.services.detect import triage
from openiru.services.referral.records import list_referrals
from openiru.store.db import open_database

BIG = ("posts", "detect_alerts", "detect_hits", "accounts", "referrals", "referral_targets")
BUSY = ("telegram", "1")  # account 1: ~1.7 % of all posts (the power law's head)
MIDDLE = ("mastodon", "430")  # ~1,000 posts
TYPICAL = ("x", "50000")  # a few dozen posts


def walk(base: str, token: str, first: str, depth: int) -> str:
    """The cursor of the page ``depth`` items down ``first``'s list (500 a step, as a client)."""
    cursor = None
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=120) as c:
        for _ in range(depth // 500):
            url = first.replace("limit=50", "limit=500") + (f"&cursor={cursor}" if cursor else "")
            cursor = c.get(url).raise_for_status().json()["next_cursor"]
    assert cursor, f"{first}: the list is shorter than {depth}"
    return str(cursor)


def pages(base: str, token: str, depth: int) -> dict[str, tuple[str, Callable[[sa.Engine], Any]]]:
    """Page name -> (API path, the service calls the route makes for it)."""
    deep = walk(base, token, "/api/v1/alerts?limit=50", depth)
    posts_deep = walk(base, token, "/api/v1/posts?limit=50", depth)
    key = decode_cursor(deep)
    pkey = decode_cursor(posts_deep)
    assert key and pkey
    from datetime import datetime

    after = (float(key[0]), str(key[1]), str(key[2]))
    pafter = (datetime.fromisoformat(str(pkey[0])), str(pkey[1]), str(pkey[2]))
    filt = {"status": "open", "platform": "telegram", "language": "fr"}

    def account(who: tuple[str, str]) -> tuple[str, Callable[[sa.Engine], Any]]:
        path = f"/api/v1/console/people?key={who[0]}:{who[1]}&profile=true"
        return path, lambda e: views.accounts_by_key(e, [who], True)

    def account_posts(who: tuple[str, str]) -> tuple[str, Callable[[sa.Engine], Any]]:
        path = f"/api/v1/posts?platform={who[0]}&account_id={who[1]}&limit=20"
        return path, lambda e: content.list_posts(e, 20, None, who[0], who[1])

    return {
        "floor: /api/v1/auth/me (token check, no page)": ("/api/v1/auth/me", lambda e: None),
        "triage queue, first page": (
            "/api/v1/alerts?limit=50",
            lambda e: triage.queue_rows(e, limit=51, status="open"),
        ),
        f"triage queue, keyset page at {depth:,}": (
            f"/api/v1/alerts?limit=50&cursor={deep}",
            lambda e: triage.queue_rows(e, limit=51, status="open", after=after),
        ),
        "triage filtered (telegram + fr), first page": (
            "/api/v1/console/alerts?status=open&platform=telegram&language=fr&limit=50",
            lambda e: views.alerts(e, {**filt}, 50, None),
        ),
        "account profile, busiest account": account(BUSY),
        "account's posts, busiest account": account_posts(BUSY),
        "account profile, account with ~1,000 posts": account(MIDDLE),
        "account's posts, account with ~1,000 posts": account_posts(MIDDLE),
        "account profile, typical account": account(TYPICAL),
        "account's posts, typical account": account_posts(TYPICAL),
        "posts list, first page": ("/api/v1/posts?limit=50", lambda e: content.list_posts(e, 50)),
        f"posts list, keyset page at {depth:,}": (
            f"/api/v1/posts?limit=50&cursor={posts_deep}",
            lambda e: content.list_posts(e, 50, pafter),
        ),
        "referral board, first page (limit 50)": (
            "/api/v1/referrals?limit=50",
            lambda e: list_referrals(e, limit=51),
        ),
    }


def recorded(url: str, call: Callable[[sa.Engine], Any]) -> list[tuple[str, Any]]:
    """The driver-level statements (and parameters) ``call`` sends."""
    engine = open_database(url)
    seen: list[tuple[str, Any]] = []
    sa.event.listen(engine, "before_cursor_execute", lambda c, cur, s, p, ctx, many: seen.append((s, p)))
    call(engine)
    engine.dispose()
    return seen


def floor(url: str, stmts: list[tuple[str, Any]], repeats: int) -> tuple[float, float, int]:
    """Median and p99 ms of the statements run one after another on one connection, and the
    rows they return."""
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    times, rows = [], 0
    try:
        cur = raw.cursor()
        for i in range(repeats + 3):
            t = time.perf_counter()
            n = 0
            for stmt, params in stmts:
                cur.execute(stmt, params)
                n += len(cur.fetchall())
            if i >= 3:  # after a warm-up: the steady state the API runs measure too
                times.append((time.perf_counter() - t) * 1000)
            rows = n
            raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    times.sort()
    return statistics.median(times), times[max(0, int(len(times) * 0.99) - 1)], rows


def explain(url: str, stmts: list[tuple[str, Any]]) -> list[str]:
    """Each statement's plan (EXPLAIN ANALYZE), and the sequential scans of big tables in it."""
    engine = sa.create_engine(url)
    raw = engine.raw_connection()
    out = []
    try:
        cur = raw.cursor()
        for stmt, params in stmts:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + stmt, params)
            plan = [r[0] for r in cur.fetchall()]
            seq = [t for t in re.findall(r"Seq Scan on (\w+)", "\n".join(plan)) if t in BIG]
            out.append(" ".join(stmt.split())[:160] + ("\n  SEQ SCAN: " + ", ".join(seq) if seq else ""))
            out += ["    " + line for line in plan]
        raw.rollback()
    finally:
        raw.close()
        engine.dispose()
    return out


def measured(load: Any, base: str, path: str, token: str, clients: int, seconds: int) -> dict[str, Any]:
    """The load run's figures; a page slower than the client's timeout gets NaN and the error."""
    try:
        return dict(load(base, [path], token, clients, seconds))
    except httpx.TimeoutException as exc:
        nan = float("nan")
        return {"p50_ms": nan, "p99_ms": nan, "rps": nan, "errors": repr(exc), "load": load_average()}


def run(
    url: str, clients: int, seconds: int, repeats: int, depth: int, show_plans: bool
) -> list[dict[str, Any]]:
    token = make_token(url)
    port = free_port()
    # No triage page cache: every page read from the database, which is what this measures.
    server = start_server(url, port, 2, 86400.0, False)
    base = f"http://127.0.0.1:{port}"
    load = wrk if shutil.which("wrk") else python_load
    results = []
    try:
        httpx.get(base + "/api/v1/auth/me", headers={"Authorization": f"Bearer {token}"}, timeout=60)
        for name, (path, call) in pages(base, token, depth).items():
            stmts = recorded(url, call)
            f50, f99, nrows = floor(url, stmts, repeats)
            if show_plans:
                print(f"\n== {name}: {path}")
                print("\n".join(explain(url, stmts)))
            warm_pages(base, [path], token, clients=2)
            one, many = (measured(load, base, path, token, n, seconds) for n in (1, clients))
            results.append(
                {
                    "page": name,
                    "path": path,
                    "statements": len(stmts),
                    "rows": nrows,
                    "sql_p50_ms": f50,
                    "sql_p99_ms": f99,
                    "sql_load": load_average(),
                    "one": one,
                    "many": many,
                }
            )
            r = results[-1]
            print(
                f"{name:<46} SQL {f50:7.1f}/{f99:7.1f} ms ({len(stmts)} stmt) | 1 client "
                f"{one['p50_ms']:7.1f}/{one['p99_ms']:7.1f} | {clients} clients {many['p50_ms']:7.1f}/"
                f"{many['p99_ms']:7.1f} ms {many['rps']:6.0f} req/s err {many['errors']} | load "
                f"{r['sql_load']}/{one['load']}/{many['load']}",
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(30)
    return results
