"""Edge targets named by post, handle or display name, filled in after an import.

An edge's target is known when the source names the account (an X mention with its
id).  Otherwise it is a reference (``post:<id>``, ``handle:<name>``,
``name:<display name>``) resolved here once the import is in.  The work runs in
chunks of edges (by their source post's id, a range of the edges' primary key), so
its memory does not grow with the import: one statement over all of them had
SQLite collect every row it would change first (with ``temp_store=MEMORY``, in
memory).  Measured on 350,357 unresolved edges of a 1,000,000-tweet import: peak RSS
+198 MiB in one statement, +92 MiB in chunks, of which the connection's 64 MiB page
cache (docs/benchmarks/ingest.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import sqlalchemy as sa

from . import schema

#: Edges per resolving statement (a range of source post ids holding about this many).
RESOLVE_CHUNK = 20_000


def _mark(conn: sa.Connection) -> str:
    return "?" if conn.dialect.name == "sqlite" else "%s"


def _ranges(
    conn: sa.Connection, platforms: Iterable[str] | None, chunk: int
) -> Iterator[tuple[str, str | None, str | None]]:
    """(platform, after, upto): post-id ranges of the edges of ``platforms`` holding about
    ``chunk`` edges each (``after`` None: from the start; ``upto`` None: to the end)."""
    mark = _mark(conn)
    if platforms is None:
        platforms = [r[0] for r in conn.exec_driver_sql("SELECT DISTINCT platform FROM edges")]
    for platform in sorted(platforms):
        after: str | None = None
        while True:
            bound = conn.exec_driver_sql(
                f"SELECT post_id FROM edges WHERE platform = {mark}"
                + (f" AND post_id > {mark}" if after is not None else "")
                + f" ORDER BY post_id LIMIT 1 OFFSET {int(chunk)}",
                (platform, after) if after is not None else (platform,),
            ).scalar()
            yield platform, after, bound
            if bound is None:
                break
            after = bound


def _in_range(mark: str, after: str | None, upto: str | None) -> tuple[str, tuple[str, ...]]:
    sql = f"edges.platform = {mark}"
    params: tuple[str, ...] = ()
    if after is not None:
        sql, params = sql + f" AND edges.post_id > {mark}", (after,)
    if upto is not None:
        sql, params = sql + f" AND edges.post_id <= {mark}", (*params, upto)
    return sql, params


def resolve_edges(
    conn: sa.Connection,
    platforms: Iterable[str] | None = None,
    chunk: int = RESOLVE_CHUNK,
    commit: bool = False,
) -> int:
    """Fill in edge targets named by post, handle or display name; returns how many.

    Posts are found through the posts' primary key.  Handles and display names have no
    usable index (handles compare case-insensitively), so the distinct names the
    unresolved edges use are looked up once each, in chunks, and applied through a
    temporary table (a correlated lookup per edge scanned every account for every
    edge: minutes at 100,000 Telegram forwards).  Every UPDATE covers one range of
    about ``chunk`` edges; with ``commit`` each range is committed as it is done (the
    connection must not be inside ``engine.begin()``), so that neither the transaction
    nor SQLite's write-ahead log grows with the import.  Resolving is idempotent: after
    a crash, running it again finishes the job.
    """
    platforms = None if platforms is None else list(platforms)
    mark = _mark(conn)
    by_post = (
        "SELECT posts.account_id FROM posts WHERE posts.platform = edges.target_platform "
        "AND posts.post_id = substr(edges.target_ref, 6)"
    )
    mapping = _named_targets(conn, platforms)
    total = 0
    if mapping:
        conn.exec_driver_sql(
            "CREATE TEMPORARY TABLE openiru_ref_map (platform VARCHAR(100), ref VARCHAR(300), "
            "account_id VARCHAR(255), PRIMARY KEY (platform, ref))"
        )
        conn.exec_driver_sql(f"INSERT INTO openiru_ref_map VALUES ({mark}, {mark}, {mark})", mapping)
    try:
        match = "FROM openiru_ref_map m WHERE m.platform = edges.target_platform AND m.ref = edges.target_ref"
        for platform, after, upto in list(_ranges(conn, platforms, chunk)):
            where, params = _in_range(mark, after, upto)
            total += max(
                conn.exec_driver_sql(
                    f"UPDATE edges SET target_account_id = ({by_post}) WHERE {where} "
                    f"AND edges.target_account_id IS NULL AND substr(edges.target_ref, 1, 5) = 'post:' "
                    f"AND EXISTS ({by_post})",
                    (platform, *params),
                ).rowcount,
                0,
            )
            if mapping:
                total += max(
                    conn.exec_driver_sql(
                        f"UPDATE edges SET target_account_id = (SELECT m.account_id {match}) WHERE {where} "
                        f"AND edges.target_account_id IS NULL AND EXISTS (SELECT 1 {match})",
                        (platform, *params),
                    ).rowcount,
                    0,
                )
            if commit:
                conn.commit()
    finally:
        if mapping:
            conn.exec_driver_sql("DROP TABLE openiru_ref_map")
            if commit:
                conn.commit()
    return total


def _named_targets(
    conn: sa.Connection, platforms: list[str] | None, chunk: int = 500
) -> list[tuple[str, str, str]]:
    """(platform, "handle:…"/"name:…" ref, account id) for the refs of unresolved edges
    that name a known account; the most recently seen account wins a tie."""
    e, a = schema.edges, schema.accounts
    unresolved: sa.ColumnElement[bool] = e.c.target_account_id.is_(None)
    if platforms is not None:
        unresolved = sa.and_(unresolved, e.c.platform.in_(platforms))
    found: list[tuple[str, str, str]] = []
    for prefix, column in (("handle:", sa.func.lower(a.c.handle)), ("name:", a.c.display_name)):
        wanted: dict[str, dict[str, str]] = {}
        rows = conn.execute(
            sa.select(e.c.target_platform, e.c.target_ref)
            .where(unresolved, e.c.target_ref.startswith(prefix))
            .distinct()
        )
        for platform, ref in rows:
            wanted.setdefault(platform, {})[ref[len(prefix) :]] = ref
        for platform, refs in wanted.items():
            names = list(refs)
            best: dict[str, tuple[str, Any]] = {}
            for start in range(0, len(names), chunk):
                query = sa.select(column, a.c.account_id, a.c.last_seen).where(
                    a.c.platform == platform, column.in_(names[start : start + chunk])
                )
                for name, account_id, last_seen in conn.execute(query):
                    held = best.get(name)
                    if held is None or (held[1] is None or (last_seen is not None and last_seen > held[1])):
                        best[name] = (account_id, last_seen)
            found.extend((platform, refs[name], account_id) for name, (account_id, _) in best.items())
    return found
