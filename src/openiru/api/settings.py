"""Settings of the web application (cookie flags, limits, where media files live)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..services.access.auth import DEFAULT_POLICY, LoginPolicy
from ..settings import Settings

SESSION_COOKIE = "openiru_session"
ACCESS_LOG_QUERIES_ENV = "OPENIRU_ACCESS_LOG_QUERIES"
#: Login attempts a minute from one address before the rate limit refuses (default 20): a unit whose
#: analysts share one address (a proxy, NAT) raises it.
LOGIN_PER_MINUTE_ENV = "OPENIRU_LOGIN_PER_MINUTE"


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _login_policy() -> LoginPolicy:
    raw = os.environ.get(LOGIN_PER_MINUTE_ENV, "").strip()
    if not raw:
        return DEFAULT_POLICY
    try:
        per_remote = int(raw)
    except ValueError:
        raise ValueError(f"{LOGIN_PER_MINUTE_ENV} must be a whole number, not {raw!r}") from None
    if per_remote < 1:
        raise ValueError(f"{LOGIN_PER_MINUTE_ENV} must be at least 1, not {per_remote}")
    return replace(DEFAULT_POLICY, per_remote=per_remote)


CSRF_HEADER = "x-csrf-token"


@dataclass(frozen=True, slots=True)
class ApiSettings:
    #: Cookies are Secure by default.  Browsers accept Secure cookies from
    #: http://127.0.0.1 and http://localhost, so local use works as is; behind
    #: TLS nothing changes.
    secure_cookies: bool = True
    hsts: bool = False
    max_body: int = 1 << 20
    max_upload: int = 64 << 20
    page_default: int = 50
    page_max: int = 500
    #: Seconds a whole-graph result (key accounts, coordination...) is served before a refresh.
    analytics_ttl: float = 60.0
    #: Seconds an API token's look-up is remembered (0: checked on every request, as in tests).
    #: ``openiru serve`` uses a few seconds: a revocation made elsewhere takes that long.
    auth_cache_ttl: float = 0.0
    data_dir: Path = Path("./openiru-data")
    #: Connections per server process in the async pool of the triage page (PostgreSQL only).
    read_pool_size: int = 4
    #: Move the objects alive at start out of the garbage collector's sight (``gc.freeze``):
    #: what a long-running server wants (``openiru serve``), not a test process making many apps.
    freeze_gc: bool = False
    #: Hold triage pages per process until PostgreSQL notifies a change (api/page_cache.py).
    page_cache: bool = False
    login_policy: LoginPolicy = field(default_factory=_login_policy)
    #: Write query strings to the access log (off: investigators' searches stay out of logs).
    access_log_queries: bool = field(default_factory=lambda: _flag(ACCESS_LOG_QUERIES_ENV))

    @classmethod
    def coerce(cls, settings: ApiSettings | Settings | None) -> ApiSettings:
        if settings is None:
            return cls()
        if isinstance(settings, ApiSettings):
            return settings
        return cls(data_dir=settings.data_dir)
