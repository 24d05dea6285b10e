"""Load the store into the graph core's arrays, in bulk (one query per table).

Accounts, posts, resolved edges, post media (PDQ where hashed, else SHA-256), analysts' seeds,
and detection results where the detection area is installed (imported lazily: without it, or
without its tables, the graph works on structure alone).  Every call reads the current store, so
the graph is always up to date with what has been imported.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ..graph.assemble import AccountRow, EdgeRow, Flag, PostRow, assemble
from ..graph.data import GraphData
from ..model import KNOWN_PLATFORMS, utc
from ..store import schema
from ..store.tables_graph import graph_seeds

log = logging.getLogger(__name__)
#: PDQ hashes below this quality are unreliable (PDQ reference: discard quality < 50).
MIN_PDQ_QUALITY = 50


def _dt(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None


def _list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value if v]


def detection_results(conn: sa.Connection) -> tuple[list[Flag], dict[tuple[str, str], str]]:
    """Flagged posts and account exemptions, or nothing when detection is absent."""
    try:
        from . import detection_results as dr
    except ImportError:
        return [], {}
    try:
        with conn.begin_nested():
            flags = [Flag(f.platform, f.post_id, f.strength, f.status, f.exemption)
                     for f in dr.flagged_posts(conn)]
            exemptions = dict(dr.account_exemptions(conn))
    except (sa.exc.OperationalError, sa.exc.ProgrammingError) as exc:  # tables not there
        log.info("no detection results: %s", exc.__class__.__name__)
        return [], {}
    return flags, exemptions


def load_seeds(conn: sa.Connection) -> dict[tuple[str, str], str | None]:
    rows = conn.execute(sa.select(graph_seeds.c.platform, graph_seeds.c.account_id, graph_seeds.c.added_by))
    return {(r.platform, r.account_id): r.added_by for r in rows}


def load_graph(engine: sa.Engine, since: datetime | None = None, until: datetime | None = None,
               platforms: Iterable[str] | None = None, with_detection: bool = True) -> GraphData:
    a, p, e, m, pm = schema.accounts, schema.posts, schema.edges, schema.media, schema.post_media
    wanted = list(platforms) if platforms else None
    with engine.connect() as conn:
        q = (sa.select(a.c.platform, a.c.account_id, a.c.handle, a.c.display_name, a.c.bio, a.c.status,
                       a.c.status_changed_at, a.c.first_seen, a.c.last_seen, a.c.followers, m.c.pdq,
                       m.c.pdq_quality, a.c.created_at)
             .select_from(a.outerjoin(m, m.c.media_key == a.c.avatar_media)))
        if wanted:
            q = q.where(a.c.platform.in_(wanted))
        accounts = [AccountRow(r.platform, r.account_id, r.handle, r.display_name, r.bio, r.status or "unknown",
                               _dt(r.status_changed_at), _dt(r.first_seen), _dt(r.last_seen), r.followers,
                               r.pdq if r.pdq and (r.pdq_quality or 100) >= MIN_PDQ_QUALITY else None,
                               _dt(r.created_at))
                    for r in conn.execute(q)]
        pq = sa.select(p.c.platform, p.c.post_id, p.c.account_id, p.c.timestamp, p.c.text, p.c.urls,
                       p.c.hashtags, p.c.reply_to, p.c.repost_of, p.c.quote_of, p.c.forward_from,
                       p.c.forward_from_name, p.c.mentions)
        eq = (sa.select(e.c.platform, e.c.source_account_id, e.c.target_platform, e.c.target_account_id,
                        e.c.kind, e.c.time).where(e.c.target_account_id.is_not(None)))
        mq = (sa.select(pm.c.platform, pm.c.post_id, pm.c.media_key, m.c.sha256, m.c.pdq, m.c.pdq_quality)
              .select_from(pm.join(m, m.c.media_key == pm.c.media_key)))
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
        posts = [PostRow(r.platform, r.post_id, r.account_id, utc(r.timestamp), r.text or "", _list(r.urls),
                         _list(r.hashtags), r.reply_to, r.repost_of, r.quote_of, r.forward_from,
                         r.forward_from_name, _list(r.mentions)) for r in conn.execute(pq.order_by(p.c.timestamp))]
        edges = [EdgeRow(r.platform, r.source_account_id, r.target_platform, r.target_account_id, r.kind,
                         utc(r.time)) for r in conn.execute(eq)]
        media: dict[tuple[str, str], list[str]] = defaultdict(list)
        for r in conn.execute(mq):
            good_pdq = r.pdq and (r.pdq_quality if r.pdq_quality is not None else 100) >= MIN_PDQ_QUALITY
            media[(r.platform, r.post_id)].append(
                f"pdq:{r.pdq}" if good_pdq else f"sha256:{r.sha256}" if r.sha256 else r.media_key)
        seeds = load_seeds(conn)
        flags, exemptions = detection_results(conn) if with_detection else ([], {})
    return assemble(accounts, posts, edges, media, flags, exemptions, seeds)


def domain_registry(engine: sa.Engine) -> dict[str, str]:
    """Domain -> platform, from the built-in platforms, the platforms table and the provider registry."""
    registry = {d: p.name for p in KNOWN_PLATFORMS.values() for d in p.domains}
    with engine.connect() as conn:
        for row in conn.execute(sa.select(schema.platforms.c.name, schema.platforms.c.domains)):
            for d in _list(row.domains):
                registry.setdefault(d.lower().removeprefix("www."), row.name)
        try:
            from ..store.tables_referral import providers as providers_table

            with conn.begin_nested():
                rows = list(conn.execute(sa.select(providers_table.c.name, providers_table.c.platforms,
                                                   providers_table.c.domains)))
        except (ImportError, AttributeError, sa.exc.OperationalError, sa.exc.ProgrammingError):
            rows = []
    if not rows:  # registry not loaded into this database yet: its starter list
        try:
            from .providers import starter_registry

            rows = list(starter_registry())
        except (ImportError, OSError, ValueError):
            rows = []
    for row in rows:
        plats = _list(row.platforms)
        for d in _list(row.domains):
            registry.setdefault(d.lower().removeprefix("www."), plats[0] if plats else row.name)
    return registry
