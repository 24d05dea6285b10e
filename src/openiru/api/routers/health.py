"""Process health, readiness and Prometheus metrics: ``/healthz``, ``/readyz``, ``/metrics``.

``/healthz`` answers 200 while the process serves requests.  ``/readyz`` answers 200 when
the database answers, its schema is at the code's migration heads and, where the API is
given a NATS server (``OPENIRU_NATS``), NATS accepts a connection with JetStream on;
otherwise 503 with the failing checks.  ``/metrics`` is Prometheus's text format: this
process's series (API request latency, by route template) and the shared state read at
scrape time (posts collected and scanned, stream pending and redeliveries, referrals by
state and overdue; :mod:`openiru.services.workers.metrics`).  None of the three needs a
login (``public()``) (the figures are counts; no name, handle or content): keep the port inside the
unit's network (docs/scale-out.md).
"""

from __future__ import annotations

import os
import time
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ...services.workers.metrics import API_LATENCY, REGISTRY, StateCollector, readiness
from ..deps import public

router = APIRouter(tags=["operations"])


@router.get("/healthz", **public())
def healthz() -> dict[str, str]:
    return {"status": "alive"}


@router.get("/readyz", **public())
def readyz(request: Request) -> JSONResponse:
    # a plain def: FastAPI runs it in a thread, where the NATS check may run its own event loop
    result = readiness(request.app.state.engine, request.app.state.nats_url)
    return JSONResponse(result, status_code=200 if result["ready"] else 503)


@router.get("/metrics", **public())
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics_registry), media_type=CONTENT_TYPE_LATEST)


class RequestLatency:
    """Observes every HTTP request's duration in ``openiru_api_request_duration_seconds``,
    labelled with the matched route's template (``/api/v1/referrals/{referral_id}``), never
    the raw path (unmatched paths share one label)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def send_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            API_LATENCY.labels(scope["method"], route, str(status[0])).observe(time.perf_counter() - start)


def install(app: FastAPI, nats_url: str | None = None) -> None:
    """Add the routes and the latency middleware; ``nats_url`` (default ``OPENIRU_NATS``) is
    the NATS server the readiness check and the stream series read."""
    url = nats_url or os.environ.get("OPENIRU_NATS") or None
    app.state.nats_url = url
    registry: Any = CollectorRegistry()
    registry.register(_Process())
    registry.register(StateCollector(app.state.engine, url))
    app.state.metrics_registry = registry
    app.include_router(router)
    app.add_middleware(RequestLatency)


class _Process:
    """This process's own series (the module registry), inside the app's registry."""

    def collect(self) -> Any:
        return REGISTRY.collect()
