"""Network analytics services: seeds, key accounts, coordination, resurgence, platforms, export.

Each function loads the current store (:mod:`.graph_load`), calls the pure graph core and returns
plain JSON-ready dicts in the shapes the CLI contracts name.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from ...errors import NotFoundError
from ...graph import coordination as coord
from ...graph.data import GraphData
from ...graph.export import export_graph
from ...graph.identity import real_name
from ...graph.interaction import interaction_graph
from ...graph.platforms import domain_stats, migration
from ...graph.ranking import Ranking, rank_accounts
from ...graph.resurgence import RECREATED_THRESHOLD, find_links
from ...store import schema
from ...store.tables_graph import graph_seeds
from ...store.writer import dialect_insert
from ..access import audit
from ..access.users import SYSTEM
from .load import domain_registry, load_graph
from .read_clean import read_clean


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).isoformat().replace("+00:00", "Z")


def _key(data: GraphData, i: int) -> dict[str, str]:
    return {"platform": data.accounts.platform[i], "account_id": data.accounts.account_id[i]}


def _handle(data: GraphData, i: int) -> str | None:
    """The account's handle, or the title it is known by (channels without a username); never its id."""
    return real_name(data.accounts.handle[i], data.accounts.account_id[i]) or real_name(
        data.accounts.display_name[i], data.accounts.account_id[i]
    )


# --- seeds -----------------------------------------------------------------------------------------


def add_seed(
    engine: sa.Engine, platform: str, account_id: str, actor: str | None = None, note: str | None = None
) -> dict[str, Any]:
    """Mark an account as part of the recognised community (idempotent); whether it is known."""
    with engine.begin() as conn:
        conn.execute(
            dialect_insert(conn, graph_seeds)
            .on_conflict_do_update(
                index_elements=["platform", "account_id"],
                set_={"added_by": actor, "note": note, "added_at": datetime.now(UTC)},
            )
            .values(
                platform=platform,
                account_id=account_id,
                added_by=actor,
                added_at=datetime.now(UTC),
                note=note,
            )
        )
        audit.record(
            conn, actor or SYSTEM, "graph.seed_add", "account", f"{platform}:{account_id}", {"note": note}
        )
        known = conn.execute(
            sa.select(sa.func.count())
            .select_from(schema.accounts)
            .where(schema.accounts.c.platform == platform, schema.accounts.c.account_id == account_id)
        ).scalar_one()
    return {
        "platform": platform,
        "account_id": account_id,
        "added_by": actor,
        "note": note,
        "known_account": bool(known),
    }


def list_seeds(engine: sa.Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(graph_seeds).order_by(graph_seeds.c.platform, graph_seeds.c.account_id))
        return [
            {
                "platform": r.platform,
                "account_id": r.account_id,
                "added_by": r.added_by,
                "added_at": r.added_at.isoformat() if r.added_at else None,
                "note": r.note,
            }
            for r in rows
        ]


def remove_seed(engine: sa.Engine, platform: str, account_id: str, actor: str | None = None) -> None:
    with engine.begin() as conn:
        gone = conn.execute(
            sa.delete(graph_seeds).where(
                graph_seeds.c.platform == platform, graph_seeds.c.account_id == account_id
            )
        ).rowcount
        if gone:
            audit.record(
                conn, actor or SYSTEM, "graph.seed_remove", "account", f"{platform}:{account_id}", {}
            )
    if not gone:
        raise NotFoundError(f"{platform}:{account_id} is not a seed")


# --- key accounts ------------------------------------------------------------------------------------


def ranked(engine: sa.Engine) -> tuple[GraphData, Ranking]:
    data = load_graph(engine)
    return data, rank_accounts(data)


def key_accounts(
    engine: sa.Engine,
    top: int | None = None,
    platform: str | None = None,
    loaded: tuple[GraphData, Ranking] | None = None,
    min_score: float | None = None,
) -> list[dict[str, Any]]:
    """Accounts best first; ``platform``: the ranking within that platform (its accounts in order of
    the score, which already counts the same actor's accounts elsewhere); ``min_score``: only
    accounts scoring at least that."""
    data, ranking = loaded or ranked(engine)
    out: list[dict[str, Any]] = []
    for i in ranking.order.tolist():
        if platform and data.accounts.platform[i] != platform:
            continue
        if top is not None and top > 0 and len(out) >= top:
            break
        if min_score is not None and ranking.score[i] < min_score:
            break  # best first: every later account scores less
        community = int(ranking.community[i])
        # channels without a username (Telegram) are known by their title
        out.append(
            {
                **_key(data, i),
                "handle": _handle(data, i),
                "score": round(float(ranking.score[i]), 6),
                "role": ranking.role[i],
                "community": community if community >= 0 else None,
                "evidence": ranking.evidence(data, i),
                "display_name": data.accounts.display_name[i],
            }
        )
    return out


# --- coordination ------------------------------------------------------------------------------------


def coordination(
    engine: sa.Engine,
    window: float = coord.DEFAULT_WINDOW,
    min_repeats: int = coord.DEFAULT_MIN_REPEATS,
    kinds: list[str] | None = None,
    data: GraphData | None = None,
) -> list[dict[str, Any]]:
    """``data``: the store already loaded (by the caller, for several analyses)."""
    data = data if data is not None else load_graph(engine, with_detection=False)
    return [
        {
            "accounts": [{**_key(data, i), "handle": _handle(data, i)} for i in g.accounts],
            "kind": g.kind,
            "score": g.score,
            "evidence": g.evidence,
        }
        for g in coord.find_coordination(data, window, min_repeats, kinds)
    ]


# --- re-created accounts and cross-platform identity -------------------------------------------------


def resurgence(
    engine: sa.Engine, data: GraphData | None = None, min_score: float | None = None
) -> list[dict[str, Any]]:
    """Re-creations with an estimated probability >= ``min_score`` (graph/recreation.py) and
    cross-platform identity links."""
    data = data if data is not None else load_graph(engine, with_detection=False)
    out: list[dict[str, Any]] = []
    threshold = RECREATED_THRESHOLD if min_score is None else min_score
    for link in find_links(data, threshold, read_clean(engine, data)):
        new, old = _key(data, link.account), _key(data, link.predecessor)
        out.append(
            {
                "platform": new["platform"],
                "account_id": new["account_id"],
                "predecessor_platform": old["platform"],
                "predecessor_account_id": old["account_id"],
                "score": link.score,
                "evidence": link.evidence,
                "handle": _handle(data, link.account),
                "predecessor_handle": _handle(data, link.predecessor),
            }
        )
    return out


# --- platforms, migration ----------------------------------------------------------------------------


def _flagged_posts(data: GraphData, ranking: Ranking | None) -> tuple[np.ndarray, str]:
    """Indices of flagged posts: detection results, else posts by the community's accounts."""
    p = data.posts
    if data.detection:
        return np.flatnonzero((p.flag > 0) & ~p.exempt), "detection"
    assert ranking is not None
    member = np.asarray([r != "bystander" for r in ranking.role], bool)
    return np.flatnonzero(member[p.account]), "community accounts"


def platforms(
    engine: sa.Engine, emerging_only: bool = False, loaded: tuple[GraphData, Ranking | None] | None = None
) -> list[dict[str, Any]]:
    data, ranking = loaded if loaded is not None else (load_graph(engine), None)
    if ranking is None and not data.detection:
        ranking = rank_accounts(data)
    chosen, basis = _flagged_posts(data, ranking)
    urls = _post_urls(engine, data, chosen)
    stats = domain_stats(data.posts.time[chosen], urls, domain_registry(engine))
    return [
        {
            "domain": s.domain,
            "platform": s.platform,
            "known": s.known,
            "flagged_links": s.flagged_links,
            "first_seen": _iso(s.first_seen),
            "weekly": s.weekly,
            "emerging": s.emerging,
            "growth": s.growth,
            "basis": basis,
        }
        for s in stats
        if s.emerging or not emerging_only
    ]


def _post_urls(engine: sa.Engine, data: GraphData, chosen: np.ndarray) -> list[list[str]]:
    """URLs of the chosen posts (read again: the arrays keep only normalised items)."""
    wanted = {(data.posts.platform[k], data.posts.post_id[k]): n for n, k in enumerate(chosen.tolist())}
    urls: list[list[str]] = [[] for _ in wanted]
    p = schema.posts
    with engine.connect() as conn:
        for r in conn.execute(sa.select(p.c.platform, p.c.post_id, p.c.urls).where(p.c.urls.is_not(None))):
            k = wanted.get((r.platform, r.post_id))
            if k is not None and r.urls:
                urls[k] = [str(u) for u in (r.urls if isinstance(r.urls, list) else [r.urls])]
    return urls


def community_migration(engine: sa.Engine, community: int | None = None) -> list[dict[str, Any]]:
    """Share of the community's posts per platform per week: posts of the accounts the ranking does
    not call bystanders, or of one Leiden community when ``community`` is given."""
    data, ranking = ranked(engine)
    if community is None:
        member = np.asarray([r != "bystander" for r in ranking.role], bool)
    else:
        member = ranking.community == community
    chosen = np.flatnonzero(member[data.posts.account]) if data.n else np.zeros(0, np.int64)
    return migration(data.posts.time[chosen], [data.posts.platform[k] for k in chosen.tolist()])


# --- export ------------------------------------------------------------------------------------------


def export(
    engine: sa.Engine,
    fmt: str,
    out: Path,
    since: datetime | None = None,
    until: datetime | None = None,
    platforms_: list[str] | None = None,
    with_scores: bool = True,
) -> list[Path]:
    data = load_graph(engine)
    extra: dict[str, Any] = {}
    if with_scores and data.n:
        ranking = rank_accounts(data)
        extra = {
            "score": ranking.score.round(6).tolist(),
            "role": ranking.role,
            "community": ranking.community.astype(int).tolist(),
        }
    g = interaction_graph(
        data,
        since.timestamp() if since else None,
        until.timestamp() if until else None,
        set(platforms_) if platforms_ else None,
    )
    return export_graph(data, g, fmt, out, extra)
