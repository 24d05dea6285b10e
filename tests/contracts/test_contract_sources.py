"""The source contract, run over every registered source (``openiru.sources`` entry points: the
built-ins and any installed plug-in) with the examples its ``get_examples()`` gives.

* auto-detection picks it, and no other source is as sure;
* only model objects (Account, Post) and problems are yielded, and the example's posts are read;
* mutated inputs (cut, bytes changed, fields of the wrong type) never raise;
* importing the same input again adds nothing to the store;
* reading a large generated input stays within bounded memory (tracemalloc: the peak does not
  grow with the input).

Deeper per-format checks live beside: tests/test_source_fuzz.py (hypothesis, one damaged record
whose neighbours must survive) and tests/test_source_path_confinement.py (no file outside the
export is read).
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from mutation_support import mutated
from openiru.errors import FormatError
from openiru.model import Account, Post
from openiru.plugins import sources
from openiru.services.collect.ingest import detect_format, ingest_source
from openiru.sources.base import Problem, Source
from openiru.sources.examples import SourceExample
from openiru.sources.jsonio import read_head
from openiru.store import schema
from openiru.store.db import open_database

REGISTERED = sources()
CASES = [
    pytest.param(name, i, ex, id=f"{name}-{i}")
    for name in sorted(REGISTERED)
    for i, ex in enumerate(REGISTERED[name].get_examples())
]
MUTATIONS = 12


def read(cls: type[Source], path: Path) -> list[object]:
    return list(cls(path).records())


@pytest.mark.parametrize("name", sorted(REGISTERED))
def test_every_source_gives_examples(name: str) -> None:
    examples = REGISTERED[name].get_examples()
    assert examples, f"{name}: give small real-format inputs in get_examples() for the contract suite"
    assert all(isinstance(e, SourceExample) for e in examples)


@pytest.mark.parametrize("name, n, example", CASES)
def test_auto_detection_picks_it_and_no_other(
    tmp_path: Path, name: str, n: int, example: SourceExample
) -> None:
    path = example.write(tmp_path)
    cls = REGISTERED[name]
    assert detect_format(path) is cls
    head = b"" if path.is_dir() else read_head(path)
    own = cls.sniff(path, head)
    others = {other: c.sniff(path, head) for other, c in REGISTERED.items() if other != name}
    assert all(score < own for score in others.values()), others


@pytest.mark.parametrize("name, n, example", CASES)
def test_only_model_objects_and_problems_are_yielded(
    tmp_path: Path, name: str, n: int, example: SourceExample
) -> None:
    records = read(REGISTERED[name], example.write(tmp_path))
    assert records and all(isinstance(r, Account | Post | Problem) for r in records)
    posts = [r for r in records if isinstance(r, Post)]
    assert posts, "the example holds posts"
    assert all(p.key.platform and p.key.post_id and p.account.account_id for p in posts)


def _files(path: Path) -> list[Path]:
    return sorted(
        p
        for p in ([path] if path.is_file() else path.rglob("*"))
        if p.is_file() and p.suffix in (".json", ".jsonl", ".csv", ".tsv", ".txt")
    )


def _mutate(file: Path, rng: random.Random) -> None:
    data = file.read_bytes()
    how = rng.randrange(4)
    if how == 0 and data:  # cut anywhere
        file.write_bytes(data[: rng.randrange(len(data))])
    elif how == 1 and data:  # bytes changed
        raw = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.choice(b'\x00\xff\xc3"{[,\n\\')
        file.write_bytes(bytes(raw))
    elif how == 2 and file.suffix in (".json", ".jsonl"):  # fields of the wrong type, dropped
        lines = data.splitlines() if file.suffix == ".jsonl" else [data]
        out = []
        for line in lines:
            try:
                out.append(json.dumps(mutated(json.loads(line), rng)).encode())
            except ValueError:
                out.append(line)
        file.write_bytes(b"\n".join(out))
    else:  # an empty file
        file.write_bytes(b"")


@pytest.mark.parametrize("name, n, example", CASES)
def test_mutated_inputs_never_raise(tmp_path: Path, name: str, n: int, example: SourceExample) -> None:
    cls = REGISTERED[name]
    rng = random.Random(f"{name}-{n}")
    for i in range(MUTATIONS):
        path = example.write(tmp_path / str(i))
        files = _files(path)
        assert files
        _mutate(rng.choice(files), rng)
        try:
            records = read(cls, path)  # never raises, but for a file whose format is gone
        except FormatError as exc:  # one line naming the file, never a traceback
            assert str(path) in str(exc) or path.name in str(exc)
            continue
        assert all(isinstance(r, Account | Post | Problem) for r in records)


def _counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {
            t.name: conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (schema.accounts, schema.posts, schema.edges, schema.media, schema.post_media)
        }


@pytest.mark.parametrize("name, n, example", CASES)
def test_reimport_adds_nothing(tmp_path: Path, name: str, n: int, example: SourceExample) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'contract.db'}")
    try:
        cls = REGISTERED[name]
        path = example.write(tmp_path / "in")
        keys = {r.key for r in read(cls, path) if isinstance(r, Post)}
        ingest_source(engine, cls(path), after_batch=())
        first = _counts(engine)
        assert first["posts"] == len(keys) > 0
        again = ingest_source(engine, cls(path), after_batch=())
        assert _counts(engine) == first
        assert again.posts == 0
    finally:
        engine.dispose()


_PEAKS = """
import gc, sys, tracemalloc
from pathlib import Path
from openiru.model import Post
from openiru.plugins import sources
cls = sources()[sys.argv[1]]
for arg in sys.argv[2:]:
    gc.collect()
    tracemalloc.start()
    posts = sum(isinstance(r, Post) for r in cls(Path(arg)).records())
    print(tracemalloc.get_traced_memory()[1], posts)
    tracemalloc.stop()
"""


def _peaks(name: str, *paths: Path) -> list[tuple[int, int]]:
    """Peak traced memory and posts read for each input, in a fresh interpreter: tracemalloc counts
    every thread's allocations, so threads left behind by other tests must not be measured here."""
    out = subprocess.run(
        [sys.executable, "-c", _PEAKS, name, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout.split("\n")
    return [(int(line.split()[0]), int(line.split()[1])) for line in out if line.strip()]


@pytest.mark.parametrize("name, n, example", CASES)
def test_memory_stays_bounded_on_a_large_input(
    tmp_path: Path, name: str, n: int, example: SourceExample
) -> None:
    assert name in REGISTERED
    small = example.grow(tmp_path / "small", 500)
    large = example.grow(tmp_path / "large", 4000)
    # The first read warms the interpreter (lazy imports, caches) and is not measured.
    _, (small_peak, small_posts), (large_peak, large_posts) = _peaks(name, small, small, large)
    assert large_posts >= 4 * small_posts > 0
    # Streaming: the peak does not grow with the input (8 times the records: not twice the memory)
    assert large_peak < 2 * small_peak + (1 << 20), (small_peak, large_peak)
    assert large_peak < 64 << 20, large_peak
