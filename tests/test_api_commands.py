"""The API's commands: ``openiru user passwd``, ``openiru user token``, and ``serve``'s help."""

from __future__ import annotations

import sqlalchemy as sa
from typer.testing import CliRunner

from openiru.cli import app
from openiru.services.access import auth
from openiru.store.db import open_database


def test_passwd_and_token_commands(sqlite_url: str) -> None:
    runner = CliRunner()
    db = ["--db", sqlite_url]
    assert runner.invoke(app, ["user", "add", "root", "--role", "admin", *db]).exit_code == 0
    res = runner.invoke(app, ["user", "passwd", "root", "--password-stdin", *db], input="too short\n")
    assert res.exit_code != 0
    res = runner.invoke(
        app, ["user", "passwd", "root", "--password-stdin", *db], input="a long enough passphrase\n"
    )
    assert res.exit_code == 0, res.output
    engine = open_database(sqlite_url)
    assert auth.authenticate(engine, "root", "a long enough passphrase").name == "root"
    res = runner.invoke(app, ["user", "token", "root", "--label", "ci", *db])
    assert res.exit_code == 0, res.output
    token = res.output.strip().splitlines()[-1]
    assert token.startswith("oiru_")
    user = auth.token_user(engine, token)
    assert user is not None and user.name == "root"
    res = runner.invoke(app, ["user", "token", "root", "--list", "--json", *db])
    assert '"label": "ci"' in res.output
    res = runner.invoke(app, ["user", "token", "root", "--revoke", "1", *db])
    assert res.exit_code == 0 and auth.token_user(engine, token) is None
    with engine.connect() as conn:
        assert conn.execute(sa.text("select count(*) from api_tokens where revoked")).scalar_one() == 1
    engine.dispose()


def test_serve_is_a_command() -> None:
    res = CliRunner().invoke(app, ["serve", "--help"])
    assert res.exit_code == 0 and "--host" in res.output and "--port" in res.output
