"""Audit entries for changes to what detection and ranking use (issue 19, deliverable 5).

Bank, known-text and lexicon imports, classifier training and graph seeds change what
the unit flags and refers, so each is an entry of the audit log (:mod:`.audit`) with its
actor: the API's principal, on the command line ``--as NAME`` (checked) or, without it,
the operating-system account (``local:NAME``, as :func:`.users.command_actor`), and
``system`` for the demo and other internal callers.  Entries name a file by its base
name only (no server paths).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from . import audit
from .users import SYSTEM, local_account, require_actor

EDITORS = ("analyst", "admin")


def cli_actor(engine: sa.Engine, explicit: str | None, roles: Iterable[str] = EDITORS) -> str:
    """The actor of a command-line change: ``--as`` / ``OPENIRU_USER`` (a known user in ``roles``),
    else ``local:NAME`` (the command line reaches the database directly)."""
    if explicit:
        return require_actor(engine, explicit, roles).name
    return local_account()


def record(
    engine: sa.Engine,
    actor: str | None,
    action: str,
    object_type: str,
    object_id: str | int,
    details: dict[str, Any],
) -> int:
    with engine.begin() as conn:
        return audit.record(conn, actor or SYSTEM, action, object_type, object_id, details)


def audited_import(action: str, object_type: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Wrap an import returning an ``ImportSummary``: it takes ``actor=`` and, once it has
    committed, leaves an entry with the counts (nothing for an import that failed)."""

    def wrap(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def inner(engine: sa.Engine, *args: Any, actor: str | None = None, **kwargs: Any) -> Any:
            summary = fn(engine, *args, **kwargs)
            record(
                engine,
                actor,
                action,
                object_type,
                summary.target,
                {
                    "file": Path(summary.path).name,
                    "added": summary.added,
                    "existing": summary.existing,
                    "removed": summary.removed,
                    "errors": summary.errors,
                },
            )
            return summary

        return inner

    return wrap
