"""Authentication: passwords, sessions with CSRF, tokens, rate limiting and lockout."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from openiru.errors import ConfigError
from openiru.services.access import auth
from openiru.services.access.auth import LoginPolicy, LoginRefused, LoginThrottled
from openiru.store import schema
from test_api_support import PASSWORD, make_world


def test_no_default_password_and_argon2_hash(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    res = world.client().post("/api/v1/auth/login", json={"name": "admin", "password": ""})
    assert res.status_code == 422
    res = world.client().post("/api/v1/auth/login", json={"name": "admin", "password": "admin"})
    assert res.status_code == 401 and res.json()["error"]["code"] == "login_failed"
    auth.set_password(sqlite_engine, "admin", PASSWORD)
    with sqlite_engine.connect() as conn:
        stored = conn.execute(
            sa.select(schema.users.c.password_hash).where(schema.users.c.name == "admin")
        ).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(ConfigError):
        auth.set_password(sqlite_engine, "admin", "short")


def test_session_login_csrf_and_logout(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine, passwords=("admin",))
    client, csrf = world.login("admin")
    cookie = client.cookies.get("openiru_session")
    assert cookie and len(cookie) > 30
    assert client.get("/api/v1/auth/me").json()["user"]["name"] == "admin"
    body = {"name": "newbie", "role": "analyst"}
    # a state-changing request with the cookie but without the CSRF header is refused
    res = client.post("/api/v1/users", json=body)
    assert res.status_code == 403 and res.json()["error"]["code"] == "csrf_failed"
    res = client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": "wrong"})
    assert res.status_code == 403
    res = client.post("/api/v1/users", json=body, headers={"X-CSRF-Token": csrf})
    assert res.status_code == 201, res.text
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    # the old session id is dead on the server, not just forgotten by the client
    again = world.client()
    again.cookies.set("openiru_session", cookie)
    assert again.get("/api/v1/auth/me").status_code == 401


def test_tokens_are_stored_hashed_and_can_be_revoked(sqlite_engine: sa.Engine) -> None:
    world = make_world(sqlite_engine)
    token = world.tokens["analyst"]
    assert world.client("analyst").get("/api/v1/auth/me").json()["via"] == "token"
    with sqlite_engine.connect() as conn:
        stored = [r.token_hash for r in conn.execute(sa.text("select token_hash from api_tokens"))]
    assert token not in stored and auth.digest(token) in stored
    [tok] = auth.list_tokens(sqlite_engine, "analyst")
    assert auth.revoke_token(sqlite_engine, "analyst", int(tok["id"]))  # type: ignore[call-overload]
    assert world.client("analyst").get("/api/v1/auth/me").status_code == 401
    bad = world.client()
    bad.headers["Authorization"] = "Bearer oiru_forged"
    assert bad.get("/api/v1/auth/me").status_code == 401


def test_expired_token_and_disabled_user_are_refused(sqlite_engine: sa.Engine) -> None:
    make_world(sqlite_engine)
    past = datetime.now(UTC) - timedelta(days=3)
    token = auth.create_token(sqlite_engine, "analyst", days=1, now=past)
    assert auth.token_user(sqlite_engine, token) is None
    live = auth.create_token(sqlite_engine, "analyst")
    assert auth.token_user(sqlite_engine, live) is not None
    with sqlite_engine.begin() as conn:
        conn.execute(sa.update(schema.users).where(schema.users.c.name == "analyst").values(disabled=True))
    assert auth.token_user(sqlite_engine, live) is None


def test_lockout_after_repeated_failures(sqlite_engine: sa.Engine) -> None:
    engine = sqlite_engine
    make_world(engine, passwords=("analyst",))
    policy = LoginPolicy(max_failures=3, lockout=timedelta(minutes=15), per_remote=100)
    t0 = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    for i in range(3):
        with pytest.raises(LoginRefused):
            auth.authenticate(
                engine, "analyst", "wrong password", "10.0.0.1", t0 + timedelta(seconds=i), policy
            )
    # locked: even the right password is refused, without being checked
    with pytest.raises(LoginThrottled) as exc:
        auth.authenticate(engine, "analyst", PASSWORD, "10.0.0.2", t0 + timedelta(minutes=1), policy)
    assert 0 < exc.value.retry_after <= 15 * 60
    # after the lockout period the right password works and resets the count
    user = auth.authenticate(engine, "analyst", PASSWORD, "10.0.0.2", t0 + timedelta(minutes=17), policy)
    assert user.name == "analyst"
    with pytest.raises(LoginRefused):
        auth.authenticate(engine, "analyst", "wrong", "10.0.0.2", t0 + timedelta(minutes=18), policy)


def test_rate_limit_per_address_over_http(sqlite_engine: sa.Engine) -> None:
    from openiru.api.settings import ApiSettings

    settings = ApiSettings(login_policy=LoginPolicy(max_failures=100, per_remote=4))
    world = make_world(sqlite_engine, passwords=("analyst",), settings=settings)
    client = world.client()
    codes = [
        client.post("/api/v1/auth/login", json={"name": f"nobody{i}", "password": "x"}).status_code
        for i in range(5)
    ]
    assert codes == [401, 401, 401, 401, 429]
    res = client.post("/api/v1/auth/login", json={"name": "analyst", "password": PASSWORD})
    assert res.status_code == 429 and int(res.headers["Retry-After"]) > 0
    assert res.json()["error"]["code"] == "rate_limited"
