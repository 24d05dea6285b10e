"""CSV rows that survive damaged files: unclosed quotes, over-long records, binary content.

Python's ``csv`` module reads a quoted field across line ends until the closing quote,
so one unclosed quote silently swallows every row after it (to the next quote, or to
the end of the file, where the swallowed rows even look like one good row).  Here
``csv.reader`` reads from :class:`_Lines`, which keeps the physical lines of the
record being read, so that a record that

* runs to the end of the file inside a quoted field (an unclosed quote),
* has text after a closing quote (``csv`` in strict mode: where an unclosed quote
  meets the next quoted field and closes there),
* spans several lines and has the wrong number of fields,
* runs over :data:`MAX_RECORD_LINES` lines or :data:`MAX_RECORD` characters, or
* holds a field over :data:`MAX_FIELD` characters

is reported naming the line where it starts, and the lines after that one are read
again as records of their own.  A line longer than :data:`MAX_RECORD` characters is
skipped unread.  A file that looks binary, or whose first row names no known column
(a file without a header row), stops the import with one clear error.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

from ..errors import FormatError
from .base import Problem

#: The longest field (characters): posts longer than csv's default 128 KiB exist (pasted articles).
MAX_FIELD = 16 << 20
#: The most characters of one record (and of one physical line); longer: reported, skipped.
MAX_RECORD = 32 << 20
#: The most physical lines one record may span (a post's text with line breaks).
MAX_RECORD_LINES = 2000
#: Bytes below 0x20 other than tab, CR and LF: more than 5% of the first 64 KiB (and more than
#: 16) make a file "binary" (UTF-16 text is ~50% NUL bytes; stray NULs in a CSV are not).
_CONTROL = bytes(b for b in range(0x20) if b not in b"\t\r\n")


class _TooLong(Exception):
    """The record being read outgrew the bounds (``line``: a single over-long line)."""

    def __init__(self, reason: str, line: bool = False) -> None:
        super().__init__(reason)
        self.line = line


class _Lines:
    """The file's physical lines for ``csv.reader``; ``current`` holds the (number, text) of
    the lines of the record being read, ``replay`` lines to read again before the file."""

    def __init__(self, fh: TextIO) -> None:
        self._fh = fh
        self.lineno = 0
        self.current: list[tuple[int, str]] = []
        self.size = 0
        self.replay: deque[tuple[int, str]] = deque()
        self.hit_end = False  # the record being read asked for a line after the last one

    def __iter__(self) -> _Lines:
        return self

    def start_record(self) -> None:
        self.current = []
        self.size = 0
        self.hit_end = False

    def __next__(self) -> str:
        if self.replay:
            number, text = self.replay.popleft()
        else:
            text = self._fh.readline(MAX_RECORD + 1)
            if not text:
                self.hit_end = True
                raise StopIteration
            self.lineno += 1
            number = self.lineno
            if len(text) > MAX_RECORD and not text.endswith("\n"):
                while (rest := self._fh.readline(1 << 20)) and not rest.endswith("\n"):
                    pass
                self.current.append((number, ""))
                raise _TooLong(f"line longer than {MAX_RECORD} characters, skipped", line=True)
        self.current.append((number, text))
        self.size += len(text)
        if len(self.current) > MAX_RECORD_LINES or self.size > MAX_RECORD:
            raise _TooLong(f"record runs over {MAX_RECORD_LINES} lines or {MAX_RECORD} characters")
        return text


def check_binary(path: Path, head: bytes) -> None:
    """Stop with a clear error when a file meant as CSV is binary (an image, a UTF-16 text...)."""
    sample = head[:65536]
    if sample and len(sample) - len(sample.translate(None, _CONTROL)) > max(16, len(sample) // 20):
        raise FormatError(
            f"{path.name}: a binary file, not CSV or JSON lines text (UTF-16 text: save it as UTF-8)"
        )


def iter_csv_rows(
    path: Path, delimiter: str, known: Callable[[str], bool] | None = None
) -> Iterator[tuple[str, dict[str, Any]] | Problem]:
    """``("line N", {column: value})`` for each record, or a :class:`Problem` naming the line a
    bad record starts on.  ``known`` tells a column name the importer knows: when no cell of
    the first row is one, the file has no header row and the import stops (FormatError)."""
    with open(path, "rb") as raw:
        check_binary(path, raw.read(65536))
    if csv.field_size_limit() < MAX_FIELD:
        csv.field_size_limit(MAX_FIELD)
    file = str(path)
    with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
        lines = _Lines(fh)
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        try:
            header = [h.strip() for h in next(reader)]
        except (StopIteration, csv.Error, _TooLong):
            return
        if known is not None and header and not any(known(cell) for cell in header):
            shown = ", ".join(repr(cell[:40]) for cell in header[:4])
            raise FormatError(
                f"{path.name}: no header row: the first row ({shown}...) names no known "
                "column; add a header row or map the columns in a mapping file"
            )
        while True:
            try:
                lines.start_record()
                for row in reader:
                    current = lines.current
                    if len(row) != len(header) and any(cell.strip() for cell in row):
                        if len(current) > 1:
                            yield _reread(
                                lines,
                                f"{len(row)} fields over lines {current[0][0]}-"
                                f"{current[-1][0]}, the header has {len(header)}: an unclosed "
                                "quote?",
                                file,
                            )
                            break
                        yield Problem(
                            file,
                            f"line {current[0][0]}",
                            f"malformed CSV row: {len(row)} fields, the header has {len(header)}",
                        )
                    elif any(cell.strip() for cell in row):
                        yield f"line {current[0][0]}", dict(zip(header, row, strict=True))
                    lines.start_record()
                else:
                    return
            except (csv.Error, _TooLong) as exc:
                current = lines.current
                start = current[0][0] if current else lines.lineno
                reason = str(exc)
                if lines.hit_end:
                    reason = "an unclosed quote runs to the end of the file"
                elif len(current) > 1 and not isinstance(exc, _TooLong):
                    reason = (
                        f"{exc} in a quoted field over lines {start}-{current[-1][0]}: an unclosed quote?"
                    )
                if len(current) > 1:
                    reason += f"; the lines after line {start} are read again"
                yield Problem(file, f"line {start}", f"malformed CSV row: {reason}")
                again = current[:-1] if isinstance(exc, _TooLong) and exc.line else current[1:]
                lines.replay.extendleft(reversed(again))
            reader = csv.reader(lines, delimiter=delimiter, strict=True)  # a fresh reader: out of the quote


def _reread(lines: _Lines, why: str, file: str) -> Problem:
    """Report the record being read and queue its lines after the first to be read again."""
    lines.replay.extendleft(reversed(lines.current[1:]))
    return Problem(
        file, f"line {lines.current[0][0]}", f"malformed CSV row: {why}; the lines after it are read again"
    )
