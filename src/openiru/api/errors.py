"""One error shape for every API failure: ``{"error": {"code", "message", "details"?}}``.

``code`` is machine-readable and stable (``not_found``, ``forbidden``,
``validation_error``...); ``message`` is for people.  Domain exceptions from the
services map to HTTP statuses here, so routers just let them propagate.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from ..errors import (
    ConfigError,
    FormatError,
    NotFoundError,
    OpenIRUError,
    PermissionDenied,
    RecordError,
    TransitionError,
)
from ..services.access.auth import LoginRefused, LoginThrottled

log = logging.getLogger("openiru.api")

_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
}


class ApiError(Exception):
    """An error raised by the API layer itself, with its status and code."""

    def __init__(
        self, status: int, code: str, message: str, headers: dict[str, str] | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.headers, self.details = headers, details


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None, details: Any = None
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def without_paths(value: Any, folder: str, name: str) -> Any:
    """``value`` (a message, or an import summary) with an upload's temporary folder replaced by
    the file name as uploaded: server paths never leave the server."""
    if isinstance(value, str):
        return value.replace(str(Path(folder) / name), name).replace(folder, "upload")
    if isinstance(value, list):
        return [without_paths(v, folder, name) for v in value]
    if isinstance(value, dict):
        return {k: without_paths(v, folder, name) for k, v in value.items()}
    return value


def upload_error(exc: OpenIRUError, folder: str, name: str) -> ApiError:
    """A domain error raised while reading an upload, as the API answers it, without the folder."""
    status, code, headers = domain_status(exc)
    return ApiError(status, code, without_paths(str(exc), folder, name), headers)


def domain_status(exc: OpenIRUError) -> tuple[int, str, dict[str, str] | None]:
    if isinstance(exc, LoginThrottled):
        return 429, "rate_limited", {"Retry-After": str(exc.retry_after)}
    if isinstance(exc, LoginRefused):
        return 401, "login_failed", None
    if isinstance(exc, PermissionDenied):
        return 403, "forbidden", None
    if isinstance(exc, NotFoundError):
        return 404, "not_found", None
    if isinstance(exc, TransitionError):
        return 409, "conflict", None
    if isinstance(exc, ConfigError | FormatError | RecordError):
        return 400, "bad_request", None
    return 400, "bad_request", None


def _json_safe(errors: Any) -> Any:
    out = []
    for err in errors:
        out.append(
            {
                "loc": [str(p) for p in err.get("loc", ())],
                "msg": str(err.get("msg", "")),
                "type": str(err.get("type", "")),
            }
        )
    return out


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(exc.status, exc.code, exc.message, exc.headers, exc.details)

    @app.exception_handler(OpenIRUError)
    async def _domain_error(request: Request, exc: OpenIRUError) -> JSONResponse:
        status, code, headers = domain_status(exc)
        return error_response(status, code, str(exc), headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(
            422, "validation_error", "the request is not valid", details=_json_safe(exc.errors())
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, "error")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return error_response(500, "internal_error", "an unexpected error occurred")
