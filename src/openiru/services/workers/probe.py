"""A worker's own ``/healthz``, ``/readyz`` and ``/metrics``, on a small HTTP server thread.

The API serves the same three paths (``api/routers/health.py``); a worker has no web
framework, so this is the standard library's ``ThreadingHTTPServer`` in a daemon thread
(``openiru worker --metrics-port N``).  ``/healthz``: 200 while the process runs.
``/readyz``: 200 when the database answers at the code's migration heads and NATS accepts a
connection, else 503 with the checks as JSON.  ``/metrics``: this process's series
(detection latency, posts scanned, messages by outcome) and the shared state
(:class:`~openiru.services.workers.metrics.StateCollector`), in Prometheus's text format.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import sqlalchemy as sa
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

from .metrics import REGISTRY, StateCollector, readiness


class _Process:
    def collect(self) -> Any:
        return REGISTRY.collect()


def serve_probes(
    engine: sa.Engine, nats_url: str | None, port: int, host: str = "0.0.0.0"
) -> ThreadingHTTPServer:
    """Start the probe server on ``host:port`` in a daemon thread; returns it (``shutdown()``)."""
    registry: Any = CollectorRegistry()
    registry.register(_Process())
    registry.register(StateCollector(engine, nats_url))

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            if self.path == "/healthz":
                self._send(200, "application/json", b'{"status": "alive"}')
            elif self.path == "/readyz":
                result = readiness(engine, nats_url)
                self._send(200 if result["ready"] else 503, "application/json", json.dumps(result).encode())
            elif self.path == "/metrics":
                self._send(200, CONTENT_TYPE_LATEST, generate_latest(registry))
            else:
                self._send(404, "application/json", b'{"detail": "not found"}')

        def _send(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - scrapes are not logged
            return

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, name="openiru-probes", daemon=True).start()
    return server
