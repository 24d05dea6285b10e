"""Run-time settings: where the database is and who is acting.

Resolution order for the database URL: an explicit ``--db`` value, then the
``OPENIRU_DB`` environment variable, then ``sqlite:///./openiru.db``.  A bare
file path is accepted and turned into a SQLite URL.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB_URL = "sqlite:///./openiru.db"


def resolve_db_url(explicit: str | None = None) -> str:
    url = explicit or os.environ.get("OPENIRU_DB") or DEFAULT_DB_URL
    if "://" not in url:
        url = f"sqlite:///{Path(url).expanduser()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def resolve_actor(explicit: str | None = None) -> str | None:
    return explicit or os.environ.get("OPENIRU_USER") or None


def resolve_fetch_allow(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The outbound fetch allow-list (``OPENIRU_FETCH_ALLOW``): comma-separated hosts, addresses
    or networks, each with an optional port (``127.0.0.1,localhost:8000,10.0.0.0/8,[::1]:8080``),
    that evidence capture and verification may reach although internal (services.outbound)."""
    return (
        explicit
        if explicit is not None
        else (os.environ if env is None else env).get("OPENIRU_FETCH_ALLOW", "")
    )


def resolve_webhook_allow(explicit: str | None = None, env: Mapping[str, str] | None = None) -> str:
    """The webhook delivery allow-list (``OPENIRU_WEBHOOK_ALLOW``), in the form of
    ``OPENIRU_FETCH_ALLOW``: internal addresses a provider webhook may post to."""
    return (
        explicit
        if explicit is not None
        else (os.environ if env is None else env).get("OPENIRU_WEBHOOK_ALLOW", "")
    )


@dataclass(frozen=True, slots=True)
class Settings:
    db_url: str
    actor: str | None = None
    data_dir: Path = Path("./openiru-data")

    @classmethod
    def load(cls, db: str | None = None, actor: str | None = None) -> Settings:
        data_dir = Path(os.environ.get("OPENIRU_DATA", "./openiru-data"))
        return cls(db_url=resolve_db_url(db), actor=resolve_actor(actor), data_dir=data_dir)
