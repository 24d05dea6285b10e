"""The account index (migration 0017, issue 16): (platform, account_id, timestamp, post_id), so an
account's page reads its newest posts as one index range, and its profile's count and first/last
post from the index alone, instead of fetching and sorting all of the account's posts."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from openiru.services.collect import content
from openiru.services.console import views
from openiru.store.db import open_database

FILL = """INSERT INTO posts (platform, post_id, account_id, timestamp, text, language, raw)
           SELECT 'x', i::text, (i % 200)::text,
                  timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => i * 60), 'placeholder', 'en', ''
           FROM generate_series(1, 40000) AS i"""


def _plans(engine: sa.Engine, call: Any) -> tuple[Any, list[str]]:
    """What ``call`` returns, and the plan of each statement it sends."""
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, params: Any, context: Any, many: bool) -> None:
        seen.append((statement, params))

    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        result = call(engine)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    with engine.connect() as conn:
        plans = [
            "\n".join(r[0] for r in conn.exec_driver_sql("EXPLAIN " + s, p))  # type: ignore[arg-type]
            for s, p in seen
        ]
    return result, plans


def test_the_account_index_holds_the_time_order(db_url: str) -> None:
    engine = open_database(db_url)
    try:
        columns = {ix["name"]: ix["column_names"] for ix in sa.inspect(engine).get_indexes("posts")}
    finally:
        engine.dispose()
    assert columns["ix_posts_account"] == ["platform", "account_id", "timestamp", "post_id"]


def test_account_page_and_profile_read_the_index_without_sorting(pg_url: str) -> None:
    engine = open_database(pg_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(FILL))
            conn.execute(
                sa.text("INSERT INTO accounts (platform, account_id, status) VALUES ('x', '7', 'active')")
            )
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE posts"))
        (items, _key), (plan,) = _plans(engine, lambda e: content.list_posts(e, 20, None, "x", "7"))
        assert "ix_posts_account" in plan and "Sort" not in plan, plan
        assert [p["post_id"] for p in items] == [str(i) for i in range(39807, 0, -200)][:20]
        (profile,), plans = _plans(engine, lambda e: views.accounts_by_key(e, [("x", "7")], True))
        assert "Index Only Scan using ix_posts_account" in plans[-1], plans[-1]
        assert profile["posts"] == 200 and profile["first_post"] < profile["last_post"]
    finally:
        engine.dispose()
