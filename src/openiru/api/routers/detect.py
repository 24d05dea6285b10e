"""Detection: the triage queue, decisions, a post's evidence, banks, lexicons, scanning, matching."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from ...services.collect import content
from ...services.detect import alerts as detect_alerts
from ...services.detect import banks as detect_banks
from ...services.detect import match as detect_match
from ...services.detect import scan as detect_scan
from ...services.detect import triage as triage_queue
from ..deps import UNIT, Principal, current_principal, engine_of, read_engine_of, roles
from ..pagination import JsonBytes, PageParams, bad_cursor, encode_cursor, orjson_page, page_params

router = APIRouter(prefix="/api/v1", tags=["detection"])


class Decision(BaseModel):
    post: str = Field(min_length=3, max_length=400, description="PLATFORM:POST_ID")
    decision: Literal["confirm", "reject"]
    reason: str | None = Field(None, max_length=255)
    add_to_bank: str | None = Field(None, max_length=100)
    suppress: bool = False


class MatchQuery(BaseModel):
    inputs: list[str] = Field(min_length=1, max_length=10000)
    kind: Literal["pdq", "md5", "sha256", "text"]


@router.get("/alerts", **roles(*UNIT))
async def alerts(
    request: Request,
    page: PageParams = Depends(page_params),
    status: Literal["open", "confirmed", "rejected", "all"] = Query("open"),
    uncertain: bool = Query(False, description="Order by the classifier's uncertainty."),
) -> Response:
    """The triage queue by priority, each alert with its evidence (as ``openiru alerts --json``).

    Keyset pagination: the cursor is the (priority, platform, post id) of the page's last alert,
    and a page is one indexed range query however deep it is.  The ``uncertain`` order (by the
    classifier's doubt, an expression no index holds) pages by position instead.

    ``async``: on PostgreSQL the page is read through the async pool without a thread hop
    (``services.triage_queue``), and held until the queue changes (``api.page_cache``);
    elsewhere, and for the ``uncertain`` order, in the thread pool."""
    if uncertain:
        return orjson_page(await run_in_threadpool(_uncertain_page, request, page, status))
    after = page.key(float, str, str)
    limit = page.limit + 1
    pool = request.app.state.read_pool

    async def read() -> bytes:
        if pool is not None:
            rows = await triage_queue.queue_rows_async(pool, limit=limit, status=status, after=after)
            if any(r[-1] is None for r in rows):  # alerts without a card yet: built once, stored
                rows = await run_in_threadpool(triage_queue.with_cards, engine_of(request), rows)
        else:
            rows = await run_in_threadpool(
                triage_queue.queue_rows, read_engine_of(request), limit=limit, status=status, after=after
            )
        return triage_queue.page_json(rows, page.limit, encode_cursor)

    return JsonBytes(await request.app.state.page_cache.fetch((status, after, page.limit), read))


def _uncertain_page(request: Request, page: PageParams, status: str) -> dict[str, Any]:
    start = page.after_id()
    if start > 10**7:
        raise bad_cursor()
    rows = detect_alerts.list_alerts(
        engine_of(request), limit=start + page.limit + 1, status=status, uncertain=True
    )
    chunk = rows[start : start + page.limit]
    more = len(rows) > start + page.limit
    return {"items": chunk, "next_cursor": encode_cursor([start + len(chunk)]) if more else None}


@router.get("/alerts/reasons", **roles(*UNIT))
def rejection_reasons() -> dict[str, Any]:
    """Reasons an analyst can give for rejecting an alert (TCO Art. 1(3) exemptions first)."""
    return {"items": list(detect_alerts.REJECTION_REASONS), "next_cursor": None}


@router.get("/evidence/{platform}/{post_id:path}", **roles(*UNIT))
def post_evidence(
    request: Request, platform: str = Path(max_length=100), post_id: str = Path(max_length=255)
) -> dict[str, Any]:
    """What detection found on one post: bank item and distance, matched terms and spans,
    near-duplicate source and similarity, classifier score."""
    found = content.post_evidence(engine_of(request), platform, post_id)
    return found or {"status": None, "priority": None, "hits": []}


@router.post("/decisions", **roles("admin", "analyst"))
def decide(
    body: Decision, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Confirm or reject a post (as ``openiru decide POST confirm|reject --reason R``)."""
    result = detect_alerts.decide(
        engine_of(request),
        body.post,
        body.decision,
        body.reason,
        actor=principal.name,
        add_to_bank=body.add_to_bank,
        suppress=body.suppress,
    )
    request.app.state.analytics.invalidate()
    return result


@router.get("/banks", **roles(*UNIT))
def banks(request: Request) -> dict[str, Any]:
    """Hash and text banks (as ``openiru bank list --json``)."""
    return {"items": detect_banks.list_banks(engine_of(request)), "next_cursor": None}


@router.get("/lexicons", **roles(*UNIT))
def lexicons(request: Request) -> dict[str, Any]:
    return {"items": detect_banks.list_lexicons(engine_of(request)), "next_cursor": None}


@router.post("/scan", **roles("admin", "analyst"))
async def scan(request: Request) -> dict[str, Any]:
    """Scan every post not yet scanned (as ``openiru scan``)."""
    engine = engine_of(request)
    summary = await run_in_threadpool(detect_scan.scan, engine)
    request.app.state.analytics.invalidate()
    return summary.as_dict()


@router.post("/match", **roles(*UNIT))
async def match(body: MatchQuery, request: Request) -> dict[str, Any]:
    """Look hashes or texts up in the banks (as ``openiru match --json``; files are not read
    from the server)."""
    engine = engine_of(request)
    results = await run_in_threadpool(lambda: list(detect_match.match(engine, body.inputs, body.kind)))
    return {"items": results, "next_cursor": None}
