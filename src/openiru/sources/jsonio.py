"""Streaming readers shared by the JSON-based sources.

Each yields ``(location, object)`` pairs or a :class:`Problem` for a record that
does not parse, so one bad line never stops an import.  Large single-document
files (a Telegram ``result.json``, a Mastodon JSON array) are read with ijson so
memory stays constant whatever the file size.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ijson
import orjson

from .base import Problem


def iter_json_lines(path: Path, buffering: int = -1) -> Iterator[tuple[str, Any] | Problem]:
    """One JSON value per line; blank lines ignored; bad lines become problems.
    ``buffering`` is the read buffer size (default: Python's)."""
    with open(path, "rb", buffering=buffering) as fh:
        for lineno, line in enumerate(fh, start=1):
            stripped = line.strip()
            if not stripped:
                continue
            try:
                yield f"line {lineno}", orjson.loads(stripped)
            except orjson.JSONDecodeError as exc:
                yield Problem(str(path), f"line {lineno}", f"invalid JSON: {exc}")


def iter_json_array(path: Path, prefix: str = "item") -> Iterator[tuple[str, Any] | Problem]:
    """The items of a top-level JSON array (or of the array at ``prefix``), streamed."""
    index = 0
    with open(path, "rb") as fh:
        try:
            for index, item in enumerate(ijson.items(fh, prefix, use_float=True)):
                yield f"{prefix.replace('.item', '[]')}[{index}]", item
        except ijson.JSONError as exc:
            yield Problem(str(path), f"after item {index}", f"invalid JSON: {exc}")


def first_non_space(head: bytes) -> bytes:
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return stripped[:1]


def read_head(path: Path, size: int = 65536, line_limit: int = 16 << 20) -> bytes:
    """The first ``size`` bytes of a file, extended to the end of its first line
    (up to ``line_limit``) so that a JSON-lines file whose lines are long (a twarc2
    page of 100 tweets) still shows one whole record to the sniffers."""
    if path.is_dir():
        return b""
    with open(path, "rb") as fh:
        head = fh.read(size)
        while b"\n" not in head.lstrip() and len(head) < line_limit:
            more = fh.read(size)
            if not more:
                break
            head += more
        return head


def is_jsonl(head: bytes) -> bool:
    """Looks like JSON lines: the first line is a complete JSON object."""
    first_line = head.lstrip().split(b"\n", 1)[0].strip()
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
