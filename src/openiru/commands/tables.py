"""Tables of people and posts that fit the terminal: handles first, ids never cut mid-value.

A :class:`Fitted` table is built from columns of three kinds: ``id`` (never wrapped or
shortened: a post or account id is shown whole or not at all), ``num`` (short, right
aligned) and ``text`` (wraps, and gives way first).  When the id and number columns do
not fit the width, the optional columns are dropped, lowest priority first; when the
required ones alone do not fit, the table is printed wider than the terminal (lines run
on) rather than shortening an id.  ``--wide``
keeps every column, adds the full ids next to the handles, and prints at the width the
table needs, whatever the terminal's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

WideOption = Annotated[
    bool,
    typer.Option("--wide", help="Show every column and the full ids (wider than the terminal if need be)."),
]
#: Space a column takes besides its text (rich's default padding and the separator).
_EDGE = 3


def person(platform: str, account_id: str, handle: str | None = None) -> str:
    """``@handle`` when the account has one (a channel's title as it is), else ``platform:id``."""
    if handle:
        return handle if handle.startswith("@") or " " in handle else f"@{handle}"
    return f"{platform}:{account_id}"


@dataclass
class Fitted:
    """Columns ``(header, kind, optional)`` and rows; rendered by :meth:`print`."""

    columns: list[tuple[str, str, bool]]
    wide: bool = False
    rows: list[list[str]] = field(default_factory=list)

    def add_row(self, *cells: Any) -> None:
        self.rows.append(["" if c is None else str(c) for c in cells])

    def _needed(self, i: int) -> int:
        header, kind, _ = self.columns[i]
        if kind == "text":
            return min(12, max([len(header), *(len(r[i]) for r in self.rows)])) + _EDGE
        return max([len(header), *(len(r[i]) for r in self.rows)]) + _EDGE

    def shown(self, width: int) -> list[int]:
        """The columns kept at ``width``: every one with ``wide``, else optional ones dropped
        from the right until the rest fits."""
        keep = list(range(len(self.columns)))
        if self.wide:
            return keep
        for i in reversed(range(len(self.columns))):
            if sum(self._needed(j) for j in keep) + 1 <= width:
                break
            if self.columns[i][2]:
                keep.remove(i)
        return keep

    def print(self, console: Console) -> None:
        from rich.table import Table

        width = console.width
        keep = self.shown(width)
        table = Table()
        for i in keep:
            header, kind, _ = self.columns[i]
            if kind == "text":
                table.add_column(header, overflow="fold" if self.wide else "ellipsis", ratio=1)
            else:
                table.add_column(
                    header, no_wrap=True, overflow="fold", justify="right" if kind == "num" else "left"
                )
        for row in self.rows:
            table.add_row(*(row[i] for i in keep))
        needed = sum(self._needed(i) for i in keep) + 1
        if needed > width and not self.wide:  # the ids alone do not fit: lines run on, ids stay whole
            width = needed
        if self.wide:
            text_width = sum(
                max([len(self.columns[i][0]), *(len(r[i]) for r in self.rows)]) + _EDGE
                for i in keep
                if self.columns[i][1] == "text"
            )
            width = max(width, needed + text_width)
        if width > console.width:  # print() keeps to the console's width: a wider one on its file
            from rich.console import Console

            console = Console(
                file=console.file,
                width=width,
                color_system=console.color_system,  # type: ignore[arg-type]
                force_terminal=console.is_terminal,
            )
        console.print(table, highlight=False)
