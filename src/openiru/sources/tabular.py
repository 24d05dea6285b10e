"""Spreadsheets (.xlsx) read as rows of a header and cells, streaming.

openpyxl's read-only mode reads the sheet XML as a stream, so memory stays bounded on
sheets of a million rows.  Each sheet's first non-empty row is its header (blank header
cells are named ``column_<n>``); cells keep their types (a date-formatted cell is a
``datetime``, a number an ``int`` or ``float``).  Every sheet is read in order, or only
the one named.  Used by the generic importer, account lists and lexicon files.
"""

from __future__ import annotations

import warnings
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import FormatError
from .base import Problem

XLSX_SUFFIXES = (".xlsx", ".xlsm")
_ZIP_MAGIC = b"PK\x03\x04"


def is_xlsx(path: Path, head: bytes | None = None) -> bool:
    """An Excel workbook: the suffix, and a zip archive where the head is given."""
    if path.suffix.lower() not in XLSX_SUFFIXES:
        return False
    return head is None or head.startswith(_ZIP_MAGIC)


def _open(path: Path) -> Any:
    import openpyxl  # imported here: only spreadsheet imports pay for it

    try:
        with warnings.catch_warnings():
            # openpyxl warns about workbook features it drops (data validation, styles)
            warnings.simplefilter("ignore")
            return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise FormatError(f"{path}: not a readable .xlsx workbook: {exc}") from exc


def sheet_names(path: Path) -> list[str]:
    book = _open(path)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        return value.strip()
    return value


def iter_sheet_rows(
    path: Path, sheet: str | None = None, header: bool = True
) -> Iterator[tuple[str, dict[str, Any]] | Problem]:
    """``(location, {column: value})`` for every data row of every sheet (or of ``sheet``).
    Without ``header`` the columns are named ``column_1``... and every row is data."""
    book = _open(path)
    try:
        names = list(book.sheetnames)
        if sheet is not None and sheet not in names:
            raise FormatError(f"{path}: no sheet {sheet!r}; its sheets: {', '.join(names)}")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for name in [sheet] if sheet is not None else names:
                yield from _sheet_rows(path, book[name], name, header)
    finally:
        book.close()


def _sheet_rows(
    path: Path, ws: Any, name: str, header: bool
) -> Iterator[tuple[str, dict[str, Any]] | Problem]:
    columns: list[str] | None = None
    for number, values in enumerate(ws.iter_rows(values_only=True), start=1):
        cells = [_cell(v) for v in values]
        if not any(v not in (None, "") for v in cells):
            continue
        if columns is None:
            if header:
                columns = [str(v) if v not in (None, "") else f"column_{i}" for i, v in enumerate(cells, 1)]
                if len(set(columns)) != len(columns):
                    columns = [f"{c}_{i}" if columns.count(c) > 1 else c for i, c in enumerate(columns, 1)]
                continue
            columns = [f"column_{i}" for i in range(1, len(cells) + 1)]
        if len(cells) > len(columns):
            extra = cells[len(columns) :]
            if any(v not in (None, "") for v in extra):
                yield Problem(
                    str(path),
                    f"sheet {name} row {number}",
                    f"{len(cells)} cells, the header has {len(columns)}",
                )
                continue
        row = dict(zip(columns, cells + [None] * (len(columns) - len(cells)), strict=False))
        yield f"sheet {name} row {number}", row
