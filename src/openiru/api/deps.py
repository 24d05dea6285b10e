"""Who is calling, and may they call this route?

A caller is authenticated by an API token (``Authorization: Bearer oiru_...``)
or by the console's session cookie; a cookie-authenticated request that changes
state must also carry the session's CSRF token in the ``X-CSRF-Token`` header.

Each route declares the roles it admits with :func:`roles`, which both enforces
them and records them in the OpenAPI document (``x-roles``), so the
authorisation matrix test can enumerate every route and check each role.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from ..services.access import auth
from ..services.access.users import User
from .errors import ApiError
from .settings import CSRF_HEADER, SESSION_COOKIE, ApiSettings

ALL_ROLES = ("admin", "analyst", "approver", "liaison", "provider", "auditor")
#: The unit's own staff: they see collected content, alerts, accounts and referrals.
UNIT = ("admin", "analyst", "approver")
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True, slots=True)
class Principal:
    user: User
    via: str  # "token" | "session"
    csrf_token: str | None = None
    csrf_hash: str | None = None  # SHA-256 of the session's CSRF token, as stored

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def role(self) -> str:
        return self.user.role


def engine_of(request: Request) -> sa.Engine:
    return request.app.state.engine  # type: ignore[no-any-return]


def read_engine_of(request: Request) -> sa.Engine:
    """The engine for one-statement reads: same pool, autocommit (no BEGIN / ROLLBACK)."""
    return request.app.state.read_engine  # type: ignore[no-any-return]


def settings_of(request: Request) -> ApiSettings:
    return request.app.state.settings  # type: ignore[no-any-return]


def optional_principal(request: Request) -> Principal | None:
    """The authenticated caller, or ``None`` when the request carries no valid credential."""
    if hasattr(request.state, "principal"):
        cached: Principal | None = request.state.principal
        return cached
    engine = engine_of(request)
    principal: Principal | None = None
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        user = request.app.state.tokens.user(read_engine_of(request), header[7:].strip())
        principal = Principal(user, "token") if user else None
    else:
        session_id = request.cookies.get(SESSION_COOKIE)
        if session_id:
            session = auth.session_for(engine, session_id)
            if session is not None:
                principal = Principal(session.user, "session", session.csrf_token, session.csrf_hash)
    request.state.principal = principal
    return principal


def checked_principal(request: Request) -> Principal:
    """The caller, checked (401 without credentials, 403 on a cookie write without CSRF); sync:
    may look the credential up in the database."""
    principal = optional_principal(request)
    if principal is None:
        raise ApiError(
            401, "unauthorized", "log in or give an API token", headers={"WWW-Authenticate": "Bearer"}
        )
    if principal.via == "session" and request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if (
            not sent
            or not principal.csrf_hash
            or not hmac.compare_digest(auth.digest(sent), principal.csrf_hash)
        ):
            raise ApiError(403, "csrf_failed", "missing or wrong CSRF token")
    return principal


async def current_principal(request: Request) -> Principal:
    """:func:`checked_principal` as an async dependency: a token whose look-up is cached costs no
    thread-pool hop; anything else is looked up in the thread pool.  (A sync dependency would
    cost every request a hop to the thread pool and back.)"""
    if not hasattr(request.state, "principal"):
        header = request.headers.get("authorization", "")
        hit = request.app.state.tokens.peek(header[7:].strip()) if header[:7].lower() == "bearer " else None
        if hit is not None:
            request.state.principal = Principal(hit[0], "token") if hit[0] is not None else None
        else:
            await run_in_threadpool(optional_principal, request)
    return checked_principal(request)  # no I/O left: the caller is in request.state


class RoleGuard:
    """A dependency admitting only the given roles."""

    def __init__(self, allowed: tuple[str, ...]) -> None:
        self.allowed = allowed

    # async: FastAPI runs a sync dependency in the thread pool, a hop per request for a comparison.
    async def __call__(self, principal: Principal = Depends(current_principal)) -> Principal:
        if principal.role not in self.allowed:
            raise ApiError(403, "forbidden", f"role {principal.role!r} may not do this")
        return principal


def roles(*allowed: str) -> dict[str, Any]:
    """Route keyword arguments that admit ``allowed`` roles and document them."""
    unknown = set(allowed) - set(ALL_ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}")
    return {"dependencies": [Depends(RoleGuard(tuple(allowed)))], "openapi_extra": {"x-roles": list(allowed)}}


def public() -> dict[str, Any]:
    """Route keyword arguments for a route open to anyone (login, health)."""
    return {"openapi_extra": {"x-roles": ["anonymous"]}}
