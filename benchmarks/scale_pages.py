"""Issue 16, item 5: the API's triage, account, posts and referral pages on a 10,000,000-post
PostgreSQL database, each beside its bare SQL (the floor), with the load average.

Fills (or with ``--reuse`` keeps) the database ``openiru_bench_pages`` server-side with
``generate_series`` (placeholder text, fictional ids): ``--pages-db`` posts over 2026 on four
platforms in five languages by ``--accounts`` accounts (a power law: the busiest has ~1.7 % of
all posts), an alert on 1 % of the posts (80 % open, their posts spread over the languages) with
one term hit each and its triage card, ``--referrals`` referrals with one post target each.
Then starts ``openiru serve`` (2 workers, no triage page cache) and measures each page with 1
and ``--clients`` clients (``wrk``, or benchmarks/api.py's httpx generator without it), beside
the page's own SQL replayed alone through psycopg (median and p99 of ``--repeats``): the
difference is the stack, not the database.  ``--explain`` prints the plans and flags
sequential scans of the big tables.  Without ``--reuse`` the database is dropped at the end.

    .venv/bin/python benchmarks/scale.py --pages-db 10000000 [--reuse] [--explain]
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

import sqlalchemy as sa

PG_ADMIN = os.environ.get("OPENIRU_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NAME = os.environ.get("OPENIRU_BENCH_PAGES_DB", "openiru_bench_pages")
PLATFORMS = "(ARRAY['x','telegram','mastodon','rocketchat'])"
LANGS = "(ARRAY['en','fr','de','ar','ru'])"
# A deterministic uniform [0, 1) per row (Knuth's multiplicative hash): reproducible fills.
H = "(((({i})::bigint * 2654435761) % 4294967296) / 4294967296.0)"

FILL = [
    f"""INSERT INTO accounts (platform, account_id, handle, display_name, status, followers, first_seen,
                              last_seen)
        SELECT {PLATFORMS}[1 + a % 4], a::text, 'acct' || a, 'Placeholder account ' || a, 'active',
               (a * 7919) % 100000, timestamptz '2026-01-01 00:00:00+00', timestamptz '2027-01-01 00:00:00+00'
        FROM generate_series(1, :accounts) AS a""",
    # account a = 1 + floor(A * h^3): a power law; its platform is the account's
    f"""INSERT INTO posts (platform, post_id, account_id, timestamp, text, language, raw)
        SELECT {PLATFORMS}[1 + s.a % 4], s.i::text, s.a::text,
               timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => s.i * (31536000.0 / :posts)),
               'Neutral placeholder post number ' || s.i, {LANGS}[1 + s.i % 5], ''
        FROM (SELECT i, (1 + floor(:accounts * power({H.format(i="i")}, 3)))::int AS a
              FROM generate_series(1, :posts) AS i) AS s""",
    # every post with an alert (i % 100 = 0) would be 'en' by i % 5: spread them over the five
    f"""UPDATE posts SET language = {LANGS}[1 + (post_id::bigint / 100) % 5]
        WHERE post_id::bigint % 100 = 0""",
    f"""INSERT INTO detect_alerts (platform, post_id, account_id, status, priority, strength, created_at,
                                   updated_at)
        SELECT platform, post_id, account_id,
               CASE WHEN post_id::bigint % 1000 = 0 THEN 'confirmed' WHEN post_id::bigint % 1000 = 500
                    THEN 'rejected' ELSE 'open' END,
               round({H.format(i="post_id::bigint * 31")}::numeric, 6), 0.5, timestamp, timestamp
        FROM posts WHERE post_id::bigint % 100 = 0""",
    """INSERT INTO detect_hits (platform, post_id, matcher, bank, item, label, term, span_start, span_end,
                                strength, suppressed, created_at)
       SELECT platform, post_id, 'term', 'bench-lexicon', 'placeholder', 'Fictional Org', 'placeholder',
              8, 19, strength, false, created_at
       FROM detect_alerts""",
    """INSERT INTO referrals (id, kind, state, provider, reference, created_by, created_at, sent_at,
                             acknowledged_at, pauses, updated_at)
       SELECT i, 'referral',
              (ARRAY['removed','removed','access_disabled','rejected','no_response','sent','acknowledged',
                     'draft','approved','on_hold'])[1 + i % 10],
              CASE WHEN i % 2 = 0 THEN 'X Corp' ELSE 'Telegram' END, 'BENCH-' || i, 'bench',
              timestamptz '2026-01-01 00:00:00+00' + (i * 311 % 31536000) * interval '1 second',
              CASE WHEN i % 10 < 7 THEN timestamptz '2026-01-01 00:10:00+00'
                   + (i * 311 % 31536000) * interval '1 second' END,
              CASE WHEN i % 10 IN (0, 1, 2, 3, 6) THEN timestamptz '2026-01-01 00:20:00+00'
                   + (i * 311 % 31536000) * interval '1 second' END,
              '[]'::json, now()
       FROM generate_series(1, :referrals) AS i""",
    """SELECT setval(pg_get_serial_sequence('referrals', 'id'), :referrals)""",
    """INSERT INTO referral_targets (referral_id, kind, key, platform, language)
       SELECT t.rn, 'post', t.platform || ':' || t.post_id, t.platform, p.language
       FROM (SELECT platform, post_id, row_number() OVER (ORDER BY post_id::bigint) AS rn
             FROM detect_alerts) AS t
       JOIN posts p USING (platform, post_id)
       WHERE t.rn <= :referrals""",
]


def fill(url: str, posts: int, accounts: int, referrals: int) -> None:
    from openiru.services.access.users import add_user
    from openiru.services.detect import triage
    from openiru.store.db import open_database

    engine = open_database(url)
    add_user(engine, "bench-analyst", "analyst")
    params = {"posts": posts, "accounts": accounts, "referrals": referrals}
    with engine.begin() as conn:
        # posts' secondary indexes are made again after the rows are in (one sort each instead
        # of 10M insertions), from their own definitions: the schema stays the migrations'.
        extra = conn.execute(
            sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'posts' AND indexname LIKE 'ix_%'"
            )
        ).all()
        for name, _ in extra:
            conn.execute(sa.text(f'DROP INDEX "{name}"'))
        conn.execute(sa.text("SET LOCAL maintenance_work_mem = '512MB'"))
        for sql in FILL:
            t = time.perf_counter()
            n = conn.execute(sa.text(sql), params).rowcount
            what = " ".join(sql.split()[:3])
            print(f"  {what:<40} {n:>11,} rows {time.perf_counter() - t:7.1f} s", flush=True)
        for name, ddl in extra:
            t = time.perf_counter()
            conn.execute(sa.text(ddl))
            print(f"  index {name:<34} {time.perf_counter() - t:7.1f} s", flush=True)
    vacuum(engine)  # before the cards: without statistics their look-ups scan all posts
    t = time.perf_counter()
    cards = triage.fill_missing_cards(engine)
    print(f"  triage cards                             {cards:>11,} rows {time.perf_counter() - t:7.1f} s")
    vacuum(engine)
    engine.dispose()


def vacuum(engine: sa.Engine) -> None:
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        t = time.perf_counter()
        conn.execute(sa.text("VACUUM ANALYZE"))
        print(f"  VACUUM ANALYZE {time.perf_counter() - t:37.1f} s", flush=True)


def database(posts: int, accounts: int, referrals: int, reuse: bool) -> str:
    """The filled database's URL: reused when asked and present, else made afresh."""
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{NAME}"
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": NAME}).first()
        if exists and reuse:
            print(f"reusing database {NAME}")
            return url
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{NAME}"'))
    admin.dispose()
    t = time.perf_counter()
    print(f"filling {NAME}: {posts:,} posts, {accounts:,} accounts, {referrals:,} referrals")
    fill(url, posts, accounts, referrals)
    print(f"fill: {time.perf_counter() - t:.0f} s, load {os.getloadavg()[0]:.2f}")
    return url


def add_arguments(ap: argparse.ArgumentParser) -> None:
    g = ap.add_argument_group("pages on a large database (--pages-db)")
    g.add_argument("--pages-db", type=int, default=0, metavar="POSTS", help="posts in the database (0: off)")
    g.add_argument("--accounts", type=int, default=200_000)
    g.add_argument("--referrals", type=int, default=100_000)
    g.add_argument("--reuse", action="store_true", help="keep and reuse the filled database")
    g.add_argument("--explain", action="store_true", help="print each statement's plan")
    g.add_argument("--clients", type=int, default=50, help="concurrent clients of the loaded runs")
    g.add_argument("--page-seconds", type=int, default=8, help="seconds of each load run")
    g.add_argument("--repeats", type=int, default=50, help="runs of each page's bare SQL")
    g.add_argument("--depth", type=int, default=50_000, help="position of the deep keyset pages")


def main(args: argparse.Namespace) -> None:
    import scale_pages_measure as measure

    url = database(args.pages_db, args.accounts, args.referrals, args.reuse)
    with sa.create_engine(url).connect() as conn:
        sizes = conn.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM posts), (SELECT count(*) FROM detect_alerts), "
                "(SELECT count(*) FROM accounts), (SELECT count(*) FROM referrals), "
                "pg_size_pretty(pg_database_size(current_database()))"
            )
        ).one()
    print(
        f"{sizes[0]:,} posts, {sizes[1]:,} alerts, {sizes[2]:,} accounts, {sizes[3]:,} referrals; {sizes[4]}; "
        f"{os.cpu_count()} cores; load {os.getloadavg()[0]:.2f}"
    )
    print(
        "page: SQL = the page's statements alone via psycopg (median/p99 ms); then the API via wrk, p50/p99 ms"
    )
    results = measure.run(url, args.clients, args.page_seconds, args.repeats, args.depth, args.explain)
    out = Path(__file__).resolve().parent / "out" / "scale-pages.json"
    out.write_text(json.dumps({"sizes": [str(s) for s in sizes], "results": results}, indent=1))
    if not args.reuse:
        with sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
