"""/healthz, /readyz and /metrics on the API: the listed Prometheus series with the figures
the database and NATS hold, and readiness that turns false when NATS stops (a private
``nats-server -js``, tests/nats_support.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from nats_support import NatsServer
from openiru.api.app import create_app
from openiru.model import AccountKey, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.services.referral import records
from openiru.store import tables_referral
from openiru.store.db import open_database
from source_support import ListSource
from test_api_support import TestClient

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
LISTED = (
    "openiru_posts_collected",
    "openiru_posts_scanned",
    "openiru_detection_latency_seconds",
    "openiru_stream_pending",
    "openiru_stream_redelivered",
    "openiru_referrals",
    "openiru_referrals_overdue",
    "openiru_api_request_duration_seconds",
)


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _seed(engine: sa.Engine) -> None:
    acc = AccountKey("x", "100")
    ingest_source(
        engine,
        ListSource(
            [
                Post(PostKey("x", str(i)), acc, T0 - timedelta(days=1), text=f"placeholder {i}")
                for i in range(5)
            ]
        ),
        after_batch=(),
    )
    rows = [
        {
            "kind": "referral",
            "state": state,
            "reference": f"R-{i}",
            "created_by": "ana",
            "created_at": T0,
            "updated_at": T0,
        }
        for i, state in enumerate(("draft", "draft", "removed"))
    ]
    with engine.begin() as conn:  # two drafts waiting since March (overdue), one closed
        conn.execute(sa.insert(tables_referral.referrals), rows)


def test_metrics_expose_the_listed_series_with_the_stored_figures(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    monkeypatch.setenv("OPENIRU_NATS", server.url)
    engine = open_database(f"sqlite:///{tmp_path / 'm.db'}")
    try:
        _seed(engine)
        client = TestClient(create_app(engine))
        assert client.get("/healthz").json() == {"status": "alive"}
        assert client.get("/api/v1/referrals/17").status_code in (
            401,
            403,
        )  # a templated route, not logged in
        body = client.get("/metrics")
        assert body.status_code == 200 and body.headers["content-type"].startswith("text/plain")
        names = {f.name for f in text_string_to_metric_families(body.text)}
        for name in LISTED:
            assert name in names, name
        got = _samples(body.text)
        assert got[("openiru_posts_collected", ())] == 5
        assert got[("openiru_posts_scanned", ())] == 0
        assert got[("openiru_referrals", (("state", "draft"),))] == 2
        assert got[("openiru_referrals", (("state", "removed"),))] == 1
        overdue = len(records.list_referrals(engine, overdue=True))
        assert overdue == 2 and got[("openiru_referrals_overdue", ())] == overdue
        assert got[("openiru_state_up", (("source", "nats"),))] == 1
        assert got[("openiru_state_up", (("source", "database"),))] == 1
        latency = [k for k in got if k[0] == "openiru_api_request_duration_seconds_count"]
        assert (
            "openiru_api_request_duration_seconds_count",
            (
                ("method", "GET"),
                ("route", "/api/v1/referrals/{referral_id}"),
                ("status", str(client.get("/api/v1/referrals/17").status_code)),
            ),
        ) in latency
        assert not any(
            ("route", "/api/v1/referrals/17") in labels for _, labels in latency
        )  # never the raw path
    finally:
        server.stop()
        engine.dispose()


def test_readiness_turns_false_when_nats_stops_and_true_when_it_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = NatsServer(tmp_path / "nats")
    server.start()
    monkeypatch.setenv("OPENIRU_NATS", server.url)
    engine = open_database(f"sqlite:///{tmp_path / 'r.db'}")
    try:
        client = TestClient(create_app(engine))
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "nats": "ok"}
        server.stop()
        down = client.get("/readyz")
        assert down.status_code == 503 and down.json()["ready"] is False
        assert down.json()["checks"]["nats"].startswith("unreachable")
        assert client.get("/healthz").status_code == 200  # alive all the same
        server.start()
        assert client.get("/readyz").status_code == 200
    finally:
        server.stop()
        engine.dispose()


def test_readiness_says_which_migrations_are_missing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENIRU_NATS", raising=False)
    engine = open_database(f"sqlite:///{tmp_path / 'old.db'}")
    client = TestClient(create_app(engine))
    assert client.get("/readyz").json() == {"ready": True, "checks": {"database": "ok", "migrations": "ok"}}
    with engine.begin() as conn:  # as if the code were newer than the database
        conn.execute(
            sa.text(
                "UPDATE alembic_version SET version_num = '0001' WHERE version_num = "
                "(SELECT max(version_num) FROM alembic_version)"
            )
        )
    stale = client.get("/readyz")
    assert stale.status_code == 503 and stale.json()["checks"]["migrations"].startswith("pending")
    engine.dispose()
