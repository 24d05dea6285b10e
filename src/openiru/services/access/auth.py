"""Authentication: passwords, console sessions with CSRF, API tokens, login throttling.

- Passwords are hashed with Argon2id (argon2-cffi's ``PasswordHasher``, its
  RFC 9106 low-memory profile); hashes are upgraded on login when the
  parameters change.  No user has a password until one is set by command
  (``openiru user passwd``): there is no default password.
- A console session is a random id in an HttpOnly cookie plus a CSRF token
  that the console sends back in a header on every state-changing request.  The
  token is derived from the session id (HMAC-SHA256 keyed with it), so the
  server can give it again to the console's pages without keeping it.
- An API token is a random bearer string for machines.  The database keeps only
  SHA-256 digests of session ids, CSRF tokens and API tokens.
- Logins, failed logins, lockouts, password changes, token issue and revocation
  are audit entries with their actor (:mod:`openiru.services.access.audit`).
- Login attempts are recorded: more than ``per_remote`` attempts a minute from
  one address are refused (rate limit), and ``max_failures`` failures in a row
  for one user lock that user for ``lockout`` (lockout).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import threading
import time
import weakref
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ...clock import system_now
from ...errors import ConfigError, OpenIRUError, PermissionDenied
from ...model import utc
from ...store import schema
from ...store.tables_api import api_sessions, api_tokens, login_attempts
from . import audit
from .users import SYSTEM, User, get_user

TOKEN_PREFIX = "oiru_"
MIN_PASSWORD_LENGTH = 12
_hasher = PasswordHasher()
# Verified against when the user does not exist, so that timing does not tell
# which user names exist.
_DUMMY_HASH = _hasher.hash("no such user, constant-time placeholder")


class LoginRefused(PermissionDenied):
    """Wrong user name or password (deliberately not saying which)."""


class LoginThrottled(OpenIRUError):
    """Too many attempts: from this address (rate limit) or for this user (lockout)."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class LoginPolicy:
    max_failures: int = 5
    lockout: timedelta = timedelta(minutes=15)
    per_remote: int = 20
    remote_window: timedelta = timedelta(minutes=1)
    session_lifetime: timedelta = timedelta(hours=8)


DEFAULT_POLICY = LoginPolicy()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# -- passwords ---------------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def set_password(engine: sa.Engine, name: str, password: str, actor: str = SYSTEM) -> None:
    """Set a user's password; ends that user's sessions."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ConfigError(f"a password needs at least {MIN_PASSWORD_LENGTH} characters")
    get_user(engine, name)
    with engine.begin() as conn:
        conn.execute(
            sa.update(schema.users)
            .where(schema.users.c.name == name)
            .values(password_hash=hash_password(password))
        )
        ended = conn.execute(sa.delete(api_sessions).where(api_sessions.c.user_name == name)).rowcount
        audit.record(conn, actor, "user.password", "user", name, {"sessions_ended": ended or 0})
    forget_cached_tokens()


def _recent(conn: sa.Connection, column: sa.ColumnElement, value: str, since: datetime) -> list[sa.Row]:
    return list(
        conn.execute(
            sa.select(login_attempts.c.at, login_attempts.c.success)
            .where(column == value, login_attempts.c.at >= since)
            .order_by(login_attempts.c.at.desc(), login_attempts.c.id.desc())
        )
    )


def _failures(conn: sa.Connection, name: str, now: datetime, policy: LoginPolicy) -> list[datetime]:
    """The failed logins of ``name`` in a row within the lockout window, newest first."""
    failures: list[datetime] = []
    for row in _recent(conn, login_attempts.c.user_name, name, now - policy.lockout):
        if row.success:
            break
        failures.append(utc(row.at))
    return failures


def _check_throttle(conn: sa.Connection, name: str, remote: str, now: datetime, policy: LoginPolicy) -> None:
    by_remote = _recent(conn, login_attempts.c.remote, remote, now - policy.remote_window)
    if len(by_remote) >= policy.per_remote:
        raise LoginThrottled(
            "too many login attempts from this address; try again in a minute",
            int(policy.remote_window.total_seconds()),
        )
    failures = _failures(conn, name, now, policy)
    if len(failures) >= policy.max_failures:
        until = failures[0] + policy.lockout
        raise LoginThrottled(
            "this account is locked after repeated failed logins; try again later",
            max(1, int((until - now).total_seconds())),
        )


def authenticate(
    engine: sa.Engine,
    name: str,
    password: str,
    remote: str = "unknown",
    now: datetime | None = None,
    policy: LoginPolicy = DEFAULT_POLICY,
) -> User:
    """The user if the password is right; records the attempt; throttles guessing."""
    now = now or system_now()
    name = name[:100]
    with engine.begin() as conn:
        _check_throttle(conn, name, remote[:100], now, policy)
        row = conn.execute(sa.select(schema.users).where(schema.users.c.name == name)).first()
        stored = row.password_hash if row is not None and row.password_hash else _DUMMY_HASH
        ok = False
        try:
            ok = _hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        ok = ok and row is not None and bool(row.password_hash) and not row.disabled
        conn.execute(
            sa.insert(login_attempts).values(user_name=name, remote=remote[:100], at=now, success=ok)
        )
        _audit_login(conn, name, remote[:100], ok, now, policy)
        if ok and _hasher.check_needs_rehash(stored):
            conn.execute(
                sa.update(schema.users)
                .where(schema.users.c.name == name)
                .values(password_hash=hash_password(password))
            )
    if not ok:
        raise LoginRefused("wrong user name or password")
    return get_user(engine, name)


def _audit_login(
    conn: sa.Connection, name: str, remote: str, ok: bool, now: datetime, policy: LoginPolicy
) -> None:
    """A login, a failed login (actor ``anonymous``: the name is only claimed), and the failure
    that locks the user.  Throttled attempts are refused before this and not recorded one by
    one (the rate limit bounds what a guesser can add to the log)."""
    if ok:
        audit.record(conn, name, "auth.login", "user", name, {"remote": remote}, now=lambda: now)
        return
    audit.record(conn, "anonymous", "auth.login_failed", "user", name, {"remote": remote}, now=lambda: now)
    if len(_failures(conn, name, now, policy)) == policy.max_failures:
        audit.record(
            conn,
            SYSTEM,
            "auth.lockout",
            "user",
            name,
            {"remote": remote, "failures": policy.max_failures, "until": (now + policy.lockout).isoformat()},
            now=lambda: now,
        )


# -- sessions ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Session:
    user: User
    csrf_token: str  # derived from the session id, never stored
    csrf_hash: str = ""  # its SHA-256 digest, as stored


def csrf_token_for(session_id: str) -> str:
    """The session's CSRF token: HMAC-SHA256 keyed with the (secret, random) session id."""
    mac = hmac.new(session_id.encode("utf-8"), b"openiru csrf v1", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def create_session(
    engine: sa.Engine, name: str, now: datetime | None = None, policy: LoginPolicy = DEFAULT_POLICY
) -> tuple[str, str]:
    """A new session for ``name``: ``(session id, CSRF token)``; only the id's digest is stored."""
    now = now or system_now()
    session_id = secrets.token_urlsafe(32)
    csrf = csrf_token_for(session_id)
    with engine.begin() as conn:
        conn.execute(sa.delete(api_sessions).where(api_sessions.c.expires_at < now))
        conn.execute(
            sa.insert(api_sessions).values(
                id_hash=digest(session_id),
                user_name=name,
                csrf_token=digest(csrf),
                created_at=now,
                expires_at=now + policy.session_lifetime,
                last_seen=now,
            )
        )
    return session_id, csrf


def session_for(engine: sa.Engine, session_id: str, now: datetime | None = None) -> Session | None:
    """The live session of that id, with an enabled user; ``None`` otherwise."""
    now = now or system_now()
    s, u = api_sessions, schema.users
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(
                s.c.csrf_token, s.c.expires_at, u.c.name, u.c.role, u.c.agency, u.c.provider, u.c.disabled
            )
            .join(u, u.c.name == s.c.user_name)
            .where(s.c.id_hash == digest(session_id))
        ).first()
    if row is None or row.disabled or utc(row.expires_at) <= now:
        return None
    return Session(
        User(row.name, row.role, row.agency, row.provider, False), csrf_token_for(session_id), row.csrf_token
    )


def end_session(engine: sa.Engine, session_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(sa.delete(api_sessions).where(api_sessions.c.id_hash == digest(session_id)))


# -- API tokens --------------------------------------------------------------------------------------


def create_token(
    engine: sa.Engine,
    name: str,
    label: str = "",
    days: int | None = None,
    now: datetime | None = None,
    actor: str = SYSTEM,
) -> str:
    """A new API token for ``name``, shown once; only its digest is stored."""
    now = now or system_now()
    user = get_user(engine, name)
    if user.disabled:
        raise PermissionDenied(f"user {name!r} is disabled")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        result = conn.execute(
            sa.insert(api_tokens).values(
                token_hash=digest(token),
                user_name=name,
                label=label[:200],
                created_at=now,
                expires_at=now + timedelta(days=days) if days else None,
                revoked=False,
            )
        )
        token_id = result.inserted_primary_key[0] if result.inserted_primary_key else None
        audit.record(
            conn,
            actor,
            "token.create",
            "user",
            name,
            {"token_id": token_id, "label": label[:200], "days": days},
        )
    return token


def token_user(engine: sa.Engine, token: str, now: datetime | None = None) -> User | None:
    """The enabled user a live token belongs to, or ``None``."""
    now = now or system_now()
    t, u = api_tokens, schema.users
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(t.c.revoked, t.c.expires_at, u.c.name, u.c.role, u.c.agency, u.c.provider, u.c.disabled)
            .join(u, u.c.name == t.c.user_name)
            .where(t.c.token_hash == digest(token))
        ).first()
    if row is None or row.revoked or row.disabled:
        return None
    if row.expires_at is not None and utc(row.expires_at) <= now:
        return None
    return User(row.name, row.role, row.agency, row.provider, False)


class TokenCache:
    """Token look-ups remembered for ``ttl`` seconds, so a busy API client costs one indexed
    query per token every few seconds, not one per request.  A revocation or password change
    made through this process forgets everything at once; one made elsewhere (another worker,
    the command line, disabling a user) takes effect within ``ttl`` (plus one look-up's time).

    When an entry expires, the first request to notice it looks the token up again; requests
    arriving meanwhile keep the previous answer (never for longer than a second ``ttl``)
    instead of all querying at once: fifty concurrent clients on one token otherwise made a
    burst of fifty look-ups every ``ttl`` seconds, a latency spike for all of them.  Written by
    hand: the standard library's caches have no expiry.  ``ttl <= 0`` caches nothing."""

    MAX_ENTRIES = 10_000

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, User | None]] = {}
        self._refreshing: set[str] = set()
        self._lock = threading.Lock()
        _TOKEN_CACHES.add(self)

    def user(self, engine: sa.Engine, token: str) -> User | None:
        if self.ttl <= 0:
            return token_user(engine, token)
        key, now = digest(token), time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and entry[0] > now:
            return entry[1]
        try:
            user = token_user(engine, token)
            with self._lock:
                if len(self._entries) >= self.MAX_ENTRIES:
                    self._entries.clear()
                self._entries[key] = (time.monotonic() + self.ttl, user)
        finally:
            self._refreshing.discard(key)
        return user

    def peek(self, token: str) -> tuple[User | None] | None:
        """``(user,)`` if the token's look-up is remembered, else ``None`` (no I/O): the caller
        then calls :meth:`user`.  An expired entry is ``None`` to the first caller (who refreshes
        it) and still served to others while that refresh runs, up to a second ``ttl``."""
        if self.ttl <= 0:
            return None
        key = digest(token)
        entry = self._entries.get(key)
        if entry is None:
            return None
        now = time.monotonic()
        if entry[0] > now:
            return (entry[1],)
        if entry[0] + self.ttl <= now:
            return None
        with self._lock:
            if key in self._refreshing:
                return (entry[1],)
            self._refreshing.add(key)
        return None

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._refreshing.clear()


_TOKEN_CACHES: weakref.WeakSet[TokenCache] = weakref.WeakSet()


def forget_cached_tokens() -> None:
    """Empty every token cache of this process (after a revocation or a password change)."""
    for cache in list(_TOKEN_CACHES):
        cache.clear()


def list_tokens(engine: sa.Engine, name: str) -> list[dict[str, object]]:
    t = api_tokens
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(t.c.id, t.c.label, t.c.created_at, t.c.expires_at, t.c.revoked)
            .where(t.c.user_name == name)
            .order_by(t.c.id)
        ).all()
    return [
        {
            "id": r.id,
            "label": r.label,
            "created_at": r.created_at,
            "expires_at": r.expires_at,
            "revoked": bool(r.revoked),
        }
        for r in rows
    ]


def revoke_token(engine: sa.Engine, name: str, token_id: int, actor: str = SYSTEM) -> bool:
    with engine.begin() as conn:
        result = conn.execute(
            sa.update(api_tokens)
            .where(api_tokens.c.id == token_id, api_tokens.c.user_name == name)
            .values(revoked=True)
        )
        if result.rowcount:
            audit.record(conn, actor, "token.revoke", "user", name, {"token_id": token_id})
    forget_cached_tokens()
    return bool(result.rowcount)
