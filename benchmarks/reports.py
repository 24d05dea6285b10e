"""Report benchmark: the annual report over a large PostgreSQL store (issue 17: 10,000,000 posts
and 100,000 referrals in under 30 seconds).

Fills a fresh PostgreSQL database server-side with ``generate_series`` (placeholder text,
fictional ids): N posts over one year on four platforms in five languages, 1 % of them with
a detection alert (half decided), 0.5 % with a media-hash hit, M referrals with one target each
(states mixed, answers 5 minutes to 5 hours after sending, 2 % held by deconfliction, 10 %
removal orders).  Then times ``reports.annual`` (every figure of ``openiru statistics`` plus
items assessed, per platform/language/provider tables and charts) and its PDF, beside the floor
any report must pay: one ``count(*)`` over the posts of the year.

Usage: ``.venv/bin/python benchmarks/reports.py [--posts 10000000] [--referrals 100000] [--reuse]``
"""

from __future__ import annotations

import argparse
import os
import time

import sqlalchemy as sa

from openiru.report.render import to_pdf
from openiru.services.referral.providers import list_providers
from openiru.services.report import rendered as reports
from openiru.services.report.statistics import Filters, statistics
from openiru.store.db import open_database

PG_ADMIN = os.environ.get("OPENIRU_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
NAME = "openiru_bench_reports"

FILL = [
    """INSERT INTO users (name, role, agency, disabled, created_at)
       VALUES ('bench', 'analyst', 'Bench Agency', false, now())""",
    """INSERT INTO posts (platform, post_id, account_id, timestamp, text, language, raw)
       SELECT (ARRAY['x','telegram','mastodon','rocketchat'])[1 + i % 4], i::text, (i % 50000)::text,
              timestamptz '2026-01-01 00:00:00+00' + (i % 31536000) * interval '1 second',
              'placeholder text', (ARRAY['en','fr','de','ar','ru'])[1 + i % 5], ''
       FROM generate_series(1, :posts) AS i""",
    """INSERT INTO detect_alerts (platform, post_id, account_id, status, priority, strength, created_at,
                                  updated_at, decided_at, decided_by)
       SELECT platform, post_id, account_id,
              CASE WHEN post_id::bigint % 400 = 0 THEN 'rejected' WHEN post_id::bigint % 200 = 0
                   THEN 'confirmed' ELSE 'open' END, 0.5, 0.5, timestamp, timestamp,
              CASE WHEN post_id::bigint % 200 = 0 THEN timestamp + interval '1 hour' END,
              CASE WHEN post_id::bigint % 200 = 0 THEN 'bench' END
       FROM posts WHERE post_id::bigint % 100 = 0""",
    """INSERT INTO detect_hits (platform, post_id, matcher, bank, item, label, strength, suppressed, created_at)
       SELECT platform, post_id, 'sha256', 'bench', 'item-' || (post_id::bigint % 97), 'Fictional Front', 1.0,
              false, timestamp
       FROM posts WHERE post_id::bigint % 200 = 0""",
    """INSERT INTO referrals (id, kind, state, provider, reference, created_by, created_at, sent_at,
                              acknowledged_at, resolved_at, pauses, updated_at)
       SELECT i, CASE WHEN i % 10 = 0 THEN 'removal-order' ELSE 'referral' END,
              (ARRAY['removed','removed','removed','access_disabled','rejected','no_response','sent',
                     'acknowledged','removed','on_hold'])[1 + i % 10],
              CASE WHEN i % 2 = 0 THEN 'X Corp' ELSE 'Telegram' END, 'BENCH-' || i, 'bench',
              timestamptz '2026-01-01 00:00:00+00' + (i * 311 % 31536000) * interval '1 second',
              CASE WHEN i % 10 <> 9 THEN timestamptz '2026-01-01 00:10:00+00'
                   + (i * 311 % 31536000) * interval '1 second' END,
              CASE WHEN i % 10 IN (0,1,2,3,4,7,8) THEN timestamptz '2026-01-01 00:15:00+00'
                   + (i * 311 % 31536000) * interval '1 second' END,
              CASE WHEN i % 10 IN (0,1,2,3,4,8) THEN timestamptz '2026-01-01 00:10:00+00'
                   + (i * 311 % 31536000) * interval '1 second' + (300 + i % 18000) * interval '1 second' END,
              '[]'::json, now()
       FROM generate_series(1, :referrals) AS i""",
    """INSERT INTO referral_targets (referral_id, kind, key, platform, language)
       SELECT i, 'post', (CASE WHEN i % 2 = 0 THEN 'x' ELSE 'telegram' END) || ':' || (i * 97 % :posts + 1),
              CASE WHEN i % 2 = 0 THEN 'x' ELSE 'telegram' END, (ARRAY['en','fr','de','ar','ru'])[1 + i % 5]
       FROM generate_series(1, :referrals) AS i""",
    """INSERT INTO referral_events (referral_id, at, actor, action, from_state, to_state)
       SELECT i, now(), 'system', 'hold', 'draft', 'on_hold' FROM generate_series(1, :referrals) AS i
       WHERE i % 50 = 9""",
]


def fill(url: str, posts: int, refs: int) -> float:
    engine = open_database(url)
    list_providers(engine)  # the starter registry
    t = time.perf_counter()
    with engine.begin() as conn:
        for sql in FILL:
            conn.execute(sa.text(sql), {"posts": posts, "referrals": refs})
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(sa.text("VACUUM ANALYZE"))
    engine.dispose()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--posts", type=int, default=10_000_000)
    ap.add_argument("--referrals", type=int, default=100_000)
    ap.add_argument("--reuse", action="store_true", help="keep and reuse the filled database")
    args = ap.parse_args()
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    url = PG_ADMIN.rsplit("/", 1)[0] + f"/{NAME}"
    with admin.connect() as conn:
        exists = conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": NAME}).first()
        if exists and not args.reuse:
            conn.execute(sa.text(f'DROP DATABASE "{NAME}" WITH (FORCE)'))
        if not exists or not args.reuse:
            conn.execute(sa.text(f'CREATE DATABASE "{NAME}"'))
            print(
                f"fill: {fill(url, args.posts, args.referrals):.1f} s for {args.posts:,} posts, "
                f"{args.referrals:,} referrals"
            )
    engine = open_database(url)
    try:
        with engine.connect() as conn:
            t = time.perf_counter()
            n = conn.execute(
                sa.text(
                    "SELECT count(*) FROM posts WHERE timestamp >= '2026-01-01' AND timestamp < '2027-01-01'"
                )
            ).scalar()
            floor = time.perf_counter() - t
        t = time.perf_counter()
        s = statistics(engine, Filters(*reports.year_range(2026)))
        stat_s = time.perf_counter() - t
        t = time.perf_counter()
        doc = reports.annual(engine, 2026)
        annual_s = time.perf_counter() - t
        t = time.perf_counter()
        pdf = to_pdf(doc)
        pdf_s = time.perf_counter() - t
    finally:
        engine.dispose()
        if not args.reuse:
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{NAME}" WITH (FORCE)'))
        admin.dispose()
    f = doc.figures
    print(
        f"posts in 2026: {n:,}; items referred {f['items_referred']:,}; removal rate {f['removal_rate']}; "
        f"items assessed {f['items_assessed']:,}; PDF {len(pdf):,} bytes; statistics posts "
        f"{s['posts_collected']:,}"
    )
    print("| step | seconds |\n|---|---|")
    print(f"| count(*) of the year's posts (floor) | {floor:.2f} |")
    print(f"| openiru statistics (whole year) | {stat_s:.2f} |")
    print(f"| annual report (figures, tables, charts) | {annual_s:.2f} |")
    print(f"| its PDF | {pdf_s:.2f} |")


if __name__ == "__main__":
    main()
