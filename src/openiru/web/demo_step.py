"""The console's demo step: local-demo-only logins and how to open the console.

Registered under ``openiru.demo_steps`` (named ``web`` so it runs after the
other areas' steps and its lines come last).  It creates three users for this
local demo database only, each with a fresh random password (never a fixed
default): an analyst, an approver (four-eyes) and a provider user for the
provider that hosts the demo's X posts.  The logins are printed and written to
``DIR/console-logins.txt`` (readable by the owner only).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ..errors import NotFoundError
from ..services.access import auth
from ..services.access import users as user_service
from ..services.referral.providers import get_provider, list_providers

DEMO_USERS = (("demo-analyst", "analyst"), ("demo-approver", "approver"), ("demo-provider", "provider"))


def _demo_provider(engine: sa.Engine) -> str:
    for p in list_providers(engine):
        if "x" in p.platforms:
            return p.name
    return "X Corp"


def _ensure(engine: sa.Engine, name: str, role: str, provider: str | None) -> str:
    try:
        user_service.get_user(engine, name)
    except NotFoundError:
        user_service.add_user(
            engine,
            name,
            role,
            provider=provider if role == "provider" else None,
            provider_lookup=get_provider,
        )
    password = secrets.token_urlsafe(12)
    auth.set_password(engine, name, password)
    return password


def demo_step(engine: sa.Engine, out: Path, truth: dict[str, Any]) -> list[str]:
    provider = _demo_provider(engine)
    logins = [(name, role, _ensure(engine, name, role, provider)) for name, role in DEMO_USERS]
    url = engine.url.render_as_string(hide_password=True)
    out = Path(out)
    path = out / "console-logins.txt"
    text = "".join(f"{name}\t{role}\t{password}\n" for name, role, password in logins)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write("# OpenIRU console logins created for this local demo database only\n" + text)
    analyst = logins[0]
    lines = [
        "console: start it with   .venv/bin/openiru serve --db " + url,
        "console: then open       http://127.0.0.1:8000/",
        f"console: log in as       {analyst[0]} / {analyst[2]}   (created for this local demo only)",
        f"console: four-eyes and provider portal logins ({logins[1][0]}, {logins[2][0]} for {provider}) "
        f"are in {path}",
    ]
    return lines
