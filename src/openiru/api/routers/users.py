"""User administration (unit admins): users, roles, passwords and API tokens."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, Field

from ...services.access import auth
from ...services.access import users as user_service
from ...services.access.users import ROLES, User
from ...services.referral.providers import get_provider
from ..deps import Principal, current_principal, engine_of, roles
from ..pagination import PageParams, make_page, page_params

router = APIRouter(prefix="/api/v1/users", tags=["users"])
ROLE_PATTERN = "^(" + "|".join(ROLES) + ")$"


class NewUser(BaseModel):
    name: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.@-]+$")
    role: str = Field(pattern=ROLE_PATTERN)
    agency: str | None = Field(None, max_length=100)
    provider: str | None = Field(None, max_length=200)
    password: str | None = Field(None, max_length=1000)


class RoleChange(BaseModel):
    role: str = Field(pattern=ROLE_PATTERN)


class NewPassword(BaseModel):
    password: str = Field(min_length=1, max_length=1000)


class NewToken(BaseModel):
    label: str = Field("", max_length=200)
    days: int | None = Field(None, ge=1, le=3650)


def user_dict(u: User) -> dict[str, Any]:
    return {
        "name": u.name,
        "role": u.role,
        "agency": u.agency,
        "provider": u.provider,
        "disabled": u.disabled,
    }


@router.get("", **roles("admin"))
def list_users(request: Request, page: PageParams = Depends(page_params)) -> dict[str, Any]:
    """Users by name."""
    users = user_service.list_users(engine_of(request))
    key = page.key(str)
    after = key[0] if key else None
    rows = [u for u in users if after is None or u.name > after][: page.limit + 1]
    return make_page(rows, page.limit, lambda u: (u.name,), user_dict)


@router.post("", status_code=201, **roles("admin"))
def add_user(
    body: NewUser, request: Request, principal: Principal = Depends(current_principal)
) -> dict[str, Any]:
    """Add a user (a password is optional: a machine user may only have tokens)."""
    engine = engine_of(request)
    if body.password is not None and len(body.password) < auth.MIN_PASSWORD_LENGTH:
        from ...errors import ConfigError

        raise ConfigError(f"a password needs at least {auth.MIN_PASSWORD_LENGTH} characters")
    user = user_service.add_user(
        engine,
        body.name,
        body.role,
        body.agency,
        body.provider,
        actor=principal.name,
        provider_lookup=get_provider,
    )
    if body.password:
        auth.set_password(engine, user.name, body.password, actor=principal.name)
    return user_dict(user)


@router.get("/{name}", **roles("admin"))
def get_user(request: Request, name: str = Path(max_length=100)) -> dict[str, Any]:
    return user_dict(user_service.get_user(engine_of(request), name))


@router.patch("/{name}", **roles("admin"))
def change_role(
    body: RoleChange,
    request: Request,
    name: str = Path(max_length=100),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    changed = user_service.set_role(engine_of(request), name, body.role, actor=principal.name)
    auth.forget_cached_tokens()  # the new role (or disabling) applies to cached tokens at once
    return user_dict(changed)


@router.post("/{name}/password", **roles("admin"))
def set_password(
    body: NewPassword,
    request: Request,
    name: str = Path(max_length=100),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """Set a user's password (ends the user's sessions)."""
    auth.set_password(engine_of(request), name, body.password, actor=principal.name)
    return {"ok": True}


@router.get("/{name}/tokens", **roles("admin"))
def list_tokens(request: Request, name: str = Path(max_length=100)) -> dict[str, Any]:
    engine = engine_of(request)
    user_service.get_user(engine, name)
    return {"items": auth.list_tokens(engine, name), "next_cursor": None}


@router.post("/{name}/tokens", status_code=201, **roles("admin"))
def create_token(
    body: NewToken,
    request: Request,
    name: str = Path(max_length=100),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    """A new API token for the user, shown only in this response."""
    return {"token": auth.create_token(engine_of(request), name, body.label, body.days, actor=principal.name)}


@router.delete("/{name}/tokens/{token_id}", **roles("admin"))
def revoke_token(
    request: Request,
    token_id: int = Path(ge=1, le=2**31 - 1),
    name: str = Path(max_length=100),
    principal: Principal = Depends(current_principal),
) -> dict[str, Any]:
    if not auth.revoke_token(engine_of(request), name, token_id, actor=principal.name):
        from ...errors import NotFoundError

        raise NotFoundError("no such token")
    return {"ok": True}
