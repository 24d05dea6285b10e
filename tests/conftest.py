"""Shared fixtures: a fresh SQLite database, a fresh PostgreSQL database, or both; and the
``slow`` marker for the tests ``make check`` leaves out (``make test`` runs them all)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.store.db import open_database

FIXTURES = Path(__file__).parent / "fixtures"
PG_ADMIN_URL = os.environ.get("OPENIRU_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


#: Test modules of the slow subset: a real browser, NATS, ffmpeg/vPDQ video hashing, Tesseract,
#: WeasyPrint, the whole demo, fuzzing, and timing- or corpus-sized runs.  Every test on
#: PostgreSQL is slow too (:func:`pytest_collection_modifyitems`).  ``make check`` runs
#: ``pytest -m "not slow"``; a new module that needs one of these belongs here.
SLOW_MODULES = frozenset(
    {
        "test_browser_console",
        "test_browser_flow",  # Chromium
        "test_workers",
        "test_health_metrics",
        "test_collect_nats",
        "test_worker_graph",
        "test_worker_notify",
        "test_deploy_bringup",  # NATS
        "test_detect_classifier",  # training and cross-validation on the corpus
        "test_detect_video",
        "test_detect_video_exchange",
        "test_detect_video_scan",  # ffmpeg, vPDQ
        "test_media_cli",
        "test_media_text",
        "test_poster_match",
        "test_video_text",  # Tesseract OCR, documents
        "test_reports_pdf",  # WeasyPrint
        "test_demo",
        "test_detect_demo",
        "test_referral_demo",  # the demo end to end
        "test_source_fuzz",
        "test_security_schemathesis",  # Hypothesis, Schemathesis
        "test_api_perf",
        "test_detect_bank_speed",
        "test_detect_langid_corpus",
        "test_analytics_eval",
    }
)
#: Single slow tests of otherwise fast modules: a large input read in a fresh interpreter, an
#: import killed and re-run.
SLOW_TESTS = frozenset(
    {
        "test_memory_stays_bounded_on_a_large_input",  # tests/contracts/
        "test_kill_9_mid_import_then_rerun_equals_a_clean_import",  # test_ingest_robustness
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark the slow subset: the modules and tests above and every test run on PostgreSQL."""
    slow = pytest.mark.slow
    for item in items:
        module = getattr(item, "module", None)
        params = getattr(getattr(item, "callspec", None), "params", {})
        if (
            (module is not None and module.__name__.rpartition(".")[2] in SLOW_MODULES)
            or getattr(item, "originalname", item.name) in SLOW_TESTS
            or "pg_url" in getattr(item, "fixturenames", ())
            or params.get("db_url") == "postgresql"
        ):
            item.add_marker(slow)


def _pg_reachable() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # pragma: no cover - depends on the machine
        return f"PostgreSQL unreachable at {PG_ADMIN_URL}: {exc.__class__.__name__}"


@pytest.fixture(autouse=True)
def _audit_anchor_per_test(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test anchors its audit chain in its own file (not ./openiru-data of the checkout)."""
    monkeypatch.setenv("OPENIRU_AUDIT_ANCHOR", str(tmp_path / "audit.anchor"))
    monkeypatch.setenv("OPENIRU_DATA", str(tmp_path / "openiru-data"))  # media store, evidence
    monkeypatch.delenv("OPENIRU_AUDIT_KEY", raising=False)
    monkeypatch.delenv("OPENIRU_SECRET_KEY", raising=False)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite database migrated to the heads per test process (``open_database``, as every
    command does); each test gets a copy of it, its WAL checkpointed into the file first."""
    path = tmp_path_factory.mktemp("template") / "openiru.db"
    open_database(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def _fresh_sqlite(target: Path, template: Path) -> str:
    """A new database at the heads at ``target``: a copy of the template (0.1 s of migrations saved)."""
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """Where a test's SQLite database goes: nothing there yet (a command creates it)."""
    return f"sqlite:///{tmp_path / 'openiru.db'}"


@pytest.fixture
def sqlite_engine(sqlite_url: str, sqlite_template: Path) -> Iterator[sa.Engine]:
    """An engine on the test's SQLite database at the heads (a copy of the template)."""
    engine = open_database(_fresh_sqlite(Path(sqlite_url.removeprefix("sqlite:///")), sqlite_template))
    yield engine
    engine.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    reason = _pg_reachable()
    if reason:
        pytest.skip(reason)
    name = f"openiru_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    try:
        if os.environ.get("OPENIRU_TEST_PARTITIONED"):
            _partitioned(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _partitioned(url: str) -> None:
    """``OPENIRU_TEST_PARTITIONED=1``: every PostgreSQL test database starts migrated with its
    posts partitioned by month (docs/scaling.md), to run the PostgreSQL tests against it."""
    from datetime import UTC, datetime

    from openiru.store.partitions import partition_posts

    engine = open_database(url)
    try:
        partition_posts(engine, "month", 3, datetime.now(UTC))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs on both SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'openiru.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str, request: pytest.FixtureRequest) -> Iterator[sa.Engine]:
    """An engine on the test's database at the heads (SQLite: a copy of the template)."""
    if db_url.startswith("sqlite:///"):
        db_url = _fresh_sqlite(
            Path(db_url.removeprefix("sqlite:///")), request.getfixturevalue("sqlite_template")
        )
    engine = open_database(db_url)
    yield engine
    engine.dispose()
