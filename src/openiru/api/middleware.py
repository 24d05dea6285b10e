"""ASGI middleware: security headers on every response and a request body size limit; the
access log without query strings.

Written as plain ASGI (not ``BaseHTTPMiddleware``) so streaming bodies are
counted as they arrive and responses are not buffered.

Query strings of the API and the console carry what investigators look for (an
account id, a handle, a search): the server's access log (uvicorn's) records the
path only, unless ``OPENIRU_ACCESS_LOG_QUERIES=1`` (``ApiSettings.access_log_queries``)
turns them on for debugging.
"""

from __future__ import annotations

import logging
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import error_response

#: No inline script or style anywhere: every asset is a local file under /static.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]


class SecurityHeaders:
    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = list(SECURITY_HEADERS)
        if hsts:
            self.headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v)
                    for k, v in message.get("headers", [])
                    if k.lower() not in {h for h, _ in self.headers}
                ]
                headers.extend(self.headers)
                if not path.startswith("/static/") and not any(
                    k.lower() == b"cache-control" for k, _ in headers
                ):
                    headers.append((b"cache-control", b"no-store"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


class _TooLarge(HTTPException):
    """Raised from ``receive`` once a streamed body passes the limit.  An HTTPException,
    so that FastAPI's body parsing lets it through to the error handler as a 413."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body is larger than {limit} bytes")


class BodySizeLimit:
    """Refuses bodies over ``max_body`` bytes (``max_upload`` on upload paths) with 413."""

    def __init__(
        self, app: ASGIApp, max_body: int, max_upload: int, upload_paths: tuple[str, ...] = ()
    ) -> None:
        self.app, self.max_body, self.max_upload, self.upload_paths = app, max_body, max_upload, upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        limit = self.max_upload if path.startswith(self.upload_paths) and self.upload_paths else self.max_body
        for key, value in scope.get("headers", []):
            if key == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = limit + 1
                if declared > limit:
                    await self._refuse(scope, receive, send, limit)
                    return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _TooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._refuse(scope, receive, send, limit)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, limit: int) -> None:
        response: Any = error_response(
            413, "payload_too_large", f"the request body is larger than {limit} bytes"
        )
        await response(scope, receive, send)


ACCESS_LOGGER = "uvicorn.access"


class DropQueryStrings(logging.Filter):
    """Removes the query string from uvicorn's access log lines (``client, method, path, http
    version, status``: the path argument, with ``?...`` cut off)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == 5 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (args[0], args[1], args[2].split("?", 1)[0], args[3], args[4])
        return True


def configure_access_log(log_queries: bool) -> None:
    """Install (or, when query strings are wanted, remove) the filter on uvicorn's access log."""
    logger = logging.getLogger(ACCESS_LOGGER)
    present = [f for f in logger.filters if isinstance(f, DropQueryStrings)]
    if log_queries:
        for f in present:
            logger.removeFilter(f)
    elif not present:
        logger.addFilter(DropQueryStrings())
