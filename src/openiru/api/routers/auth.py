"""Login, logout and "who am I" for the console and for scripts."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, Field

from ...services.access import auth
from ..deps import ALL_ROLES, Principal, current_principal, engine_of, public, roles, settings_of
from ..settings import SESSION_COOKIE

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginBody(BaseModel):
    name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=1000)


class PasswordBody(BaseModel):
    current: str = Field(min_length=1, max_length=1000)
    new: str = Field(min_length=1, max_length=1000)


def user_dict(p: Principal) -> dict[str, Any]:
    return {"name": p.user.name, "role": p.user.role, "agency": p.user.agency, "provider": p.user.provider}


@router.post("/login", **public())
def login(body: LoginBody, request: Request, response: Response) -> dict[str, Any]:
    """Check a password and open a console session (cookie ``openiru_session``)."""
    engine, settings = engine_of(request), settings_of(request)
    remote = request.client.host if request.client else "unknown"
    user = auth.authenticate(engine, body.name, body.password, remote, policy=settings.login_policy)
    session_id, csrf = auth.create_session(engine, user.name, policy=settings.login_policy)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        secure=settings.secure_cookies,
        samesite="strict",
        path="/",
        max_age=int(settings.login_policy.session_lifetime.total_seconds()),
    )
    return {
        "user": {"name": user.name, "role": user.role, "agency": user.agency, "provider": user.provider},
        "csrf_token": csrf,
    }


@router.post("/logout", **roles(*ALL_ROLES))
def logout(request: Request, response: Response) -> dict[str, Any]:
    """End the console session."""
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        auth.end_session(engine_of(request), session_id)
    settings = settings_of(request)
    response.delete_cookie(
        SESSION_COOKIE, path="/", secure=settings.secure_cookies, httponly=True, samesite="strict"
    )
    return {"ok": True}


@router.get("/me", **roles(*ALL_ROLES))
async def me(principal: Principal = Depends(current_principal)) -> dict[str, Any]:
    """The caller, and the CSRF token of its session (async: no I/O, no thread hop)."""
    return {"user": user_dict(principal), "via": principal.via, "csrf_token": principal.csrf_token}


@router.post("/password", **roles(*ALL_ROLES))
def change_password(
    body: PasswordBody, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Change one's own password (the current one is checked); ends every session."""
    engine = engine_of(request)
    remote = request.client.host if request.client else "unknown"
    auth.authenticate(engine, principal.name, body.current, remote, policy=settings_of(request).login_policy)
    auth.set_password(engine, principal.name, body.new, actor=principal.name)
    return {"ok": True}
