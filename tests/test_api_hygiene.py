"""API hygiene (issue 19, findings 7 and 8): malformed cursors on every list, the CSRF matrix,
provider answers on the referral's timeline, one query path for foreign and unknown ids, no
server paths in messages, provider users of registered providers only, no query strings in the
access log, CSRF tokens stored hashed."""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from openiru.services.access import auth
from openiru.store.tables_api import api_sessions
from test_api_matrix import EXPECTED, call, concrete
from test_api_referrals import _sent, _world
from test_api_support import World, make_world


def _b64(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


#: Cursors no list gave out, whatever its sort key: each must answer 400 bad_cursor.
BAD_CURSORS = {
    "nan": _b64("[NaN]"),
    "infinity": _b64("[Infinity]"),
    "overflow float": _b64("[1e309]"),
    "bool": _b64("[true]"),
    "null": _b64("[null]"),
    "nested": _b64("[[1]]"),
    "object": _b64('[{"a":1}]'),
    "not a list": _b64('"x"'),
    "too long a key": _b64('[1,"a","b","c","d"]'),
    "deep nesting": _b64("[" * 1400),
    "not base64": "!!not*base64!!",
    "not ascii": "é" * 8,
    "not utf-8": _b64(b"\xff\xfe[1]"),
    "not json": _b64("[1,"),
    "huge": "A" * 5000,
}
#: Bad for a list sorted by an integer id (the routes whose int(cursor[0]) gave 500).
BAD_INT_CURSORS = {
    "string": _b64('["x"]'),
    "negative": _b64("[-1]"),
    "bigint": _b64("[" + "9" * 30 + "]"),
    "float": _b64("[1.5]"),
}
INT_LISTS = ("/api/v1/referrals", "/api/v1/audit", "/api/v1/portal/referrals")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    from openiru.store.db import open_database

    engine = open_database(f"sqlite:///{tmp_path_factory.mktemp('hygiene') / 'h.db'}")
    return make_world(engine)


@pytest.fixture
def fresh(sqlite_engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> World:
    """A world with content and providers, for the tests that send referrals."""
    return _world(sqlite_engine, tmp_path, monkeypatch)


def _caller(method: str, path: str, declared: list[str] | None = None) -> str:
    """A role the route admits: from the hand-written policy, else the route's own x-roles."""
    allowed = EXPECTED.get((method, path)) or set(declared or ["admin"])
    return "admin" if "admin" in allowed else sorted(allowed)[0]


def _cursor_routes(world: World) -> dict[str, list[str]]:
    """Every GET route of the OpenAPI document that takes a ``cursor`` query parameter, with its
    declared roles."""
    found = {}
    for path, ops in world.app.openapi()["paths"].items():  # type: ignore[attr-defined]
        params = (ops.get("get") or {}).get("parameters", [])
        if any(p["name"] == "cursor" and p["in"] == "query" for p in params):
            found[path] = ops["get"].get("x-roles") or []
    return dict(sorted(found.items()))


def test_every_list_answers_400_to_a_malformed_cursor(world: World) -> None:
    routes = _cursor_routes(world)
    assert set(INT_LISTS) <= set(routes) and len(routes) >= 10, routes
    failures = []
    for path, declared in routes.items():
        client = world.client(_caller("GET", path, declared))
        cases = dict(BAD_CURSORS, **(BAD_INT_CURSORS if path in INT_LISTS else {}))
        for name, cursor in cases.items():
            res = client.get(concrete(path), params={"cursor": cursor})
            code = (
                res.json().get("error", {}).get("code")
                if res.headers["content-type"].startswith("application/json")
                else None
            )
            if res.status_code != 400 or code != "bad_cursor":
                failures.append(f"{path} cursor {name}: {res.status_code} {res.text[:120]}")
    assert not failures, "\n".join(failures)


def test_a_good_cursor_still_pages(fresh: World) -> None:
    world = fresh
    ids = [_sent(world, f"testnet:{i}", "Provider One") for i in (1, 2, 3)]
    admin = world.client("admin")
    first = admin.get("/api/v1/referrals", params={"limit": 2}).json()
    rest = admin.get("/api/v1/referrals", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [r["id"] for r in first["items"] + rest["items"]][-3:] == ids
    portal = world.client("provider")
    page = portal.get("/api/v1/portal/referrals", params={"limit": 1}).json()
    more = portal.get("/api/v1/portal/referrals", params={"limit": 5, "cursor": page["next_cursor"]})
    assert more.status_code == 200 and [r["id"] for r in page["items"] + more.json()["items"]] == ids


# -- CSRF ------------------------------------------------------------------------------------------


def _session(world: World, user: str) -> tuple[Any, str]:
    session_id, csrf = auth.create_session(world.engine, user)
    client = world.client()
    client.cookies.set("openiru_session", session_id)
    return client, csrf


def test_csrf_matrix_every_state_changing_route_refuses_a_cookie_without_the_token(world: World) -> None:
    writes = sorted(
        (method.upper(), path, op.get("x-roles") or [])
        for path, ops in world.app.openapi()["paths"].items()  # type: ignore[attr-defined]
        for method, op in ops.items()
        if method.upper() not in ("GET", "HEAD", "OPTIONS") and "anonymous" not in (op.get("x-roles") or [])
    )
    assert len(writes) >= 30
    failures = []
    for method, path, declared in writes:
        client, csrf = _session(world, _caller(method, path, declared))
        for label, headers in (
            ("no token", {}),
            ("wrong token", {"X-CSRF-Token": "x" * 43}),
            ("the token's digest", {"X-CSRF-Token": auth.digest(csrf)}),
        ):
            client.headers.clear()
            client.headers.update(headers)
            res = call(world, client, method, path)
            if res.status_code != 403 or res.json()["error"]["code"] != "csrf_failed":
                failures.append(f"{method} {path} with {label}: {res.status_code}")
        client.headers.update({"X-CSRF-Token": csrf})  # the right token passes the CSRF check
        res = call(world, client, method, path)
        if res.status_code == 403 and res.json()["error"]["code"] == "csrf_failed":
            failures.append(f"{method} {path} refused with the right token")
    assert not failures, "\n".join(failures)


def test_csrf_token_is_stored_hashed(world: World) -> None:
    client = world.client()
    auth.set_password(world.engine, "analyst", "correct horse battery staple")
    res = client.post(
        "/api/v1/auth/login", json={"name": "analyst", "password": "correct horse battery staple"}
    )
    csrf = res.json()["csrf_token"]
    with world.engine.connect() as conn:
        stored = set(conn.execute(sa.select(api_sessions.c.csrf_token)).scalars())
    assert csrf not in stored and hashlib.sha256(csrf.encode()).hexdigest() in stored
    assert client.get("/api/v1/auth/me").json()["csrf_token"] == csrf  # the console can still get it
    assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 200


# -- finding 8 -------------------------------------------------------------------------------------


def test_provider_answer_must_lie_on_the_referrals_timeline(fresh: World) -> None:
    world = fresh
    rid = _sent(world, "testnet:2", "Provider One")
    sent_at = datetime.fromisoformat(world.client("admin").get(f"/api/v1/referrals/{rid}").json()["sent_at"])
    portal = world.client("provider")
    url = f"/api/v1/portal/referrals/{rid}/answer"
    before = portal.post(url, json={"outcome": "removed", "at": (sent_at - timedelta(hours=1)).isoformat()})
    assert before.status_code == 400 and "before referral" in before.json()["error"]["message"]
    future = portal.post(
        url, json={"outcome": "removed", "at": (datetime.now(UTC) + timedelta(days=2)).isoformat()}
    )
    assert future.status_code == 400 and "future" in future.json()["error"]["message"]
    assert world.client("admin").get(f"/api/v1/referrals/{rid}").json()["state"] == "sent"
    ok = portal.post(url, json={"outcome": "removed", "at": (sent_at + timedelta(minutes=5)).isoformat()})
    assert ok.status_code == 200 and ok.json()["state"] == "removed"
    assert world.client("admin").get(f"/api/v1/referrals/{rid}").json()["time_to_removal_s"] == 300


def _statements(world: World, path: str, who: str) -> tuple[int, Any]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    sa.event.listen(world.engine, "before_cursor_execute", count)
    try:
        res = world.client(who).get(path)
    finally:
        sa.event.remove(world.engine, "before_cursor_execute", count)
    return len([s for s in seen if "referral" in s]), res


def test_foreign_and_unknown_ids_take_the_same_query_path(fresh: World) -> None:
    world = fresh
    theirs = _sent(world, "testnet:3", "Provider Two")
    foreign_n, foreign = _statements(world, f"/api/v1/portal/referrals/{theirs}", "provider")
    unknown_n, unknown = _statements(world, "/api/v1/portal/referrals/999999", "provider")
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json()["error"]["code"] == unknown.json()["error"]["code"] == "not_found"
    assert foreign_n == unknown_n == 1  # one tenant-filtered query, nothing more for either


def test_ingest_errors_name_the_uploaded_file_not_a_server_path(world: World) -> None:
    res = world.client("analyst").post(
        "/api/v1/ingest",
        files={
            "file": ("mystery-export.bin", b"\x00\x01 not any known format \x02", "application/octet-stream")
        },
    )
    assert res.status_code == 400, res.text
    message = res.json()["error"]["message"]
    assert "mystery-export.bin" in message
    assert "/tmp" not in message and "openiru-upload-" not in message
    ok = world.client("analyst").post(
        "/api/v1/ingest",
        data={"format": "generic"},
        files={
            "file": (
                "posts.csv",
                b"platform,post_id,account_id,timestamp,text\n"
                b"testnet,900,100,2026-02-01T00:00:00Z,placeholder\n",
                "text/csv",
            )
        },
    )
    assert ok.status_code == 200 and ok.json()["path"] == "posts.csv"
    from openiru.store.schema import metadata

    runs = metadata.tables["import_runs"]
    with world.engine.connect() as conn:
        paths = list(conn.execute(sa.select(runs.c.path)).scalars())
    assert "posts.csv" in paths and not any("/tmp" in p or "openiru-upload-" in p for p in paths), paths


@pytest.mark.parametrize("route", ["/api/v1/banks/b1/import", "/api/v1/lexicons/lex1/import"])
@pytest.mark.parametrize("content", [b"term,language\n", b"\x00\x01\x02binary\xff\xfe"])
def test_bank_and_lexicon_uploads_name_the_uploaded_file(world: World, route: str, content: bytes) -> None:
    res = world.client("analyst").post(route, files={"file": ("my-list.csv", content, "text/csv")})
    assert res.status_code in (200, 400), res.text
    assert "/tmp" not in res.text and "openiru-upload-" not in res.text
    if res.status_code == 200:
        assert res.json()["path"] == "my-list.csv"


def test_provider_user_only_for_a_registered_provider(world: World) -> None:
    admin = world.client("admin")
    res = admin.post(
        "/api/v1/users", json={"name": "ghost-user", "role": "provider", "provider": "No Such Provider Ltd"}
    )
    assert res.status_code == 400 and "No Such Provider Ltd" in res.json()["error"]["message"]
    assert admin.get("/api/v1/users/ghost-user").status_code == 404
    ok = admin.post(
        "/api/v1/users", json={"name": "one-more", "role": "provider", "provider": "Provider One"}
    )
    assert ok.status_code == 201


def _access_line(log_queries: bool, caplog: pytest.LogCaptureFixture, world: World) -> str:
    from openiru.api import create_app
    from openiru.api.settings import ApiSettings

    create_app(world.engine, ApiSettings(access_log_queries=log_queries))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        # the call uvicorn's protocol makes for each request
        logging.getLogger("uvicorn.access").info(
            '%s - "%s %s HTTP/%s" %d',
            "127.0.0.1:5000",
            "GET",
            "/api/v1/accounts?handle=someone-investigated",
            "1.1",
            200,
        )
    return caplog.records[-1].getMessage()


def test_access_log_leaves_query_strings_out_unless_asked(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    line = _access_line(False, caplog, world)
    assert "/api/v1/accounts" in line and "someone-investigated" not in line and "?" not in line
    assert "someone-investigated" in _access_line(True, caplog, world)
    from openiru.api.settings import ApiSettings

    monkeypatch.setenv("OPENIRU_ACCESS_LOG_QUERIES", "1")
    assert ApiSettings().access_log_queries is True
    monkeypatch.delenv("OPENIRU_ACCESS_LOG_QUERIES")
    assert ApiSettings().access_log_queries is False
    _access_line(False, caplog, world)


@pytest.mark.parametrize(
    "key", ["a" * 40, "ab" * 20, "abcdefghij" * 4, "0123456789abcdef" * 2, "short-but-random-Xq9"]
)
def test_regular_keys_are_refused(key: str, tmp_path: Path) -> None:
    from openiru.referral.audit_anchor import AnchorConfig
    from openiru.referral.delivery_secrets import Keyring, SecretError
    from openiru.referral.key_strength import WeakKeyError, check_key

    with pytest.raises(SecretError, match="OPENIRU_SECRET_KEY is too"):
        Keyring.from_env({"OPENIRU_SECRET_KEY": key})
    with pytest.raises(WeakKeyError, match="OPENIRU_AUDIT_KEY is too"):
        AnchorConfig.resolve({"OPENIRU_AUDIT_KEY": key}, tmp_path)
    with pytest.raises(WeakKeyError):
        check_key(key, "a webhook secret")


def test_random_keys_pass() -> None:
    import secrets

    from openiru.referral.key_strength import shannon_bits, weakness

    for _ in range(200):
        assert weakness(secrets.token_urlsafe(32)) is None
        assert weakness(secrets.token_hex(32)) is None
    assert shannon_bits("a" * 40) == 0 and round(shannon_bits("ab" * 20)) == 40


def test_weak_webhook_secret_is_refused(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from openiru.referral.key_strength import WeakKeyError
    from openiru.services.referral import secrets as delivery_secrets

    monkeypatch.setenv("OPENIRU_SECRET_KEY", "k3y-M4terial_for.tests-9f2c71d0e8a4b653")
    with pytest.raises(WeakKeyError, match="webhook secret of Provider One is too regular"):
        delivery_secrets.store(world.engine, "Provider One", "x" * 40, "admin")
    stored = delivery_secrets.store(
        world.engine, "Provider One", "placeholder-webhook-secret-0123456789", "admin"
    )
    assert stored["encrypted"] is True
