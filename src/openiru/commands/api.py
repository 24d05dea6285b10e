"""API commands: ``openiru serve``, ``openiru user passwd`` and ``openiru user token``."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.console import Console

from ..services.access import auth
from ..settings import Settings
from .common import DbOption, JsonOption, engine_for, print_json
from .core import user_app

out = Console()
err = Console(stderr=True)


#: Seconds a stopping server waits for requests in flight (one waiting for a ranking would
#: otherwise hold the shutdown for as long as the ranking takes).
GRACEFUL_SHUTDOWN_S = 10


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8000,
    db: DbOption = None,
    insecure_cookies: Annotated[
        bool,
        typer.Option(
            help="Send cookies without the Secure flag (only for plain HTTP on a non-local address)."
        ),
    ] = False,
    workers: Annotated[
        int, typer.Option(help="Worker processes (one or two per CPU core; 0: one per core).")
    ] = 1,
    auth_cache_seconds: Annotated[
        float,
        typer.Option(
            help="Remember an API token's look-up this long (a revocation made elsewhere takes as long)."
        ),
    ] = 5.0,
    analytics_ttl: Annotated[
        float,
        typer.Option(
            help="Serve a whole-graph ranking this many seconds before recomputing it in the background."
        ),
    ] = 60.0,
    page_cache: Annotated[
        bool, typer.Option(help="Hold triage-queue pages until PostgreSQL notifies a change of the queue.")
    ] = True,
) -> None:
    """Serve the REST API, the analyst console and the provider portal."""
    import os

    import uvicorn

    from ..api.app import SETTINGS_ENV, serving_engine, settings_to_env
    from ..api.settings import ApiSettings
    from ..web.app import create_app

    settings = Settings.load(db)
    api_settings = ApiSettings(
        secure_cookies=not insecure_cookies,
        data_dir=settings.data_dir,
        auth_cache_ttl=auth_cache_seconds,
        analytics_ttl=analytics_ttl,
        freeze_gc=True,
        page_cache=page_cache,
    )
    workers = workers or os.cpu_count() or 1
    err.print(f"OpenIRU console: http://{host}:{port}/  (API: /api/v1, OpenAPI: /openapi.json)")
    # uvicorn picks uvloop and httptools by itself ("auto") when they are installed.
    if workers > 1:
        os.environ["OPENIRU_DB"] = settings.db_url
        os.environ[SETTINGS_ENV] = settings_to_env(api_settings)
        uvicorn.run(
            "openiru.web.app:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            proxy_headers=False,
            server_header=False,
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
        )
        return
    uvicorn.run(
        create_app(serving_engine(settings.db_url), api_settings),
        host=host,
        port=port,
        log_level="info",
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
    )


@user_app.command("passwd")
def user_passwd(
    name: str,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input (scripts).")
    ] = False,
    db: DbOption = None,
    as_user: Annotated[str | None, typer.Option("--as", help="The acting admin (audited).")] = None,
) -> None:
    """Set a user's password (at least 12 characters; the first admin gets one this way)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("New password", hide_input=True, confirmation_prompt=True)
    from ..services.access.users import command_actor

    engine = engine_for(db)
    auth.set_password(engine, name, password, actor=command_actor(engine, as_user))
    out.print(f"password of {name} set")


@user_app.command("token")
def user_token(
    name: str,
    label: Annotated[str, typer.Option(help="What the token is for.")] = "",
    days: Annotated[int | None, typer.Option(help="Expire after this many days.")] = None,
    list_: Annotated[bool, typer.Option("--list", help="List the user's tokens instead.")] = False,
    revoke: Annotated[int | None, typer.Option(help="Revoke the token with this id.")] = None,
    db: DbOption = None,
    json_out: JsonOption = False,
    as_user: Annotated[str | None, typer.Option("--as", help="The acting admin (audited).")] = None,
) -> None:
    """Create an API token for a user (printed once), or list or revoke tokens."""
    from ..services.access.users import command_actor

    engine = engine_for(db)
    if list_:
        tokens = auth.list_tokens(engine, name)
        if json_out:
            print_json(tokens)
        else:
            for t in tokens:
                out.print(
                    f"{t['id']}\t{t['label']}\t{t['created_at']}\t{'revoked' if t['revoked'] else 'active'}"
                )
        return
    if revoke is not None:
        if not auth.revoke_token(engine, name, revoke, actor=command_actor(engine, as_user)):
            err.print(f"[red]error:[/] {name} has no token {revoke}")
            raise typer.Exit(1)
        out.print(f"token {revoke} of {name} revoked")
        return
    token = auth.create_token(engine, name, label, days, actor=command_actor(engine, as_user))
    if json_out:
        print_json({"user": name, "token": token})
    else:
        sys.stdout.write(token + "\n")


def register(app: typer.Typer) -> None:
    app.command()(serve)
