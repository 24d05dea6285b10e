"""The watchlist over the API: what ``openiru watch list|add|remove|pause`` and ``watch discover`` do.

Unit roles read it; admins and analysts change it; every change is an audit entry with its actor.  A server (or feed, page) at an internal
address is refused as on the command line (outbound policy, ``OPENIRU_FETCH_ALLOW``), a
target not in its connector's forms is a 400 naming them.  Credentials are never taken here:
the collector reads them from its environment or secrets file.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, Field

from ...errors import NotFoundError
from ...services.collect import watchlist
from ..deps import UNIT, Principal, current_principal, engine_of, roles
from ..pagination import PageParams, page_params, paged_list

router = APIRouter(prefix="/api/v1/watch", tags=["watchlist"])
EDITORS = ("admin", "analyst")


class NewTarget(BaseModel):
    connector: str = Field(min_length=1, max_length=40)
    target: str = Field(min_length=1, max_length=2000)
    server: str | None = Field(None, max_length=2000)
    every: str | None = Field(None, max_length=20, description="90, 30s, 15m, 2h, 1d (default 15m)")
    label: str | None = Field(None, max_length=200)


class Pause(BaseModel):
    paused: bool = True


class Discover(BaseModel):
    connector: str = Field("rocketchat", max_length=40)
    server: str = Field(min_length=1, max_length=2000)
    add: bool = False
    every: str | None = Field(None, max_length=20)
    label: str | None = Field(None, max_length=200)


@router.get("", **roles(*UNIT))
def list_targets(request: Request, page: PageParams = Depends(page_params)) -> dict[str, Any]:
    """Every watched target: interval, paused, last run, next due, last error (as ``watch list --json``)."""
    return paged_list(watchlist.listing(engine_of(request)), page)


@router.post("", status_code=201, **roles(*EDITORS))
def add_target(
    body: NewTarget, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Watch a target, or change its interval and label (as ``watch add``)."""
    engine = engine_of(request)
    target_id = watchlist.add(
        engine,
        body.connector,
        body.target,
        body.server,
        every=body.every,
        label=body.label,
        actor=principal.name,
    )
    return _one(engine, target_id)


@router.get("/suggestions", **roles(*UNIT))
def suggestions(
    request: Request,
    top: int = Query(20, ge=1, le=500),
    kind: str = Query("all", pattern="^(key|successor|all)$"),
) -> dict[str, Any]:
    """Targets the analytics propose, not watched yet (as ``watch suggest --json``); each is
    accepted with one ``POST /api/v1/watch`` of its connector, target and server."""
    from ...services.graph.watch_proposals import proposals

    found = proposals(engine_of(request), top=top, kinds=("key", "successor") if kind == "all" else (kind,))
    return {"items": found}


@router.post("/discover", **roles(*EDITORS))
def discover(
    body: Discover, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """A server's public channels; with ``add``, each watched (as ``watch discover``)."""
    from ...services.collect.discover import discover as run

    channels = run(
        engine_of(request),
        body.connector,
        body.server,
        add=body.add,
        every=body.every,
        label=body.label,
        actor=principal.name,
    )
    return {"items": channels}


@router.post("/{target_id}/pause", **roles(*EDITORS))
def pause(
    body: Pause,
    request: Request,
    target_id: int = Path(ge=1, le=2**31 - 1),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Pause (``paused: true``) or resume a target (as ``watch pause [--resume]``)."""
    engine = engine_of(request)
    if not watchlist.pause(engine, target_id, body.paused, actor=principal.name):
        raise NotFoundError(f"no watched target #{target_id}")
    return _one(engine, target_id)


@router.delete("/{target_id}", status_code=204, **roles(*EDITORS))
def remove(
    request: Request,
    target_id: int = Path(ge=1, le=2**31 - 1),
    principal: Principal = Depends(current_principal),
) -> None:
    """Stop watching a target (as ``watch remove``)."""
    if not watchlist.remove(engine_of(request), target_id, actor=principal.name):
        raise NotFoundError(f"no watched target #{target_id}")


def _one(engine: Any, target_id: int) -> dict[str, Any]:
    return next(row for row in watchlist.listing(engine) if row["id"] == target_id)
