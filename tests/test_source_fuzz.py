"""Property-based fuzzing of every registered source (issue 19, deliverables 4 and 7).

For each source, a real-format input (the fixture's records, written back one record at a
known place) gets one record damaged: bytes in one of its strings (NUL, invalid UTF-8,
control characters, a BOM, any byte in a JSON line or CSV row), a field of the wrong type,
a value nested thousands deep, a lone surrogate escape, or the file cut off inside it.
Reading must never raise, and every post the source reads from the file without that
record (or, when the file is cut, from the records before it) must still be read.  The
end-to-end test does the same through :func:`openiru.services.collect.ingest.ingest_source` on
SQLite and PostgreSQL and checks the database.
"""

from __future__ import annotations

import io
import itertools
import os
from pathlib import Path

import ijson
import orjson
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_support import (
    PLACEHOLDER,
    PLACEHOLDER_BYTES,
    Layout,
    all_paths,
    layouts,
    read_all,
    replaced,
    string_paths,
)
from mutation_support import ODD_VALUES
from openiru.services.collect.ingest import available_sources, ingest_source
from openiru.sources.jsonguard import MAX_DEPTH, GuardedFile
from openiru.store import schema
from openiru.store.db import open_database

LAYOUTS = layouts()
#: Bytes put inside a string of a JSON document (no quote or backslash: those end the string).
STRING_DAMAGE = [
    b"\x00",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\x01\x1f",
    b"\xef\xbb\xbf",
    b"\n",
    b"\t\r",
    b"\xf4\x90\x80\x80",
    b"\xc0\xaf",
    b"\x00" * 3 + b"\xfe",
]
_COUNTER = itertools.count()
#: Examples per source (CI: 40; a deeper local run: OPENIRU_FUZZ_EXAMPLES=2000).
EXAMPLES = int(os.environ.get("OPENIRU_FUZZ_EXAMPLES", "40"))


def test_every_registered_source_has_a_fuzz_layout() -> None:
    assert set(available_sources()) <= {layout.source for layout in LAYOUTS.values()}


def _damage(layout: Layout, data: st.DataObject) -> tuple[list[bytes], int, bool, str]:
    """The records serialised with one damaged; its index; whether the file is cut there."""
    records = layout.records
    index = data.draw(st.integers(0, len(records) - 1), label="record")
    record = records[index]
    kinds = ["string", "wrong type", "deep", "cut"]
    if layout.kind != "csv":
        kinds.append("surrogate")
    if layout.kind != "document":
        kinds += ["bytes", "bytes"]
    kind = data.draw(st.sampled_from(kinds), label="damage")
    parts = [layout.serialise(r) for r in records]
    if kind == "wrong type" and layout.kind != "csv":
        path = data.draw(st.sampled_from(all_paths(record) or [()]), label="field")
        parts[index] = layout.serialise(replaced(record, path, data.draw(st.sampled_from(ODD_VALUES))))
    elif kind in ("string", "deep", "surrogate", "wrong type"):
        fallback = [("x_fuzz",)] if isinstance(record, dict) else [()]
        paths = (string_paths(record) or fallback) if layout.kind != "csv" else [(k,) for k in record]
        path = data.draw(st.sampled_from(paths), label="field")
        part = layout.serialise(
            replaced(record, path, PLACEHOLDER) if layout.kind != "csv" else {**record, path[0]: PLACEHOLDER}
        )
        if kind == "deep":
            depth = data.draw(st.sampled_from([257, 1100, 5000]), label="depth")
            nested = b"[" * depth + b"]" * depth
            part = part.replace(b'"' + PLACEHOLDER_BYTES + b'"', nested).replace(PLACEHOLDER_BYTES, nested)
        elif kind == "surrogate":
            part = part.replace(PLACEHOLDER_BYTES, b"x\\ud800y")
        elif kind == "wrong type":  # csv: a cell of the wrong kind
            part = part.replace(
                PLACEHOLDER_BYTES, data.draw(st.sampled_from([b"[]", b"{}", b"1e999", b"-1"]))
            )
        else:
            allowed = STRING_DAMAGE if layout.kind == "document" else [*STRING_DAMAGE, b'"', b",", b"\\"]
            part = part.replace(PLACEHOLDER_BYTES, b"a" + data.draw(st.sampled_from(allowed)) + b"b")
        parts[index] = part
    elif kind == "bytes":  # any bytes at any place of a JSON line or CSV row
        part = bytearray(parts[index])
        for _ in range(data.draw(st.integers(1, 4), label="flips")):
            at = data.draw(st.integers(0, max(len(part) - 1, 0)), label="at")
            part[at : at + 1] = data.draw(st.binary(min_size=0, max_size=3), label="bytes")
        parts[index] = bytes(part)
    cut = kind == "cut"
    if cut:
        at = data.draw(st.integers(0, max(len(parts[index]) - 1, 0)), label="cut at")
        parts = [*parts[:index], parts[index][:at]]
    return parts, index, cut, kind


def _expected(layout: Layout, folder: Path, index: int, cut: bool, platform: str) -> set[str]:
    """Posts read from the file without the damaged record (cut: only the records before it;
    for Telegram, before the one before it: the streamed chat cannot tell whether the message
    being built when the file broke off was whole, see telegram_stream)."""
    before = max(index - 1, 0) if layout.source == "telegram" else index
    kept = layout.records[:before] if cut else layout.records[:index] + layout.records[index + 1 :]
    if not kept:
        return set()
    posts, _ = read_all(layout, layout.write(folder, [layout.serialise(r) for r in kept]), platform)
    return posts


@pytest.mark.parametrize("name", sorted(LAYOUTS))
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_damage_in_one_record_keeps_the_others(name: str, tmp_path: Path, data: st.DataObject) -> None:
    layout = LAYOUTS[name]
    run = tmp_path / f"run{next(_COUNTER)}"
    parts, index, cut, kind = _damage(layout, data)
    expected = _expected(layout, run / "expected", index, cut, "fz")
    posts, problems = read_all(layout, layout.write(run / "damaged", parts), "fz")
    missing = expected - posts
    assert not missing, (kind, index, sorted(missing), [str(p) for p in problems][:5])


def test_a_damaged_document_string_is_reported_not_imported(tmp_path: Path) -> None:
    """The record holding invalid UTF-8 is a problem naming it; the one after it is read."""
    layout = LAYOUTS["mastodon"]
    parts = [layout.serialise(r) for r in layout.records]
    parts[1] = layout.serialise(replaced(layout.records[1], ("content",), PLACEHOLDER)).replace(
        PLACEHOLDER_BYTES, b"\xff\xfe"
    )
    posts, problems = read_all(layout, layout.write(tmp_path, parts), "fz")
    assert str(layout.records[1]["id"]) not in posts and str(layout.records[2]["id"]) in posts
    assert any(p.location == "$[1]" and "invalid UTF-8" in p.reason for p in problems), problems


# -- end to end: the ingest service on SQLite and PostgreSQL ----------------------------------


def _stored(engine: sa.Engine, platform: str) -> set[str]:
    with engine.connect() as conn:
        return set(
            conn.execute(
                sa.select(schema.posts.c.post_id).where(schema.posts.c.platform == platform)
            ).scalars()
        )


def test_ingest_fuzz_keeps_untouched_records(db_url: str, tmp_path: Path) -> None:
    """Damaged inputs of every source through the ingest service: nothing raises, and every
    untouched record is in the database (each example under its own platform name)."""
    engine = open_database(db_url)
    try:
        _ingest_examples(engine, tmp_path)
    finally:
        engine.dispose()


def _ingest_examples(engine: sa.Engine, tmp_path: Path) -> None:
    names = sorted(LAYOUTS)

    @settings(
        max_examples=3 * len(names), deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
    )
    @given(data=st.data())
    def example(data: st.DataObject) -> None:
        layout = LAYOUTS[data.draw(st.sampled_from(names), label="source")]
        run = tmp_path / f"e2e{next(_COUNTER)}"
        platform = f"fz{run.name}"
        parts, index, cut, kind = _damage(layout, data)
        expected = _expected(layout, run / "expected", index, cut, platform)
        source = available_sources()[layout.source](layout.write(run / "damaged", parts), platform)
        summary = ingest_source(engine, source, after_batch=())
        stored = _stored(engine, platform)
        assert not expected - stored, (layout.name, kind, index, summary.problems[:5])
        assert summary.aborted is None

    example()


def test_fixture_layouts_read_cleanly(tmp_path: Path) -> None:
    """The rewritten fixtures are read like the fixtures: posts, and no damage reported."""
    for name, layout in LAYOUTS.items():
        parts = [layout.serialise(r) for r in layout.records]
        posts, problems = read_all(layout, layout.write(tmp_path / name, parts), "fz")
        assert posts, name
        assert not [p for p in problems if "damaged" in p.reason or "nested" in p.reason], name


# -- the guard itself: valid JSON passes unchanged, whatever the chunking -------------------

_JSON_TEXT = st.text(st.characters(codec="utf-8"), max_size=12) | st.sampled_from(
    ['"', "\\", "\\\\", '\\"', "[", "]", "{", "}", "\u2028", "\x00", "\n", "\ufdd0"]
)
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | _JSON_TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_JSON_TEXT, inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=EXAMPLES * 5, deadline=None)
@given(value=_JSON, chunk=st.integers(1, 64), indent=st.booleans())
def test_guard_passes_valid_json_unchanged(value: object, chunk: int, indent: bool) -> None:
    """Clean input comes out byte for byte (escaped quotes, backslash runs, brackets in
    strings and multi-byte characters split across chunks), and nothing is reported."""
    data = orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0)
    guard = GuardedFile(io.BytesIO(data))
    out = b"".join(iter(lambda: guard.read(chunk), b""))
    assert out == data and guard.pending == 0


@settings(max_examples=EXAMPLES, deadline=None)
@given(
    depth=st.integers(250, 600),
    chunk=st.sampled_from([1, 7, 64, 65536]),
    noise=st.sampled_from(["", '"]]]"', '"[[["', '"\\\\"']),
)
def test_guard_cuts_only_what_is_too_deep(depth: int, chunk: int, noise: str) -> None:
    """A value deeper than MAX_DEPTH becomes one marked string; shallower ones stay whole,
    and brackets inside strings do not count."""
    nested = "[" * depth + noise + "]" * depth
    data = f'[{{"a": {nested}}}, {{"b": 1}}]'.encode()
    guard = GuardedFile(io.BytesIO(data))
    items = list(ijson.items(guard, "item", buf_size=chunk))
    assert items[1] == {"b": 1}
    reason = guard.claim(items[0])
    assert (reason is not None) == (depth + 2 > MAX_DEPTH), (depth, reason)
