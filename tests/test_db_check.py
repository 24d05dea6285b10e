"""``openiru db check`` and ``openiru db upgrade`` on SQLite and PostgreSQL: pending migrations
and missing indexes reported without changing anything; upgrade applies them once."""

from __future__ import annotations

import json

import sqlalchemy as sa
from typer.testing import CliRunner

from openiru.cli import app


def _run(*args: str) -> tuple[int, str]:
    done = CliRunner().invoke(app, list(args))
    return done.exit_code, done.output


def test_check_reports_pending_then_upgrade_applies_them_once(db_url: str) -> None:
    code, out = _run("db", "check", "--db", db_url, "--json")
    fresh = json.loads(out)
    assert code == 1 and fresh["ok"] is False and fresh["recorded"] == []
    assert fresh["pending_migrations"][0] == "0001" and "posts" in fresh["missing_tables"]
    code, out = _run("db", "check", "--db", db_url, "--json")
    assert json.loads(out)["pending_migrations"] == fresh["pending_migrations"]  # check changed nothing
    code, out = _run("db", "upgrade", "--db", db_url, "--json")
    assert code == 0 and sorted(json.loads(out)["applied"]) == sorted(fresh["pending_migrations"])
    code, out = _run("db", "check", "--db", db_url, "--json")
    now = json.loads(out)
    assert (
        code == 0
        and now["ok"]
        and now["pending_migrations"] == now["missing_tables"] == now["missing_indexes"] == []
    )
    code, out = _run("db", "upgrade", "--db", db_url)
    assert code == 0 and "already current" in out


def test_check_names_a_missing_index(db_url: str) -> None:
    assert _run("db", "upgrade", "--db", db_url)[0] == 0
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP INDEX ix_posts_timestamp"))
    engine.dispose()
    code, out = _run("db", "check", "--db", db_url)
    assert code == 1 and "missing index: posts.ix_posts_timestamp" in out
