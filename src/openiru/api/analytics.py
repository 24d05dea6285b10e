"""Whole-graph analytics run in a separate process, so the web server stays responsive.

Ranking a million-post graph holds the CPU (and Python's GIL) for minutes; run
in a server thread it would starve every other request of that worker (and
uvicorn's supervisor would kill a worker that stops answering).  The graph
service functions therefore run in one long-lived spawned child process that
opens its own engine on the same database URL; results come back pickled.
"""

from __future__ import annotations

import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import sqlalchemy as sa

_pool: ProcessPoolExecutor | None = None
_lock = threading.Lock()


def _executor() -> ProcessPoolExecutor:
    global _pool
    with _lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        return _pool


def _job(url: str, name: str, args: tuple[Any, ...]) -> Any:
    from ..services.graph import analysis as graph_service
    from ..store.db import make_engine

    engine = make_engine(url)
    try:
        return getattr(graph_service, name)(engine, *args)
    finally:
        engine.dispose()


def run_graph(engine: sa.Engine, name: str, *args: Any) -> Any:
    """``services.graph.<name>(engine, *args)`` computed in the analytics process."""
    url = engine.url.render_as_string(hide_password=False)
    if ":memory:" in url:  # an in-memory database exists only in this process
        from ..services.graph import analysis as graph_service

        return getattr(graph_service, name)(engine, *args)
    return _executor().submit(_job, url, name, args).result()


def shutdown() -> None:
    """Stop the analytics process now (server shutdown): a ranking in progress is abandoned."""
    global _pool
    with _lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    processes = list(getattr(pool, "_processes", {}).values())  # no public API to stop a busy worker
    pool.shutdown(wait=False, cancel_futures=True)
    for proc in processes:
        proc.terminate()
