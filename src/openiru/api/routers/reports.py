"""Read-only report charts for the console's statistics page: the same SVG charts and figures
that ``openiru report`` writes (built by ``services.reports`` / ``services.reports_mo`` and drawn
by ``report.charts``), for a period and a kind.  No second implementation: this only picks the
report builder, as the CLI's ``report`` command does, and returns its charts and figures.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.concurrency import run_in_threadpool

from ...errors import ConfigError
from ...report.render import Document
from ...services.report import rendered as reports
from ..deps import UNIT, engine_of, roles

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


def _utc(value: datetime | None) -> datetime | None:
    return value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value


def build(
    engine: Any, kind: str, since: datetime | None, until: datetime | None, operation: str | None = None
) -> Document:
    """The report ``kind`` over ``[since, until)`` (the current year when neither is given)."""
    if kind == "tco-art8":
        return reports.tco_art8(engine, None, {}, since=since, until=until)
    if kind == "annual":
        return reports.annual(engine, None, since=since, until=until)
    if kind == "modus-operandi":
        from ...services.report.modus_operandi import modus_operandi

        return modus_operandi(engine, since, until)
    if not operation:
        raise ConfigError("action-day needs an operation")
    return reports.action_day(engine, operation)


@router.get("/charts", **roles(*UNIT, "auditor"))
async def charts(
    request: Request,
    kind: str = Query("annual", pattern="^(annual|tco-art8|action-day|modus-operandi)$"),
    since: datetime | None = None,
    until: datetime | None = None,
    operation: str | None = Query(None, max_length=100),
) -> dict[str, Any]:
    """The report's charts (SVG, one per chart, with its section's heading) and its figures."""
    doc = await run_in_threadpool(build, engine_of(request), kind, _utc(since), _utc(until), operation)
    return {
        "kind": kind,
        "title": doc.title,
        "subtitle": doc.subtitle,
        "charts": [{"section": s.heading, "svg": svg} for s in doc.sections for svg in s.charts],
        "figures": json.loads(json.dumps(doc.figures, default=str)),
    }
