"""``openiru provider secret``: the providers' webhook secrets, sealed at rest.

``set`` stores a secret (generated, or read from standard input), ``show``
prints one in clear to hand it to the provider (audited), ``list`` says how
each is kept and ``reencrypt`` seals plain-text and old-key secrets with
``OPENIRU_SECRET_KEY``.  No ``--json`` output ever carries a secret.
Registered under ``provider`` from :mod:`openiru.commands.referral`.
"""

from __future__ import annotations

import secrets
import sys
from typing import Annotated

import typer
from rich.console import Console

from ..services.referral import secrets as delivery_secrets
from .common import AsOption, DbOption, JsonOption, actor_name, clock, engine_for, print_json

out = Console()
err = Console(stderr=True)
secret_app = typer.Typer(
    help="Providers' webhook secrets (sealed with OPENIRU_SECRET_KEY).", no_args_is_help=True
)


@secret_app.command("set")
def secret_set(
    provider: Annotated[str, typer.Argument(help="Provider name.")],
    stdin: Annotated[
        bool, typer.Option("--stdin", help="Read the secret from standard input instead of generating one.")
    ] = False,
    allow_plaintext_secrets: Annotated[
        bool,
        typer.Option(
            "--allow-plaintext-secrets",
            help="Local demos only: store it unencrypted when OPENIRU_SECRET_KEY is not set.",
        ),
    ] = False,
    db: DbOption = None,
    as_user: AsOption = None,
    json_out: JsonOption = False,
) -> None:
    """Store (or replace) a provider's webhook secret, sealed."""
    from ..services.access.users import require_actor

    engine = engine_for(db)
    user = require_actor(engine, actor_name(as_user), delivery_secrets.MANAGER_ROLES)
    value = sys.stdin.readline().strip() if stdin else secrets.token_urlsafe(32)
    if not value:
        err.print("no secret on standard input")
        raise typer.Exit(2)
    result = delivery_secrets.store(
        engine,
        provider,
        value,
        user.name,
        delivery_secrets.keyring(allow_plaintext_secrets),
        generated=not stdin,
        now=clock(),
    )
    if json_out:
        print_json(result)
        return
    out.print(
        f"webhook secret of {provider} stored ({result['scheme']}); hand it over with "
        f"'openiru provider secret show \"{provider}\"'",
        highlight=False,
    )


@secret_app.command("show")
def secret_show(
    provider: Annotated[str, typer.Argument(help="Provider name.")],
    db: DbOption = None,
    as_user: AsOption = None,
) -> None:
    """Print the secret in clear, to hand it to the provider (approvers, admins; audited)."""
    value = delivery_secrets.reveal(engine_for(db), actor_name(as_user), provider, now=clock())
    sys.stdout.write(value + "\n")


@secret_app.command("list")
def secret_list(db: DbOption = None, json_out: JsonOption = False) -> None:
    """Which providers have a webhook secret and how it is kept (never the secret)."""
    items = delivery_secrets.status(engine_for(db))
    if json_out:
        print_json(items)
        return
    for i in items:
        where = "provider contacts (legacy)" if i["legacy_contact"] else "sealed table"
        key = (
            f", key {i['key_id']}{'' if i['current_key'] else ' (not the current key)'}"
            if i["key_id"]
            else ""
        )
        out.print(f"{i['provider']}: {i['scheme']} in {where}{key}", highlight=False)


@secret_app.command("reencrypt")
def secret_reencrypt(db: DbOption = None, as_user: AsOption = None, json_out: JsonOption = False) -> None:
    """Seal plain-text and old-key secrets with OPENIRU_SECRET_KEY (admins; audited)."""
    counts = delivery_secrets.reencrypt(engine_for(db), actor_name(as_user), now=clock())
    if json_out:
        print_json(counts)
        return
    out.print(
        f"sealed with key {counts['key_id']}: {counts['from_contacts']} from provider contacts, "
        f"{counts['from_plaintext']} plain-text, {counts['resealed']} from an old key; "
        f"{counts['unchanged']} already current",
        highlight=False,
    )
