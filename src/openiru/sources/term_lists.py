"""Lexicons and known texts in the shapes users keep them.

Lexicon files (:func:`read_lexicon`):

* a plain list, one term a line, any script; a line ``#word`` is a hashtag (kind
  ``hashtag``), not a comment; a ``#`` followed by a space, or alone, is a comment; a first
  line ``#!comments`` makes every ``#`` line a comment; blank lines are skipped;
* CSV (or TSV, ``;``) with a header naming a ``term`` column (``word``, ``keyword``,
  ``phrase``, ``hashtag`` work too) and optional ``language``, ``kind``, ``label``;
* the same without a header: the columns are term, language, kind, label in that order;
* an ``.xlsx`` workbook, with or without the header row, every sheet.

Known texts (:func:`read_text_blocks`), besides JSONL: plain text, one text a line, or
texts separated by blank lines (a file with any blank line between texts is read as
blocks).  Errors quote what the file has (its first line), never the expected header.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..model import HashRecord
from .base import Problem
from .tabular import is_xlsx, iter_sheet_rows

KINDS = ("term", "hashtag", "outlet")
#: Header names of each lexicon column (compared lower-cased, stripped).
HEADER_NAMES = {
    "term": (
        "term",
        "word",
        "keyword",
        "phrase",
        "terms",
        "words",
        "keywords",
        "hashtag",
        "hashtags",
        "entry",
    ),
    "language": ("language", "lang", "locale"),
    "kind": ("kind", "type", "category"),
    "label": ("label", "tag", "note", "organisation", "group"),
}
_DELIMITERS = (",", "\t", ";")
_SAMPLE = 65536

LexiconRow = dict[str, Any]


def _text(path: Path) -> str:
    """The file as text: UTF-8 (a BOM is dropped), refusing binary content."""
    data = path.read_bytes()
    if b"\0" in data[:_SAMPLE]:
        raise FormatError(f"{path.name}: a binary file, not a text list, CSV or .xlsx workbook")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{path.name}: not UTF-8 text (byte {exc.start}: {data[exc.start : exc.start + 1]!r})"
        ) from None


def _header_roles(cells: list[str]) -> dict[str, int] | None:
    """Column index of each role when ``cells`` is a header row, else None."""
    lowered = [c.strip().lower().lstrip("\ufeff") for c in cells]
    roles: dict[str, int] = {}
    for role, names in HEADER_NAMES.items():
        for index, cell in enumerate(lowered):
            if cell in names and index not in roles.values():
                roles[role] = index
                break
    return roles if roles else None


def _delimiter(lines: list[str]) -> str | None:
    """The delimiter every sampled line has the same number of, when there is one."""
    for delimiter in _DELIMITERS:
        counts = {next(csv.reader([line], delimiter=delimiter), []).__len__() for line in lines}
        if len(counts) == 1 and counts.pop() > 1:
            return delimiter
    return None


def _row(cells: list[Any], roles: dict[str, int], path: Path, location: str) -> LexiconRow | Problem:
    def cell(role: str) -> str:
        index = roles.get(role)
        value = cells[index] if index is not None and index < len(cells) else None
        return "" if value is None else str(value).strip()

    term = cell("term")
    if not term:
        return Problem(str(path), location, "empty term")
    kind = cell("kind").lower() or ("hashtag" if term.startswith("#") and " " not in term else "term")
    if kind not in KINDS:
        return Problem(str(path), location, f"unknown kind {kind!r} (one of {', '.join(KINDS)})")
    return {"term": term, "language": cell("language"), "kind": kind, "label": cell("label") or None}


def read_lexicon(path: Path) -> Iterator[LexiconRow | Problem]:
    """``{"term", "language", "kind", "label"}`` for every term of a lexicon file, or a Problem."""
    path = Path(path)
    if is_xlsx(path):
        yield from _rows(path, ((loc, list(row.values())) for loc, row in _sheet_cells(path)))
        return
    text = _text(path)
    lines = text.splitlines()
    content = [line for line in lines if line.strip()]
    if not content:
        return
    delimiter = _delimiter(content[:50])
    first = content[0]
    header = (
        _header_roles(next(csv.reader([first], delimiter=delimiter or ",")))
        if delimiter or "," in first
        else _header_roles([first])
    )
    if delimiter is None and header is None:
        yield from _plain(path, lines)
        return
    reader = csv.reader(io.StringIO(text), delimiter=delimiter or ",")
    yield from _rows(path, ((f"line {reader.line_num}", row) for row in reader))


def _sheet_cells(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    for found in iter_sheet_rows(path, header=False):
        if isinstance(found, tuple):
            yield found


def _rows(path: Path, rows: Iterator[tuple[str, list[Any]]]) -> Iterator[LexiconRow | Problem]:
    roles: dict[str, int] | None = None
    for location, cells in rows:
        if not any(c not in (None, "") and str(c).strip() for c in cells):
            continue
        if roles is None:
            found = _header_roles([str(c) if c is not None else "" for c in cells])
            if found is not None:
                if "term" not in found:
                    shown = ",".join("" if c is None else str(c) for c in cells)
                    raise FormatError(
                        f"{path.name}: {location} is a header ({shown!r}) without a term column; "
                        "name the column of terms 'term' (or give one term a line, no header)"
                    )
                roles = found
                continue
            roles = {"term": 0, "language": 1, "kind": 2, "label": 3}  # no header: positional
        yield _row(list(cells), roles, path, location)


def _plain(path: Path, lines: list[str]) -> Iterator[LexiconRow | Problem]:
    comments = bool(lines) and lines[0].strip().lower() == "#!comments"
    for number, line in enumerate(lines, 1):
        term = line.strip().lstrip("\ufeff")
        if not term or (
            term.startswith("#")
            and (comments or len(term) == 1 or term[1].isspace() or term.startswith("#!"))
        ):
            continue
        yield _row([term], {"term": 0}, path, f"line {number}")


def read_text_blocks(path: Path, kind: str | None = None) -> Iterator[tuple[str, HashRecord] | Problem]:
    """Known texts in plain text: blocks separated by blank lines, or one text a line."""
    path = Path(path)
    lines = _text(path).splitlines()
    stripped = [line.strip() for line in lines]
    first = next((i for i, s in enumerate(stripped) if s), None)
    last = max((i for i, s in enumerate(stripped) if s), default=-1)
    blocks = first is not None and any(not s for s in stripped[first : last + 1])
    start, block = 0, list[str]()
    for number, line in enumerate(lines + [""], 1):
        if line.strip():
            if not block:
                start = number
            block.append(line.strip())
            if blocks:
                continue
        if block:
            text = "\n".join(block) if blocks else block[0]
            location = f"lines {start}-{number - 1}" if blocks else f"line {number}"
            yield location, HashRecord(kind or "text", text)
            block = []
