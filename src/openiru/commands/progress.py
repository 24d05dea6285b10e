"""Progress displays of long commands (scan, ingest, exports, graph analyses): counts, rate and time left.

A command asks :func:`progress` for a callback and hands it to the service it runs
(the services take plain callables and never import rich).  The display is drawn on
standard error only when both standard output and standard error are terminals and
``--json`` was not given, so piped output, logs and tests stay clean.  rich.progress is
imported only when a display is drawn (quick start-up), and the display refreshes
from the callback itself, with no refresh thread (``scan`` forks worker processes).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import sqlalchemy as sa
    from rich.console import Console


class Advance(Protocol):
    """The callback a command hands to a service: ``done`` so far, of ``total`` (None: unknown)."""

    def __call__(self, done: int, total: int | None = None, note: str = "") -> None: ...


def terminal() -> bool:
    """Whether both output streams are terminals (a progress display would be seen, not logged)."""
    return all(stream is not None and stream.isatty() for stream in (sys.stdout, sys.stderr))


def _console() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def rate_text(done: int, seconds: float, unit: str) -> str:
    """``1,234 posts/s``: the mean rate since the start ('' before it can be known)."""
    if seconds <= 0 or done <= 0:
        return ""
    return f"{done / seconds:,.0f} {unit}/s"


@contextmanager
def progress(
    label: str,
    *,
    json_out: bool = False,
    unit: str = "posts",
    console: Console | None = None,
    enabled: bool | None = None,
) -> Iterator[Advance]:
    """A callback drawing ``label``'s progress, or one doing nothing when no one would see it.

    ``enabled`` overrides the terminal check (tests); ``console`` is where to draw.
    """
    if json_out or not (terminal() if enabled is None else enabled):
        yield _nothing
        return
    import time

    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    started = time.monotonic()
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
    )
    # No stdout/stderr redirection: a library that wraps sys.stdout while the bar is up (numba's
    # colorama) would keep rich's proxy of it after the command has ended.
    with Progress(
        *columns,
        console=console or _console(),
        transient=True,
        auto_refresh=False,
        redirect_stdout=False,
        redirect_stderr=False,
    ) as bar:
        task = bar.add_task(label, total=None, rate="")

        def advance(done: int, total: int | None = None, note: str = "") -> None:
            fields: dict[str, Any] = {"rate": rate_text(done, time.monotonic() - started, unit)}
            if total is not None:
                fields["total"] = total
            bar.update(task, completed=done, description=f"{label} {note}".strip(), **fields)
            bar.refresh()

        yield advance


def _nothing(done: int, total: int | None = None, note: str = "") -> None:
    return None


def as_callback(
    advance: Advance, count: Callable[[Any], int], total: Callable[[Any], int | None] = lambda _: None
) -> Callable[[Any], None]:
    """A service's ``on_progress(summary)`` hook drawn by ``advance`` (counts read from the summary)."""
    return lambda summary: advance(count(summary), total(summary))


@contextmanager
def reading(
    label: str,
    engine: sa.Engine,
    *,
    json_out: bool = False,
    console: Console | None = None,
    enabled: bool | None = None,
) -> Iterator[None]:
    """The graph commands' display: rows of posts and interactions read so far, of how many in
    the store (counted first), with rate and time left, then "analysing" while the analysis
    runs; shown under the same conditions as :func:`progress`."""
    if json_out or not (terminal() if enabled is None else enabled):
        yield
        return
    from ..services.progress import listening, rows_to_read

    total = rows_to_read(engine)
    done = 0
    with progress(label, unit="rows", console=console, enabled=True) as advance:

        def heard(rows: int) -> None:
            nonlocal done
            done += rows
            advance(done, max(total, done), "(reading the store)" if done < total else "(analysing)")

        advance(0, total, "(reading the store)")
        with listening(heard):
            yield
