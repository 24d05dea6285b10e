"""Users and roles: who is acting, and may they do this?

Every state-changing command names its actor (``--as`` / ``OPENIRU_USER`` on
the command line, the login in the API).  The actor must be a known, enabled
user whose role allows the action; otherwise :class:`PermissionDenied`.

Creating a user and changing a role are audit entries with their actor: the
acting admin, ``system`` while no admin exists yet (the first admin, created by
command at installation), or on the command line without ``--as`` the
operating-system account that ran it (``local:NAME``: the command line reaches
the database directly, so it is trusted as that account).
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import sqlalchemy as sa

from ...errors import ConfigError, NotFoundError, PermissionDenied
from ...store import schema, tables_referral
from . import audit

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


SYSTEM = "system"


def add_user(
    engine: sa.Engine,
    name: str,
    role: str,
    agency: str | None = None,
    provider: str | None = None,
    actor: str = SYSTEM,
    provider_lookup: Callable[[sa.Engine, str], object] | None = None,
) -> User:
    """Add a user; ``actor`` (already checked by the caller) is recorded in the audit log.

    A provider user must belong to a registered provider.  ``provider_lookup`` (the referral
    area's ``get_provider``, passed by the adapters, which raises ``NotFoundError``) also knows
    the starter list; without it the provider must already be a row of the registry table."""
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    if role == "liaison" and not agency:
        raise ConfigError("a liaison belongs to one agency: give --agency")
    if role == "provider" and not provider:
        raise ConfigError("a provider user belongs to one provider: give --provider")
    if role == "provider" and provider:
        _registered_provider(engine, provider, provider_lookup)
    with engine.begin() as conn:
        exists = conn.execute(sa.select(schema.users.c.name).where(schema.users.c.name == name)).first()
        if exists:
            raise ConfigError(f"user {name!r} already exists")
        conn.execute(
            sa.insert(schema.users).values(
                name=name,
                role=role,
                agency=agency,
                provider=provider,
                disabled=False,
                created_at=datetime.now(UTC),
            )
        )
        audit.record(
            conn, actor, "user.create", "user", name, {"role": role, "agency": agency, "provider": provider}
        )
    return User(name, role, agency, provider)


def _registered_provider(
    engine: sa.Engine, provider: str, lookup: Callable[[sa.Engine, str], object] | None
) -> None:
    """A provider user belongs to a provider of the registry (``openiru provider list``)."""
    try:
        if lookup is not None:
            lookup(engine, provider)
        else:
            with engine.connect() as conn:
                t = tables_referral.providers
                if conn.execute(sa.select(t.c.name).where(t.c.name == provider)).first() is None:
                    raise NotFoundError(provider)
    except NotFoundError:
        raise ConfigError(
            f"no provider {provider!r} in the registry: add it first with 'openiru provider add'"
        ) from None


def has_admin(engine: sa.Engine) -> bool:
    u = schema.users
    with engine.connect() as conn:
        return (
            conn.execute(
                sa.select(u.c.name).where(u.c.role == "admin", u.c.disabled.is_(False)).limit(1)
            ).first()
            is not None
        )


def command_actor(engine: sa.Engine, explicit: str | None) -> str:
    """Who administers users from the command line: ``--as ADMIN`` (checked), else ``system``
    while no admin exists (installation), else the operating-system account (``local:NAME``)."""
    if explicit:
        return require_actor(engine, explicit, ("admin",)).name
    if not has_admin(engine):
        return SYSTEM
    return local_account()


def local_account() -> str:
    """``local:NAME``: the operating-system account running the command."""
    try:
        account = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (containers)
        import os

        account = f"uid{os.getuid()}"
    return f"local:{account}"


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


def set_role(engine: sa.Engine, name: str, role: str, actor: str = SYSTEM) -> User:
    if role not in ROLES:
        raise ConfigError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    before = get_user(engine, name)
    with engine.begin() as conn:
        conn.execute(sa.update(schema.users).where(schema.users.c.name == name).values(role=role))
        audit.record(conn, actor, "user.role", "user", name, {"from": before.role, "to": role})
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
            f"user {name!r} has role {user.role!r}; this needs one of: {', '.join(allowed)}"
        )
    return user
