"""Schemathesis against the app's own /openapi.json: no input may cause a server error.

Bounded: a few generated examples per operation, as an admin (who reaches
every route) over a throw-away SQLite database with a little data.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings

from openiru.store import schema as tables
from openiru.store.db import open_database
from test_api_support import make_world

_TMP = Path(tempfile.mkdtemp(prefix="openiru-schemathesis-"))
_ENGINE = open_database(f"sqlite:///{_TMP / 'api.db'}")
_WORLD = make_world(_ENGINE)
with _ENGINE.begin() as _conn:
    _conn.execute(
        tables.accounts.insert().values(platform="x", account_id="1", handle="placeholder", status="active")
    )
    _conn.execute(
        tables.posts.insert().values(
            platform="x",
            post_id="10",
            account_id="1",
            text="neutral text",
            timestamp=datetime(2026, 1, 1, tzinfo=UTC),
            raw="",
        )
    )
SCHEMA = schemathesis.openapi.from_asgi("/openapi.json", _WORLD.app)
HEADERS = {"Authorization": f"Bearer {_WORLD.tokens['admin']}"}


@SCHEMA.parametrize()
@settings(max_examples=3, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error(case: schemathesis.Case) -> None:
    response = case.call(headers=HEADERS)
    if response.status_code == 503 and response.json()["error"]["code"] == "importer_unavailable":
        return  # an importer plugin of another area not installed yet: a declared answer, not a crash
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:300]}"
    )
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error"} and isinstance(body["error"]["code"], str), body
