"""Network analytics: key accounts, coordination, re-created accounts, platforms, neighbourhoods, seeds."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...errors import NotFoundError
from ...services.collect import content
from ...services.graph import analysis as graph_service
from .. import rankings
from ..analytics import run_graph
from ..deps import UNIT, Principal, RoleGuard, engine_of, roles
from ..pagination import PageParams, json_page, page_params, paged_list

router = APIRouter(prefix="/api/v1/graph", tags=["graph"])


def _cached(request: Request, key: Any, compute: Any) -> Any:
    return request.app.state.analytics.get(key, compute)


def _from_workers(request: Request, name: str) -> Any | None:
    """The stored result ``name`` while a graph worker keeps it fresh (``openiru worker --role
    graph``: it refreshes when detection adds data), else ``None``: computed here.  Not after a
    change made through this process (a seed): that one is computed here, at once."""
    engine = engine_of(request)
    if request.app.state.analytics.invalidated or not rankings.workers_active(engine):
        return None
    stored = rankings.load(engine, name)
    return None if stored is None else stored[1]


def _stored_or(request: Request, name: str, compute: Any) -> Any:
    stored = _from_workers(request, name)
    return compute() if stored is None else stored


class KeyAccounts:
    """The cached ranking, kept as each row's JSON (bytes) with what pages need precomputed:
    each account's rank and the row positions of each platform, so a page is a join of byte
    strings and one account's score a lookup.  Bytes rather than dicts: 50,000 ranked accounts
    with their evidence are millions of Python objects, which every full garbage collection
    of the worker would walk (pauses of a tenth of a second, seen in the page's p99)."""

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.json = [
            orjson.dumps(r, default=str, option=orjson.OPT_UTC_Z | orjson.OPT_SERIALIZE_NUMPY) for r in rows
        ]
        self.rank = {(r["platform"], r["account_id"]): i for i, r in enumerate(rows, start=1)}
        self.by_platform: dict[str, list[bytes]] = {}
        for r, raw in zip(rows, self.json, strict=True):
            self.by_platform.setdefault(r["platform"], []).append(raw)

    def row(self, rank: int) -> dict[str, Any]:
        return orjson.loads(self.json[rank - 1])  # type: ignore[no-any-return]


def _compute_key_accounts(request: Request) -> KeyAccounts:
    """The ranking from the analytics process, stored for the other workers.  The first time
    this process needs it, the stored ranking is served if there is one (a stale one is
    refreshed in the background); at most one worker computes at a time, the others serve the
    stored ranking meanwhile (or, when there is none yet, wait for it): see :mod:`..rankings`."""
    engine = engine_of(request)
    cache = request.app.state.analytics
    name = "key-accounts"
    kept = _from_workers(request, name)
    if kept is not None:
        return KeyAccounts(kept)
    first = not getattr(request.app.state, "key_accounts_loaded", False)
    request.app.state.key_accounts_loaded = True
    if first and not cache.invalidated:
        stored = rankings.load(engine, name)
        if stored is not None:
            cache.backdate(("key-accounts",), stored[0])
            return KeyAccounts(stored[1])
    if not rankings.claim_refresh(engine, name) and not cache.invalidated:
        stored = rankings.load(engine, name)  # another worker is computing: serve the last one
        rows = (
            stored[1]
            if stored is not None
            else rankings.wait_for(engine, name, rankings.CLAIM_EXPIRY.total_seconds())
        )
        if rows is not None:
            return KeyAccounts(rows)
    try:
        with rankings.heartbeat(engine, name):
            rows = run_graph(engine, "key_accounts")
    except BaseException:
        rankings.release(engine, name)
        raise
    rankings.save(engine, name, rows)
    return KeyAccounts(rows)


def _key_accounts(request: Request) -> KeyAccounts:
    return _cached(request, ("key-accounts",), lambda: _compute_key_accounts(request))  # type: ignore[no-any-return]


@router.get("/key-accounts", **roles(*UNIT))
async def key_accounts(
    request: Request,
    page: PageParams = Depends(page_params),
    platform: str | None = Query(None, max_length=100),
) -> Response:
    """Accounts ranked by their role in the network, with the evidence behind each score
    (as ``openiru accounts --json``).  Keyset pagination on the rank: the cursor is the
    position after the last item given.

    ``async``: a ranking this process holds is served without a thread hop; the first request
    (loading or computing the ranking) waits in the thread pool."""
    ranking = request.app.state.analytics.peek(("key-accounts",), lambda: _compute_key_accounts(request))
    if ranking is None:
        ranking = await run_in_threadpool(_key_accounts, request)
    return json_page(paged_list(ranking.by_platform.get(platform, []) if platform else ranking.json, page))


@router.get("/score", **roles(*UNIT))
def score(
    request: Request, platform: str = Query(..., max_length=100), account_id: str = Query(..., max_length=255)
) -> dict[str, Any]:
    """One account's rank, score and score breakdown."""
    ranking = _key_accounts(request)
    rank = ranking.rank.get((platform, account_id))
    if rank is not None:
        return {**ranking.row(rank), "rank": rank}
    raise NotFoundError(f"{platform}:@{account_id} is not in the ranking")


@router.get("/neighbourhood", **roles(*UNIT))
def neighbourhood(
    request: Request,
    platform: str = Query(..., max_length=100),
    account_id: str = Query(..., max_length=255),
    limit: int = Query(40, ge=1, le=200),
) -> dict[str, Any]:
    """The account's interaction neighbourhood as nodes and edges (for the console's graph)."""
    return content.neighbourhood(engine_of(request), platform, account_id, limit)


@router.get("/coordination", **roles(*UNIT))
def coordination(request: Request, page: PageParams = Depends(page_params)) -> dict[str, Any]:
    """Groups of accounts acting together (as ``openiru coordination --json``)."""
    engine = engine_of(request)
    rows = _cached(
        request,
        ("coordination",),
        lambda: _stored_or(request, "coordination", lambda: run_graph(engine, "coordination")),
    )
    return paged_list(rows, page)


@router.get("/recreated", **roles(*UNIT))
def recreated(request: Request, page: PageParams = Depends(page_params)) -> dict[str, Any]:
    """Accounts that look like re-creations of suspended or deleted ones (``openiru resurgence --json``)."""
    engine = engine_of(request)
    rows = _cached(
        request,
        ("recreated",),
        lambda: _stored_or(request, "recreated", lambda: run_graph(engine, "resurgence")),
    )
    return paged_list(rows, page)


@router.get("/platforms", **roles(*UNIT))
def platforms(
    request: Request, page: PageParams = Depends(page_params), emerging: bool = Query(False)
) -> dict[str, Any]:
    """Domains the flagged content links to, emerging ones marked (``openiru platforms --json``)."""
    engine = engine_of(request)
    rows = _cached(request, ("platforms", emerging), lambda: run_graph(engine, "platforms", emerging))
    return paged_list(rows, page)


@router.get("/migration", **roles(*UNIT))
def migration(request: Request) -> dict[str, Any]:
    """Where the community's flagged content moved, per platform over time."""
    engine = engine_of(request)
    return {
        "items": _cached(request, ("migration",), lambda: run_graph(engine, "community_migration")),
        "next_cursor": None,
    }


class Seed(BaseModel):
    platform: str = Field(min_length=1, max_length=100)
    account_id: str = Field(min_length=1, max_length=255)
    note: str | None = Field(None, max_length=1000)


@router.get("/seeds", **roles(*UNIT))
def list_seeds(request: Request, page: PageParams = Depends(page_params)) -> dict[str, Any]:
    """Accounts analysts marked as known members of the network."""
    return paged_list(graph_service.list_seeds(engine_of(request)), page)


@router.post("/seeds", status_code=201, **roles("admin", "analyst"))
def add_seed(
    body: Seed, request: Request, principal: Principal = Depends(RoleGuard(("admin", "analyst")))
) -> dict[str, Any]:
    engine = engine_of(request)
    seed = graph_service.add_seed(engine, body.platform, body.account_id, principal.name, body.note)
    request.app.state.analytics.invalidate()
    return seed


@router.delete("/seeds", **roles("admin", "analyst"))
def remove_seed(
    request: Request,
    platform: str = Query(..., max_length=100),
    account_id: str = Query(..., max_length=255),
    principal: Principal = Depends(RoleGuard(("admin", "analyst"))),
) -> dict[str, Any]:
    graph_service.remove_seed(engine_of(request), platform, account_id, principal.name)
    request.app.state.analytics.invalidate()
    return {"ok": True}
