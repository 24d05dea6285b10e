"""Users and roles: who is acting, and may they do this?

Every state-changing command names its actor (``--as`` / ``OPENIRU_USER`` on
the command line, the login in the API).  The actor must be a known, enabled
user whose role allows the action; otherwise :class:`PermissionDenied`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from ..errors import ConfigError, NotFoundError, PermissionDenied
from ..store import schema

ROLES = ("admin", "analyst", "approver", "liaison", "provider", "auditor")


@dataclass(frozen=True, slots=True)
class User:
    name: str
    role: str
    agency: str | None = None
    provider: str | None = None
    disabled: bool = False


def _user(row: sa.Row) -> User:
    return User(row.name, row.role, row.agency, row.provider, bool(row.disabled))


def add_user(engine: sa.Engine, name: str, role: str, agency: str | None = None,
             provider: str | None = None) -> User:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role == "liaison" and not agency:
        raise ConfigError("a liaison belongs to one agency: give --agency")
    if role == "provider" and not provider:
        raise ConfigError("a provider user belongs to one provider: give --provider")
    with engine.begin() as conn:
        exists = conn.execute(sa.select(schema.users.c.name).where(schema.users.c.name == name)).first()
        if exists:
            raise ConfigError(f"user {name!r} already exists")
        conn.execute(sa.insert(schema.users).values(
            name=name, role=role, agency=agency, provider=provider, disabled=False,
            created_at=datetime.now(UTC)))
    return User(name, role, agency, provider)


def get_user(engine: sa.Engine, name: str) -> User:
    with engine.connect() as conn:
        row = conn.execute(sa.select(schema.users).where(schema.users.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"no user {name!r}")
    return _user(row)


def list_users(engine: sa.Engine) -> list[User]:
    with engine.connect() as conn:
        rows = conn.execute(sa.select(schema.users).order_by(schema.users.c.name)).all()
    return [_user(r) for r in rows]


def set_role(engine: sa.Engine, name: str, role: str) -> User:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    get_user(engine, name)
    with engine.begin() as conn:
        conn.execute(sa.update(schema.users).where(schema.users.c.name == name).values(role=role))
    return get_user(engine, name)


def require_actor(engine: sa.Engine, name: str | None, roles: Iterable[str]) -> User:
    """The acting user, if known, enabled and in one of ``roles``."""
    allowed = tuple(roles)
    if not name:
        raise PermissionDenied("no acting user: give --as USER or set OPENIRU_USER")
    try:
        user = get_user(engine, name)
    except NotFoundError:
        raise PermissionDenied(f"unknown user {name!r}: add it with 'openiru user add'") from None
    if user.disabled:
        raise PermissionDenied(f"user {name!r} is disabled")
    if user.role not in allowed and user.role != "admin":
        raise PermissionDenied(
            f"user {name!r} has role {user.role!r}; this needs one of: {', '.join(allowed)}")
    return user
