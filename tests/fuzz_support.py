"""Real-format inputs with one record damaged, for the importers' bad-input and fuzz tests.

Each :class:`Layout` takes the records of a fixture (tests/fixtures) and writes them back in
the same format, one record at a known place, so that a test can damage exactly one record
(its bytes, one of its fields, or the file from inside it on) and know which records the
damage cannot have touched: the posts the source reads from the file *without* that record
must all still be read from the damaged file.
"""

from __future__ import annotations

import csv
import io
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from openiru.model import Post
from openiru.services.collect.ingest import available_sources
from openiru.sources.base import Problem

FIXTURES = Path(__file__).parent / "fixtures"
#: Put in a string field of the record to damage, then replaced by the damage bytes.
PLACEHOLDER = "\ue000fuzz-here\ue000"
PLACEHOLDER_BYTES = PLACEHOLDER.encode()


@dataclass
class Layout:
    """One source's records and how to write them (``kind``: where damage may go).

    ``document``: one JSON document; damage stays inside a string of the record (a broken
    bracket or quote ends a streamed document for everything after it).  ``lines``: JSON
    lines, any byte of the record's line may change.  ``csv``: rows after the header."""

    name: str
    source: str
    kind: str
    records: list[Any]
    write: Callable[[Path, list[bytes]], Path]
    serialise: Callable[[Any], bytes] = orjson.dumps


def _json_doc(head: bytes, tail: bytes, file: str) -> Callable[[Path, list[bytes]], Path]:
    def write(folder: Path, parts: list[bytes]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / file
        target.write_bytes(head + b",\n".join(parts) + tail)
        return target if file != "result.json" else folder

    return write


def _lines(file: str) -> Callable[[Path, list[bytes]], Path]:
    def write(folder: Path, parts: list[bytes]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / file
        target.write_bytes(b"".join(p + b"\n" for p in parts))
        return target

    return write


def _load(path: str) -> Any:
    return orjson.loads((FIXTURES / path).read_bytes())


def _telegram() -> Layout:
    chat = _load("telegram/channel/result.json")
    head = orjson.dumps({k: chat[k] for k in ("name", "type", "id")})[:-1] + b', "messages": [\n'
    return Layout(
        "telegram", "telegram", "document", chat["messages"], _json_doc(head, b"\n]}\n", "result.json")
    )


def _activitypub() -> Layout:
    outbox = _load("activitypub/archive/outbox.json")
    head = (
        orjson.dumps({k: v for k, v in outbox.items() if k != "orderedItems"})[:-1] + b', "orderedItems": [\n'
    )
    inner = _json_doc(head, b"\n]}\n", "outbox.json")

    def write(folder: Path, parts: list[bytes]) -> Path:
        inner(folder, parts)
        shutil.copy(FIXTURES / "activitypub/archive/actor.json", folder / "actor.json")
        return folder

    return Layout("activitypub", "activitypub", "document", outbox["orderedItems"], write)


def _zeronet() -> Layout:
    data = _load("zeronet/blog/data/data.json")
    head = orjson.dumps({k: v for k, v in data.items() if k != "post"})[:-1] + b', "post": [\n'
    inner = _json_doc(head, b"\n]}\n", "data.json")

    def write(folder: Path, parts: list[bytes]) -> Path:
        site = folder / "site"
        if not site.exists():
            shutil.copytree(FIXTURES / "zeronet/blog", site)
        inner(site / "data", parts)
        return site

    return Layout("zeronet", "zeronet", "document", data["post"], write)


def _csv_rows() -> tuple[list[str], list[dict[str, str]]]:
    with open(FIXTURES / "generic/forum_posts.csv", newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        return list(reader.fieldnames or []), list(reader)


def _generic_csv() -> Layout:
    header, rows = _csv_rows()

    def serialise(row: Any) -> bytes:
        out = io.StringIO()
        csv.writer(out, lineterminator="").writerow([row.get(h, "") for h in header])
        return out.getvalue().encode()

    def write(folder: Path, parts: list[bytes]) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / "posts.csv"
        target.write_bytes(",".join(header).encode() + b"\n" + b"".join(p + b"\n" for p in parts))
        return target

    return Layout("generic-csv", "generic", "csv", rows, write, serialise)


def _jsonl(*paths: str) -> list[Any]:
    """The good lines of JSON-lines fixtures (some hold a broken line on purpose)."""
    found = []
    for path in paths:
        for line in (FIXTURES / path).read_bytes().splitlines():
            try:
                found.append(orjson.loads(line))
            except orjson.JSONDecodeError:
                continue
    return found


def layouts() -> dict[str, Layout]:
    found = [
        Layout(
            "twarc2",
            "twarc2",
            "lines",
            _jsonl("twarc2/search.jsonl", "twarc2/flattened.jsonl", "twarc2/stream.jsonl"),
            _lines("tweets.jsonl"),
        ),
        Layout(
            "mastodon",
            "mastodon",
            "document",
            _load("mastodon/statuses.json"),
            _json_doc(b"[\n", b"\n]\n", "statuses.json"),
        ),
        Layout(
            "mastodon-jsonl", "mastodon", "lines", _jsonl("mastodon/statuses.jsonl"), _lines("statuses.jsonl")
        ),
        _telegram(),
        _activitypub(),
        Layout(
            "rocketchat",
            "rocketchat",
            "document",
            _load("rocketchat/channels_history.json")["messages"],
            _json_doc(b'{"messages": [\n', b'\n], "success": true}\n', "history.json"),
        ),
        Layout(
            "rocketchat-jsonl",
            "rocketchat",
            "lines",
            _jsonl("rocketchat/messages.jsonl"),
            _lines("messages.jsonl"),
        ),
        _zeronet(),
        _generic_csv(),
        Layout("generic-jsonl", "generic", "lines", _jsonl("generic/board.jsonl"), _lines("board.jsonl")),
    ]
    return {layout.name: layout for layout in found}


def read_all(layout: Layout, path: Path, platform: str) -> tuple[set[str], list[Problem]]:
    """Post ids and problems the layout's source reads from ``path`` (never raising is the test)."""
    source = available_sources()[layout.source](path, platform)
    posts: set[str] = set()
    problems: list[Problem] = []
    for record in source.records():
        if isinstance(record, Post):
            posts.add(record.key.post_id)
        elif isinstance(record, Problem):
            problems.append(record)
    return posts, problems


def string_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths (keys and indexes) of the string leaves of a JSON value."""
    if isinstance(value, str):
        return [path]
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in string_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in string_paths(v, (*path, i))]
    return []


def all_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Paths of every field and item of a JSON value (not the value itself)."""
    out: list[tuple[Any, ...]] = []
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in items:
        out.append((*path, key))
        out += all_paths(item, (*path, key))
    return out


def replaced(value: Any, path: tuple[Any, ...], new: Any) -> Any:
    """A copy of ``value`` with the field at ``path`` set to ``new``."""
    copy = orjson.loads(orjson.dumps(value))
    if not path:
        return new
    target = copy
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = new
    return copy


LAYOUTS_BY_NAME: dict[str, Layout] = layouts()
