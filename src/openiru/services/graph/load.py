"""Load the store into the graph core's arrays, in bulk (one query per table; posts and edges
streamed in chunks of raw column values, converted a chunk at a time).

Accounts, posts, resolved edges, post media (PDQ where hashed, else SHA-256; media detection matched
to one bank item, and videos matching each other by vPDQ, under one key: :mod:`.media_keys`), analysts' seeds,
and detection results (without the detection tables the graph works on structure alone).  Every call reads the current store, so
the graph is always up to date with what has been imported.
"""

from __future__ import annotations

import gc
import json
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from operator import itemgetter
from typing import Any

import numpy as np
import sqlalchemy as sa

from ...graph.assemble import AccountRow, EdgeRow, Flag, PostRow, assemble
from ...graph.data import GraphData
from ...model import KNOWN_PLATFORMS, utc
from ...store import schema
from ...store.tables_graph import graph_seeds
from ...store.tables_referral import providers as providers_table
from ..progress import rows_read
from .media_keys import media_content_keys

log = logging.getLogger(__name__)
#: PDQ hashes below this quality are unreliable (PDQ reference: discard quality < 50).
MIN_PDQ_QUALITY = 50
#: Rows of posts or edges read and converted at a time.
READ_CHUNK = 50_000


def _dt(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def _list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v]


def _json_list(value: Any) -> list[str]:
    """A JSON array column read as raw text (SQLite) or already decoded (PostgreSQL's driver)."""
    if not value:
        return []
    if isinstance(value, str):
        if value[0] != "[":
            return [value]
        value = json.loads(value)
        if not value:
            return []
    return [str(v) for v in value if v]


def _json_lists(values: list[Any]) -> list[Sequence[str]]:
    """:func:`_json_list` of a whole column: SQLite's JSON texts decoded by one ``json.loads`` call;
    the empty ones share one empty tuple (not a new list per post)."""
    present = [i for i, v in enumerate(values) if v]
    texts = [values[i] for i in present]
    # every present value a JSON array text (checked by C-level passes, not a Python test per value)
    if texts and (set(map(type, texts)) != {str} or set(map(itemgetter(0), texts)) != {"["}):
        return [_json_list(v) for v in values]
    out: list[Sequence[str]] = [()] * len(values)
    decoded = json.loads("[" + ",".join(texts) + "]")
    for i, items in zip(present, decoded, strict=True):
        if items:
            out[i] = [str(v) for v in items if v]
    return out


def seconds(values: list[Any]) -> np.ndarray:
    """Unix seconds of timestamps as the driver returns them without SQLAlchemy's per-row type
    processing: naive UTC text on SQLite (parsed by numpy in one call), datetimes on PostgreSQL."""
    if not values:
        return np.zeros(0, np.float64)
    if set(map(type, values)) == {str} and max(map(len, values)) <= 26:  # "YYYY-MM-DD HH:MM:SS.ffffff"
        try:
            return np.asarray(values, dtype="datetime64[us]").astype(np.int64) / 1e6
        except ValueError:
            pass
    return np.asarray(
        [utc(v if isinstance(v, datetime) else datetime.fromisoformat(v)).timestamp() for v in values],
        np.float64,
    )


def _column_chunks(conn: sa.Connection, query: sa.Select[Any]) -> Iterator[list[tuple[Any, ...]]]:
    """The query's rows :data:`READ_CHUNK` at a time, as columns (streamed from the server on
    PostgreSQL): a million posts never exist as a million rows at once."""
    for part in conn.execute(query.execution_options(yield_per=READ_CHUNK)).partitions():
        rows_read(len(part))  # a command's progress display, when one listens (services.progress)
        yield list(zip(*part, strict=True))


def detection_results(conn: sa.Connection) -> tuple[list[Flag], dict[tuple[str, str], str]]:
    """Flagged posts and account exemptions, or nothing when the detection tables are absent."""
    from ..detect import results as dr  # imported when used; a failure to import is an error

    try:
        with conn.begin_nested():
            flags = [
                Flag(f.platform, f.post_id, f.strength, f.status, f.exemption) for f in dr.flagged_posts(conn)
            ]
            exemptions = dict(dr.account_exemptions(conn))
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:  # tables not there
        log.info("no detection results: %s", exc.__class__.__name__)
        return [], {}
    return flags, exemptions


def has_lexicon(conn: sa.Connection) -> bool:
    """Whether any lexicon term is loaded (False where the detection tables are absent)."""
    from ...store import tables_detect as td

    try:
        with conn.begin_nested():
            t = td.detect_lexicon_terms
            return conn.execute(sa.select(t.c.id).limit(1)).first() is not None
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        return False


def load_seeds(conn: sa.Connection) -> dict[tuple[str, str], str | None]:
    rows = conn.execute(sa.select(graph_seeds.c.platform, graph_seeds.c.account_id, graph_seeds.c.added_by))
    return {(r.platform, r.account_id): r.added_by for r in rows}


@contextmanager
def _cyclic_gc_paused() -> Iterator[None]:
    """Python's cycle collector paused while a million row objects are built: each full collection
    walks every object still alive, and the loading only adds objects (~20% of its CPU at 100,000
    posts).  Nothing is lost: cycles made meanwhile are collected once it runs again."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def load_graph(
    engine: sa.Engine,
    since: datetime | None = None,
    until: datetime | None = None,
    platforms: Iterable[str] | None = None,
    with_detection: bool = True,
) -> GraphData:
    with _cyclic_gc_paused():
        return _load_graph(engine, since, until, platforms, with_detection)


def _load_graph(
    engine: sa.Engine,
    since: datetime | None,
    until: datetime | None,
    platforms: Iterable[str] | None,
    with_detection: bool,
) -> GraphData:
    a, p, e, m, pm = schema.accounts, schema.posts, schema.edges, schema.media, schema.post_media
    wanted = list(platforms) if platforms else None
    with engine.connect() as conn:
        q = sa.select(
            a.c.platform,
            a.c.account_id,
            a.c.handle,
            a.c.display_name,
            a.c.bio,
            a.c.status,
            a.c.status_changed_at,
            a.c.first_seen,
            a.c.last_seen,
            a.c.followers,
            m.c.pdq,
            m.c.pdq_quality,
            a.c.created_at,
            a.c.avatar_media,
            m.c.sha256,
        ).select_from(a.outerjoin(m, m.c.media_key == a.c.avatar_media))
        if wanted:
            q = q.where(a.c.platform.in_(wanted))
        # one order whatever the order rows were stored in (SQLite's insertion order, PostgreSQL's
        # none): account indices, and with them ties and community detection, do not depend on it
        q = q.order_by(a.c.platform, a.c.account_id)
        accounts = [
            AccountRow(
                r.platform,
                r.account_id,
                r.handle,
                r.display_name,
                r.bio,
                r.status or "unknown",
                _dt(r.status_changed_at),
                _dt(r.first_seen),
                _dt(r.last_seen),
                r.followers,
                r.pdq if r.pdq and (r.pdq_quality or 100) >= MIN_PDQ_QUALITY else None,
                _dt(r.created_at),
                f"sha256:{r.sha256}" if r.sha256 else r.avatar_media,
            )
            for r in conn.execute(q)
        ]
        pq = sa.select(
            p.c.platform,
            p.c.post_id,
            p.c.account_id,
            p.c.timestamp,
            p.c.text,
            p.c.urls,
            p.c.hashtags,
            p.c.reply_to,
            p.c.repost_of,
            p.c.quote_of,
            p.c.forward_from,
            p.c.forward_from_name,
            p.c.mentions,
        )
        eq = sa.select(
            e.c.platform,
            e.c.source_account_id,
            e.c.target_platform,
            e.c.target_account_id,
            e.c.kind,
            e.c.time,
        ).where(e.c.target_account_id.is_not(None))
        mq = sa.select(
            pm.c.platform, pm.c.post_id, pm.c.media_key, m.c.sha256, m.c.pdq, m.c.pdq_quality
        ).select_from(pm.join(m, m.c.media_key == pm.c.media_key))
        for col_p, col_t, query_name in ((p.c.platform, p.c.timestamp, "pq"), (e.c.platform, e.c.time, "eq")):
            query = pq if query_name == "pq" else eq
            if since is not None:
                query = query.where(col_t >= since)
            if until is not None:
                query = query.where(col_t <= until)
            if wanted:
                query = query.where(col_p.in_(wanted))
            if query_name == "pq":
                pq = query
            else:
                eq = query
        if wanted:
            mq = mq.where(pm.c.platform.in_(wanted))
        started = time.perf_counter()
        # raw column values (no per-row DateTime/JSON processing), read in chunks: each chunk's
        # timestamps and JSON lists converted in bulk and its rows dropped before the next
        raw = [sa.type_coerce(c, sa.Text) for c in (p.c.timestamp, p.c.urls, p.c.hashtags, p.c.mentions)]
        posts: list[PostRow] = []
        for cols in _column_chunks(
            conn,
            pq.with_only_columns(
                p.c.platform,
                p.c.post_id,
                p.c.account_id,
                raw[0],
                p.c.text,
                raw[1],
                raw[2],
                p.c.reply_to,
                p.c.repost_of,
                p.c.quote_of,
                p.c.forward_from,
                p.c.forward_from_name,
                raw[3],
            ).order_by(p.c.timestamp),
        ):
            urls, tags, mentions = (_json_lists(list(cols[k])) for k in (5, 6, 12))
            posts.extend(
                map(
                    PostRow,
                    cols[0],
                    cols[1],
                    cols[2],
                    seconds(list(cols[3])).tolist(),
                    [t or "" for t in cols[4]],
                    urls,
                    tags,
                    *cols[7:12],
                    mentions,
                )
            )
        edges: list[EdgeRow] = []
        for cols in _column_chunks(
            conn,
            eq.with_only_columns(
                e.c.platform,
                e.c.source_account_id,
                e.c.target_platform,
                e.c.target_account_id,
                e.c.kind,
                sa.type_coerce(e.c.time, sa.Text),
            ),
        ):
            edges.extend(map(EdgeRow, *cols[:5], seconds(list(cols[5])).tolist()))
        read_posts = time.perf_counter() - started
        posted: list[tuple[tuple[str, str], str]] = []
        own_key: dict[str, str] = {}
        for r in conn.execute(mq):
            good_pdq = r.pdq and (r.pdq_quality if r.pdq_quality is not None else 100) >= MIN_PDQ_QUALITY
            posted.append(((r.platform, r.post_id), r.media_key))
            own_key[r.media_key] = (
                f"pdq:{r.pdq}" if good_pdq else f"sha256:{r.sha256}" if r.sha256 else r.media_key
            )
        # one key for the encodes of one video, the re-makes of one poster (services.graph.media_keys)
        content_key = media_content_keys(conn, own_key, with_detection)
        media: dict[tuple[str, str], list[str]] = defaultdict(list)
        for post, media_key in posted:
            media[post].append(content_key[media_key])
        seeds = load_seeds(conn)
        flags, exemptions = detection_results(conn) if with_detection else ([], {})
        lexicon = with_detection and has_lexicon(conn)
        read_all = time.perf_counter() - started
    started = time.perf_counter()
    data = assemble(accounts, posts, edges, media, flags, exemptions, seeds)
    data.lexicon = lexicon and data.detection
    data.timings = {
        "read posts and edges": read_posts,
        "read media, seeds, detection": read_all - read_posts,
        **data.timings,
        "assemble arrays": time.perf_counter() - started - sum(data.timings.values()),
    }
    return data


def domain_registry(engine: sa.Engine) -> dict[str, str]:
    """Domain -> platform, from the built-in platforms, the platforms table and the provider registry."""
    registry = {d: p.name for p in KNOWN_PLATFORMS.values() for d in p.domains}
    with engine.connect() as conn:
        for row in conn.execute(sa.select(schema.platforms.c.name, schema.platforms.c.domains)):
            for d in _list(row.domains):
                registry.setdefault(d.lower().removeprefix("www."), row.name)
        rows: list[Any]  # database rows or the starter registry's ProviderInfo: .name, .platforms, .domains
        try:
            with conn.begin_nested():
                rows = list(
                    conn.execute(
                        sa.select(
                            providers_table.c.name, providers_table.c.platforms, providers_table.c.domains
                        )
                    )
                )
        except (sa.exc.OperationalError, sa.exc.ProgrammingError):  # referral tables not there
            rows = []
    if not rows:  # registry not loaded into this database yet: its starter list
        from ..referral.providers import starter_registry

        try:
            rows = list(starter_registry())
        except (OSError, ValueError):  # a broken registry file: the built-in platforms only
            rows = []
    for row in rows:
        plats = _list(row.platforms)
        for d in _list(row.domains):
            registry.setdefault(d.lower().removeprefix("www."), plats[0] if plats else row.name)
    return registry
