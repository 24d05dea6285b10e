"""The ``openiru`` command line: one Typer app, each area registering its commands."""

from __future__ import annotations

import importlib
import sys

import typer
from rich.console import Console

from .errors import OpenIRUError

app = typer.Typer(
    name="openiru",
    help="OpenIRU: collect, detect, analyse, refer and report terrorist content across platforms.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

#: Command modules under openiru.commands, each with ``register(app)``.
COMMAND_MODULES = ("core", "demo", "detect", "graph", "referral", "api")

for _name in COMMAND_MODULES:
    try:
        _module = importlib.import_module(f"openiru.commands.{_name}")
    except ModuleNotFoundError as exc:  # an area not built yet
        if exc.name != f"openiru.commands.{_name}":
            raise
        continue
    _module.register(app)


def main() -> None:
    try:
        rc = app(standalone_mode=False)
    except OpenIRUError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}", highlight=False)
        sys.exit(exc.exit_code)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors and aborts
        import click

        if isinstance(exc, click.exceptions.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        if isinstance(exc, click.exceptions.Abort):
            sys.exit(130)
        raise
    if isinstance(rc, int) and rc:
        sys.exit(rc)
