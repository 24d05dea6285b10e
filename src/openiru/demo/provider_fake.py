"""A local stand-in for a hosting provider, used by the referral demo step.

An HTTP server on 127.0.0.1 that serves a page for each referred item (the
post's text) until it is taken down (then 404), and accepts signed webhook
deliveries (posted through the outbound client with :meth:`LocalProvider.webhook_policy`,
this server alone allowed).  :meth:`LocalProvider.fetch` maps any public address onto this
server, so evidence capture and removal verification run offline; it fetches
through the outbound client with this server's address on the allow-list.
"""

from __future__ import annotations

import html
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import httpx

from ..services.outbound import FetchPolicy, Outbound, parse_allow


class LocalProvider:
    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.webhook_calls: list[bytes] = []
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                text = provider.pages.get(self.path)
                status = 200 if text is not None else 404
                body = (
                    f"<html><body><p>{html.escape(text)}</p></body></html>"
                    if text is not None
                    else "<html><body>This content is not available.</body></html>"
                ).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                provider.webhook_calls.append(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @staticmethod
    def path_for(address: str) -> str:
        return "/content/" + quote(address, safe="")

    def publish(self, address: str, text: str) -> None:
        self.pages[self.path_for(address)] = text

    def take_down(self, address: str) -> None:
        self.pages.pop(self.path_for(address), None)

    def webhook_policy(self) -> FetchPolicy:
        """Webhook delivery's policy with this server (and it alone) on the allow-list."""
        return FetchPolicy.for_webhooks(
            allow=parse_allow(f"127.0.0.1:{self.server.server_address[1]}"), timeout=5.0
        )

    def fetch(self, url: str) -> httpx.Response:
        """Through the outbound client like any capture, with this server (and it alone)
        on the allow-list: 127.0.0.1 is refused otherwise."""
        port = self.server.server_address[1]
        policy = FetchPolicy.from_env(allow=parse_allow(f"127.0.0.1:{port}"), timeout=5.0)
        with Outbound(policy) as client:
            return client.get(self.base + self.path_for(url))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
