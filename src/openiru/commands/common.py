"""Options and helpers shared by every command module."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated, Any

import sqlalchemy as sa
import typer

from ..clock import Clock, from_env
from ..settings import resolve_actor
from ..store.db import open_database

if TYPE_CHECKING:
    from rich.console import Console

DbOption = Annotated[
    str | None,
    typer.Option("--db", envvar="OPENIRU_DB", help="Database URL or SQLite file (default ./openiru.db)."),
]
AsOption = Annotated[
    str | None,
    typer.Option("--as", envvar="OPENIRU_USER", help="The acting user (recorded in the audit log)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]


def current_context() -> Any:
    """The click context of the command running, as Typer keeps it (its own copy of click
    since 0.2x: ``click.get_current_context`` of the click package never sees it)."""
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # pragma: no cover - Typer on the click package
        from click import get_current_context  # type: ignore[no-redef]
    return get_current_context(silent=True)


def engine_for(db: str | None) -> sa.Engine:
    """An engine on an up-to-date schema, disposed when the command ends.

    Disposal is tied to the click context, so no pooled connection outlives the
    command (an open PostgreSQL connection left to the garbage collector raises a
    ResourceWarning, an error under the test-suite's ``filterwarnings = error``).
    """
    engine = open_database(db)
    ctx = current_context()
    if ctx is not None:
        ctx.find_root().call_on_close(engine.dispose)
    return engine


class LazyConsole:
    """A rich Console made on first use, so that a command printing JSON never imports
    rich.console (a noticeable part of a small command's start-up)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.console, name)


def actor_name(explicit: str | None) -> str | None:
    return resolve_actor(explicit)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, ensure_ascii=False, indent=2, default=str))
    sys.stdout.write("\n")


def clock() -> Clock:
    """The commands' clock: now, or the time ``OPENIRU_NOW`` (ISO) fixes, for rehearsals and tests."""
    return from_env()
