"""Helpers shared by the API tests: an app on a test database, users of every role, clients."""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import sqlalchemy as sa

with warnings.catch_warnings():
    # Starlette 1.x asks for the httpx2 fork; httpx (a dependency already) works the same here.
    warnings.simplefilter("ignore")
    from starlette.testclient import TestClient

from openiru.api.settings import ApiSettings
from openiru.referral.providers import ProviderInfo
from openiru.services.access import auth
from openiru.services.access.users import add_user
from openiru.services.referral.providers import save_provider
from openiru.web.app import create_app

PASSWORD = "correct horse battery staple"

#: One user per role; tenants: two agencies, two providers.
ROLE_USERS: dict[str, dict[str, str | None]] = {
    "admin": {"role": "admin"},
    "analyst": {"role": "analyst"},
    "approver": {"role": "approver"},
    "liaison": {"role": "liaison", "agency": "agency-north"},
    "provider": {"role": "provider", "provider": "Provider One"},
    "auditor": {"role": "auditor"},
    "liaison2": {"role": "liaison", "agency": "agency-south"},
    "provider2": {"role": "provider", "provider": "Provider Two"},
}


@dataclass
class World:
    engine: sa.Engine
    app: object
    tokens: dict[str, str] = field(default_factory=dict)

    def client(self, user: str | None = None) -> TestClient:
        client = TestClient(self.app, base_url="https://testserver", raise_server_exceptions=False)
        if user is not None:
            client.headers["Authorization"] = f"Bearer {self.tokens[user]}"
        return client

    def login(self, user: str) -> tuple[TestClient, str]:
        """A client logged in by password (cookie session) and its CSRF token."""
        client = TestClient(self.app, base_url="https://testserver", raise_server_exceptions=False)
        res = client.post("/api/v1/auth/login", json={"name": user, "password": PASSWORD})
        assert res.status_code == 200, res.text
        return client, res.json()["csrf_token"]


def make_world(
    engine: sa.Engine, passwords: tuple[str, ...] = (), settings: ApiSettings | None = None
) -> World:
    world = World(engine, create_app(engine, settings or ApiSettings()))
    for name, spec in ROLE_USERS.items():
        if spec.get("provider"):  # a provider user belongs to a registered provider
            save_provider(
                engine,
                "admin",
                ProviderInfo(name=str(spec["provider"]), platforms=["testnet"], languages=["fr", "en"]),
            )
        add_user(engine, name, str(spec["role"]), spec.get("agency"), spec.get("provider"))
        world.tokens[name] = auth.create_token(engine, name, "tests")
    for name in passwords:
        auth.set_password(engine, name, PASSWORD)
    return world
