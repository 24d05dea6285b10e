"""Authorisation matrix: every route of the app, with every role and anonymously.

``EXPECTED`` is the access policy written out by hand, independently of the
routes' own declarations: a route missing from it, or one the app enforces
differently, fails the test.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from openiru.services.access import auth
from test_api_support import World, make_world

UNIT = {"admin", "analyst", "approver"}
ALL = {"admin", "analyst", "approver", "liaison", "provider", "auditor"}
ANON = {"anonymous"}

EXPECTED: dict[tuple[str, str], set[str]] = {
    ("POST", "/api/v1/auth/login"): ANON,
    ("GET", "/healthz"): ANON,
    ("GET", "/readyz"): ANON,
    ("GET", "/metrics"): ANON,  # probes (routers/health.py)
    ("POST", "/api/v1/auth/logout"): ALL,
    ("GET", "/api/v1/auth/me"): ALL,
    ("POST", "/api/v1/auth/password"): ALL,
    ("GET", "/api/v1/posts"): UNIT,
    ("GET", "/api/v1/posts/{platform}/{post_id}"): UNIT,
    ("GET", "/api/v1/accounts"): UNIT,
    ("GET", "/api/v1/accounts/{platform}/{account_id}"): UNIT,
    ("GET", "/api/v1/media/{media_key}"): UNIT,
    ("GET", "/api/v1/stats"): UNIT | {"auditor"},
    ("POST", "/api/v1/ingest"): {"admin", "analyst"},
    ("GET", "/api/v1/users"): {"admin"},
    ("POST", "/api/v1/users"): {"admin"},
    ("GET", "/api/v1/users/{name}"): {"admin"},
    ("PATCH", "/api/v1/users/{name}"): {"admin"},
    ("POST", "/api/v1/users/{name}/password"): {"admin"},
    ("GET", "/api/v1/users/{name}/tokens"): {"admin"},
    ("POST", "/api/v1/users/{name}/tokens"): {"admin"},
    ("DELETE", "/api/v1/users/{name}/tokens/{token_id}"): {"admin"},
    ("GET", "/api/v1/graph/key-accounts"): UNIT,
    ("GET", "/api/v1/graph/score"): UNIT,
    ("GET", "/api/v1/graph/neighbourhood"): UNIT,
    ("GET", "/api/v1/graph/coordination"): UNIT,
    ("GET", "/api/v1/graph/recreated"): UNIT,
    ("GET", "/api/v1/graph/platforms"): UNIT,
    ("GET", "/api/v1/graph/migration"): UNIT,
    ("GET", "/api/v1/graph/seeds"): UNIT,
    ("POST", "/api/v1/graph/seeds"): {"admin", "analyst"},
    ("DELETE", "/api/v1/graph/seeds"): {"admin", "analyst"},
    ("GET", "/api/v1/referrals"): UNIT,
    ("POST", "/api/v1/referrals"): {"admin", "analyst"},
    ("GET", "/api/v1/referrals/{referral_id}"): UNIT,
    ("POST", "/api/v1/referrals/{referral_id}/approve"): UNIT,
    ("POST", "/api/v1/referrals/{referral_id}/send"): UNIT,
    ("POST", "/api/v1/referrals/{referral_id}/withdraw"): UNIT,
    ("POST", "/api/v1/referrals/{referral_id}/feedback"): UNIT,
    ("POST", "/api/v1/referrals/{referral_id}/release"): {"liaison", "admin"},
    ("GET", "/api/v1/referrals/{referral_id}/evidence"): UNIT,
    ("GET", "/api/v1/referrals/{referral_id}/deliveries"): UNIT,
    ("GET", "/api/v1/deconfliction"): UNIT | {"liaison"},
    ("POST", "/api/v1/deconfliction"): {"liaison", "admin"},
    ("DELETE", "/api/v1/deconfliction/{entry_id}"): {"liaison", "admin"},
    ("GET", "/api/v1/deconfliction/notifications"): {"liaison", "admin"},
    ("GET", "/api/v1/audit"): {"admin", "auditor"},
    ("GET", "/api/v1/audit/verify"): {"admin", "auditor"},
    ("GET", "/api/v1/portal/me"): {"provider"},
    ("GET", "/api/v1/portal/referrals"): {"provider"},
    ("GET", "/api/v1/portal/referrals/{referral_id}"): {"provider"},
    ("GET", "/api/v1/portal/referrals/{referral_id}/evidence"): {"provider"},
    ("GET", "/api/v1/portal/referrals/{referral_id}/evidence/{evidence_id}"): {"provider"},
    ("POST", "/api/v1/portal/referrals/{referral_id}/acknowledge"): {"provider"},
    ("POST", "/api/v1/portal/referrals/{referral_id}/answer"): {"provider"},
    ("GET", "/api/v1/alerts"): UNIT,
    ("GET", "/api/v1/alerts/reasons"): UNIT,
    ("GET", "/api/v1/evidence/{platform}/{post_id}"): UNIT,
    ("POST", "/api/v1/decisions"): {"admin", "analyst"},
    ("GET", "/api/v1/banks"): UNIT,
    ("GET", "/api/v1/lexicons"): UNIT,
    ("POST", "/api/v1/scan"): {"admin", "analyst"},
    ("POST", "/api/v1/match"): UNIT,
    ("GET", "/api/v1/operations"): UNIT,
    ("POST", "/api/v1/operations"): UNIT,
    ("GET", "/api/v1/operations/{operation_id}"): UNIT,
    ("POST", "/api/v1/operations/{operation_id}/items"): UNIT,
    ("GET", "/api/v1/operations/{operation_id}/report"): UNIT,
    ("GET", "/api/v1/providers"): UNIT,
    ("GET", "/api/v1/providers/resolve"): UNIT,
    ("GET", "/api/v1/providers/{name}"): UNIT,
    ("PUT", "/api/v1/providers/{name}"): {"admin", "analyst"},
    ("POST", "/api/v1/banks/{bank}/import"): {"admin", "analyst"},
    ("GET", "/api/v1/banks/{bank}/export"): UNIT,
    ("POST", "/api/v1/lexicons/{name}/import"): {"admin", "analyst"},
    ("GET", "/api/v1/exports/{fmt}"): UNIT,
    ("POST", "/api/v1/classifier/train"): {"admin", "analyst"},
    ("GET", "/api/v1/classifier/eval"): UNIT,
    ("GET", "/api/v1/classifier/models"): UNIT,
    ("POST", "/api/v1/referrals/{referral_id}/pause"): UNIT,
    ("POST", "/api/v1/referrals/{referral_id}/resume"): UNIT,
    # the console's read-only views (api/routers/console.py)
    **{
        ("GET", f"/api/v1/console/{view}"): UNIT
        for view in (
            "people",
            "alerts",
            "alert-facets",
            "accounts",
            "network",
            "neighbourhood",
            "account-links",
            "post-links",
        )
    },
    ("GET", "/api/v1/console/timeseries"): UNIT | {"auditor"},
    ("GET", "/api/v1/console/evidence/{referral_id}/{evidence_id}"): UNIT,
    ("POST", "/api/v1/console/assign"): {"admin", "analyst"},
    ("GET", "/api/v1/reports/charts"): UNIT | {"auditor"},  # api/routers/reports.py
    **{
        (m, f"/api/v1/watch{p}"): r
        for m, p, r in (  # the watchlist (api/routers/watchlist.py)
            ("GET", "", UNIT),
            ("POST", "", {"admin", "analyst"}),
            ("GET", "/suggestions", UNIT),
            ("POST", "/discover", {"admin", "analyst"}),
            ("POST", "/{target_id}/pause", {"admin", "analyst"}),
            ("DELETE", "/{target_id}", {"admin", "analyst"}),
        )
    },
    ("GET", "/console/network"): UNIT,
    ("GET", "/console/referral"): UNIT,
    # console and portal pages
    ("GET", "/"): ANON,
    ("GET", "/login"): ANON,
    ("GET", "/console/triage"): UNIT,
    ("GET", "/console/posts"): UNIT,
    ("GET", "/console/post"): UNIT,
    ("GET", "/console/accounts"): UNIT,
    ("GET", "/console/account"): UNIT,
    ("GET", "/console/key-accounts"): UNIT,
    ("GET", "/console/coordination"): UNIT,
    ("GET", "/console/recreated"): UNIT,
    ("GET", "/console/referrals"): UNIT,
    ("GET", "/console/deconfliction"): UNIT | {"liaison"},
    ("GET", "/console/watch"): UNIT,
    ("GET", "/console/action-days"): UNIT,
    ("GET", "/console/stats"): UNIT | {"auditor"},
    ("GET", "/console/audit"): {"admin", "auditor"},
    ("GET", "/console/users"): {"admin"},
    ("GET", "/portal"): {"provider"},
}


def app_routes(world: World) -> dict[tuple[str, str], dict[str, Any]]:
    """Every (method, path) the app answers, with its declared roles: API from the OpenAPI
    document, pages from the app's own route table."""
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for path, ops in world.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        for method, op in ops.items():
            found[(method.upper(), path)] = {"roles": op.get("x-roles"), "page": False}
    for route in world.app.routes:  # type: ignore[attr-defined]
        extra = getattr(route, "openapi_extra", None) or {}
        if getattr(route, "include_in_schema", True) is False and "x-roles" in extra:
            for method in route.methods:
                found[(method, route.path)] = {"roles": extra["x-roles"], "page": True}
    return found


def concrete(path: str) -> str:
    return re.sub(
        r"\{(\w+)\}",
        lambda m: (
            "1"
            if m.group(1).endswith("_id") and m.group(1) not in ("post_id", "account_id")
            else "nobody-" + m.group(1)
        ),
        path,
    )


def call(world: World, client: Any, method: str, path: str) -> Any:
    kwargs: dict[str, Any] = {}
    if method in {"POST", "PATCH", "PUT"}:
        if path == "/api/v1/ingest" or path.endswith("/import"):
            kwargs["files"] = {"file": ("x.jsonl", b"", "application/json")}
        else:
            kwargs["json"] = {}
    return client.request(method, concrete(path), follow_redirects=False, **kwargs)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from openiru.store.db import open_database

    engine = open_database(f"sqlite:///{tmp_path_factory.mktemp('matrix') / 'm.db'}")
    return make_world(engine)


def test_every_route_is_in_the_policy_and_declares_its_roles(world: World) -> None:
    routes = app_routes(world)
    assert set(routes) == set(EXPECTED), (
        f"routes without a policy: {sorted(set(routes) - set(EXPECTED))}; "
        f"policy for missing routes: {sorted(set(EXPECTED) - set(routes))}"
    )
    for key, info in routes.items():
        assert info["roles"] is not None, f"{key} declares no roles"
        assert set(info["roles"]) == EXPECTED[key], key


def _session_client(world: World, user: str) -> Any:
    session_id, _csrf = auth.create_session(world.engine, user)
    client = world.client()
    client.cookies.set("openiru_session", session_id)
    return client


@pytest.mark.parametrize("role", sorted(ALL) + ["anonymous"])
def test_matrix(world: World, role: str) -> None:
    failures = []
    for (method, path), info in sorted(app_routes(world).items()):
        allowed = EXPECTED[(method, path)]
        if info["page"]:
            client = world.client() if role == "anonymous" else _session_client(world, role)
        else:
            client = world.client(None if role == "anonymous" else role)
        res = call(world, client, method, path)
        body = res.json() if res.headers.get("content-type", "").startswith("application/json") else {}
        message = (body.get("error") or {}).get("message", "") if isinstance(body, dict) else ""
        if "anonymous" in allowed or role in allowed:
            to_login = res.status_code == 303 and res.headers["location"].startswith("/login")
            refused = (
                "anonymous" not in allowed
                and res.status_code == 401
                or (res.status_code == 403 and message.startswith("role "))
                or (info["page"] and "anonymous" not in allowed and (to_login or res.status_code == 403))
            )
            # 503 is the declared answer while an optional plugin (an importer) cannot load
            if refused or (res.status_code >= 500 and res.status_code != 503):
                failures.append(f"{role} refused or failed on {method} {path}: {res.status_code} {message}")
        elif role == "anonymous":
            expected = 303 if info["page"] else 401
            if res.status_code != expected or (
                info["page"] and res.headers["location"].split("?")[0] != "/login"
            ):
                failures.append(f"anonymous not refused on {method} {path}: {res.status_code}")
        elif res.status_code != 403:
            failures.append(f"{role} not refused on {method} {path}: {res.status_code}")
    assert not failures, "\n".join(failures)


def test_pages_need_a_session_not_a_token(world: World) -> None:
    res = world.client("admin").get("/console/triage", follow_redirects=False)
    assert res.status_code == 303 and res.headers["location"].startswith("/login")


def test_disabled_user_loses_access(world: World) -> None:
    from openiru.store import schema

    auth.create_token(world.engine, "auditor")
    with world.engine.begin() as conn:
        conn.execute(sa.update(schema.users).where(schema.users.c.name == "provider2").values(disabled=True))
    assert world.client("provider2").get("/api/v1/auth/me").status_code == 401
