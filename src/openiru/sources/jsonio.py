"""Streaming readers shared by the JSON-based sources.

Each yields ``(location, object)`` pairs or a :class:`Problem` for a record that
does not parse, so one bad line never stops an import.  Large single-document
files (a Telegram ``result.json``, a Mastodon JSON array) are read with ijson so
memory stays constant whatever the file size.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ijson
import orjson

from .base import Problem
from .jsonguard import BOM, GuardedFile

#: The longest JSON line read (a twarc2 page of 100 tweets is ~130 KB-2 MB); a longer line is
#: reported and skipped without being held in memory.
MAX_LINE = 64 << 20


def iter_json_lines(
    path: Path, buffering: int = -1, max_line: int = MAX_LINE
) -> Iterator[tuple[str, Any] | Problem]:
    """One JSON value per line; blank lines ignored; bad lines become problems.
    ``buffering`` is the read buffer size (default: Python's).  A UTF-8 byte order mark
    before line 1 is dropped; orjson refuses nesting deeper than 1,024 levels (that line is
    a problem); a line longer than ``max_line`` bytes is a problem, skipped unread."""
    with open(path, "rb", buffering=buffering) as fh:
        readline = fh.readline
        lineno = 0
        while line := readline(max_line + 1):
            lineno += 1
            if len(line) > max_line and not line.endswith(b"\n"):
                while (rest := readline(1 << 20)) and not rest.endswith(b"\n"):
                    pass
                yield Problem(str(path), f"line {lineno}", f"line longer than {max_line} bytes")
                continue
            if lineno == 1 and line.startswith(BOM):
                line = line[3:]
            stripped = line.strip()
            if not stripped:
                continue
            try:
                yield f"line {lineno}", orjson.loads(stripped)
            except orjson.JSONDecodeError as exc:
                yield Problem(str(path), f"line {lineno}", f"invalid JSON: {exc}")


def iter_json_array(path: Path, prefix: str = "item") -> Iterator[tuple[str, Any] | Problem]:
    """The items of a top-level JSON array (or of the array at ``prefix``), streamed through a
    :class:`~.jsonguard.GuardedFile`: an item with damaged text or nested too deep is a
    problem, and the items after it are still read."""
    index = 0
    where = "$" if prefix == "item" else prefix.replace(".item", "[]")
    with open(path, "rb") as raw:
        fh = GuardedFile(raw)
        try:
            for index, item in enumerate(ijson.items(fh, prefix, use_float=True)):
                damage = fh.claim(item) if fh.pending else None
                if damage:
                    yield Problem(str(path), f"{where}[{index}]", damage)
                else:
                    yield f"{where}[{index}]", item
            outside = fh.unclaimed()
            if outside:
                yield Problem(str(path), "$", f"outside any item: {outside}")
        except ijson.JSONError as exc:
            yield Problem(str(path), f"after item {index}", f"invalid JSON: {exc}")


def load_partial(data: bytes) -> tuple[Any, str | None]:
    """A JSON document that may be cut off or broken: the value built up to the break, less the
    array item that was being read when it came, and the parser's error (``None``: whole)."""
    builder = ijson.ObjectBuilder()
    last = ("", "")
    try:
        for prefix, event, value in ijson.parse(io.BytesIO(data), use_float=True):
            builder.event(event, value)
            last = (prefix, event)
    except ijson.JSONError as exc:
        error = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
    else:
        return builder.value, None
    value = getattr(builder, "value", None)
    prefix, event = last
    parts = prefix.split(".") if prefix else []
    # The record being read: the outermost array item the break came inside of.
    for depth in range(len(parts)):
        if parts[depth] != "item":
            continue
        finished = depth == len(parts) - 1 and event in (
            "end_map",
            "end_array",
            "string",
            "number",
            "boolean",
            "null",
        )
        if not finished:
            container: Any = value
            for key in parts[:depth]:
                container = container[-1] if key == "item" else container[key]
            if isinstance(container, list) and container:
                container.pop()
        break
    return value, error


def first_non_space(head: bytes) -> bytes:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped[:1]


def read_head(path: Path, size: int = 65536, line_limit: int = 16 << 20) -> bytes:
    """The first ``size`` bytes of a file, extended to the end of its first line
    (up to ``line_limit``) so that a JSON-lines file whose lines are long (a twarc2
    page of 100 tweets) still shows one whole record to the sniffers.  A UTF-8 byte order
    mark at the start is left out."""
    if path.is_dir():
        return b""
    with open(path, "rb") as fh:
        head = fh.read(size)
        while b"\n" not in head.lstrip() and len(head) < line_limit:
            more = fh.read(size)
            if not more:
                break
            head += more
        return head.removeprefix(BOM)


def first_line_of(head: bytes) -> bytes:
    """The first non-blank line of a file's head, without a UTF-8 byte order mark."""
    return head.lstrip().removeprefix(BOM).lstrip().split(b"\n", 1)[0].strip()


def is_jsonl(head: bytes) -> bool:
    """Looks like JSON lines: the first line is a complete JSON object."""
    first_line = first_line_of(head)
    if not first_line.startswith(b"{"):
        return False
    try:
        return isinstance(orjson.loads(first_line), dict)
    except orjson.JSONDecodeError:
        return False


def export_files(folder: Path) -> list[Path]:
    """The ``*.json`` and ``*.jsonl`` files directly in a folder, in name order."""
    return sorted(f for f in folder.iterdir() if f.suffix in (".json", ".jsonl") and f.is_file())


def sniff_export_folder(sniff_file: Callable[[Path, bytes], float], folder: Path) -> float:
    """Confidence for a folder of exports (one file per timeline or room): 0.6 when every
    JSON file in it is recognised by ``sniff_file``, else 0."""
    files = export_files(folder)
    if files and len(files) <= 200 and all(sniff_file(f, read_head(f)) > 0 for f in files):
        return 0.6
    return 0.0
