"""The FastAPI application: ``create_app(engine, settings)``.

One app serves the REST API under ``/api/v1`` and its OpenAPI document at
``/openapi.json``; :mod:`openiru.web.app` mounts on the same app the analyst
console under ``/console``, the provider portal under ``/portal`` and the
console's local assets under ``/static`` (nothing from a CDN: it works
air-gapped).  The API never imports the console: the console builds on the API.  Every router is imported directly: one that
fails to import makes ``create_app`` fail.
"""

from __future__ import annotations

import gc
import json
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI

from ..services.access.auth import TokenCache
from ..settings import Settings
from . import analytics
from .cache import AnalyticsCache
from .errors import install_error_handlers
from .middleware import BodySizeLimit, SecurityHeaders, configure_access_log
from .page_cache import DropPagesAfterWrites, PageCache
from .readpool import dsn, open_read_pool
from .routers import health
from .settings import ApiSettings

log = logging.getLogger("openiru.api")


def _include_routers(app: FastAPI) -> None:
    """Every router, imported directly: one that fails to import fails the app's creation (a moved
    or misspelt module never silently drops its routes)."""
    from .routers import (
        auth,
        console,
        content,
        detect,
        graph,
        interop,
        operations,
        portal,
        providers,
        referrals,
        reports,
        users,
        watchlist,
    )

    for module in (
        auth,
        content,
        users,
        detect,
        graph,
        referrals,
        operations,
        providers,
        interop,
        portal,
        console,
        reports,
        watchlist,
    ):
        app.include_router(module.router)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    app.state.read_pool = await open_read_pool(app.state.engine, app.state.settings.read_pool_size)
    if app.state.read_pool is not None and app.state.settings.page_cache:
        app.state.page_cache.start(dsn(app.state.engine))
    if app.state.settings.freeze_gc:
        # Everything alive now (modules, the app, its routes and schemas: ~270,000 objects) lives
        # as long as the process: out of the collector's sight, a full collection takes
        # microseconds instead of ~0.1 s that the requests in flight would wait.
        gc.collect()
        gc.freeze()
    try:
        yield
    finally:
        await app.state.page_cache.stop()
        pool, app.state.read_pool = app.state.read_pool, None
        if pool is not None:
            await pool.close()
        analytics.shutdown()


def create_app(
    engine: sa.Engine,
    settings: ApiSettings | Settings | None = None,
    *,
    extensions: Sequence[Callable[[FastAPI], None]] = (),
) -> FastAPI:
    """The REST API; ``extensions`` mount more on the same app before the middleware (the
    analyst console and provider portal: :func:`openiru.web.app.create_app`)."""
    api_settings = ApiSettings.coerce(settings)
    app = FastAPI(
        title="OpenIRU",
        version="1",
        openapi_url="/openapi.json",
        docs_url=None,
        redoc_url=None,
        description="REST API of OpenIRU, an open-source Internet Referral Unit.",
        lifespan=_lifespan,
    )
    app.state.engine = engine
    # Single-statement reads on the hot paths (token look-up, triage page) need no transaction:
    # in autocommit psycopg sends no BEGIN and no ROLLBACK, two round trips fewer per request.
    app.state.read_engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    app.state.settings = api_settings
    app.state.read_pool = None  # opened by the lifespan (PostgreSQL)
    app.state.page_cache = PageCache()  # live once the lifespan listens (PostgreSQL, page_cache)
    app.state.analytics = AnalyticsCache(api_settings.analytics_ttl)
    app.state.tokens = TokenCache(api_settings.auth_cache_ttl)
    install_error_handlers(app)
    _include_routers(app)
    health.install(app)  # /healthz /readyz /metrics, request latency (routers/health.py)
    for extend in extensions:
        extend(app)
    app.add_middleware(
        BodySizeLimit,
        max_body=api_settings.max_body,
        max_upload=api_settings.max_upload,
        upload_paths=("/api/v1/ingest", "/api/v1/banks/", "/api/v1/lexicons/"),
    )
    app.add_middleware(SecurityHeaders, hsts=api_settings.hsts)
    configure_access_log(api_settings.access_log_queries)
    app.add_middleware(DropPagesAfterWrites, cache=app.state.page_cache)
    return app


def serving_engine(url: str, pool_size: int = 20) -> sa.Engine:
    """The engine a server process uses: the schema brought up to date once, at start (never per
    request), then a connection pool sized for the request thread pool.  No pre-ping: a
    round trip per request is too dear; connections are recycled hourly instead."""
    from ..services.detect.triage import fill_missing_cards
    from ..store.db import make_engine, open_database

    upgraded = open_database(url)
    filled = fill_missing_cards(upgraded)
    if filled:
        log.info("gave %d alerts their triage-queue card", filled)
    upgraded.dispose()
    if url.startswith("sqlite"):
        return make_engine(url)
    return sa.create_engine(
        url, pool_size=pool_size, max_overflow=pool_size // 2, pool_recycle=3600, pool_timeout=30
    )


#: Environment variable carrying the API settings to ``uvicorn --workers`` processes.
SETTINGS_ENV = "OPENIRU_API_SETTINGS"


def settings_to_env(settings: ApiSettings) -> str:
    return json.dumps(
        {
            "secure_cookies": settings.secure_cookies,
            "analytics_ttl": settings.analytics_ttl,
            "freeze_gc": settings.freeze_gc,
            "page_cache": settings.page_cache,
            "auth_cache_ttl": settings.auth_cache_ttl,
            "data_dir": str(settings.data_dir),
        }
    )


def app_from_env(extensions: Sequence[Callable[[FastAPI], None]] = ()) -> Any:
    """The app of one ``uvicorn --factory`` worker process (``openiru.web.app:app_from_env``):
    database from OPENIRU_DB, API settings from OPENIRU_API_SETTINGS (written by
    ``openiru serve --workers N``)."""
    settings = Settings.load()
    api_settings = ApiSettings.coerce(settings)
    raw = os.environ.get(SETTINGS_ENV)
    if raw:
        values = json.loads(raw)
        api_settings = replace(
            api_settings,
            secure_cookies=bool(values["secure_cookies"]),
            analytics_ttl=float(values["analytics_ttl"]),
            auth_cache_ttl=float(values["auth_cache_ttl"]),
            data_dir=Path(values["data_dir"]),
            freeze_gc=bool(values.get("freeze_gc", False)),
            page_cache=bool(values.get("page_cache", False)),
        )
    return create_app(serving_engine(settings.db_url), api_settings, extensions=extensions)
