"""Bulk bank import and the memory-mapped PDQ bank index (issue 14, bank import and match rows).

The import must store the same rows as row-by-row insertion (file order, first of
duplicates kept, counts in the summary) on SQLite and PostgreSQL; ``match`` must
return exactly what a brute-force scan of the bank finds, also after items are
added (the index is appended to) and deleted (rebuilt), and when rows change
behind its back (the count and highest id give it away).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from openiru.interop.hashlists import HashRecord
from openiru.services.detect import banks as detect_banks
from openiru.services.detect import bulk as detect_bulk
from openiru.services.detect import match as detect_match
from openiru.services.detect.bank_index import FOLDER, bank_hashes
from openiru.store import tables_detect as td


def _hexes(rows: np.ndarray) -> list[str]:
    return [bytes(r).hex() for r in rows]


def _stored(engine: sa.Engine, bank: str) -> list[tuple[str, str, str, str]]:
    t = td.detect_bank_items
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(  # type: ignore[misc]
            sa.select(t.c.kind, t.c.value, t.c.value_key, t.c.status).where(t.c.bank == bank).order_by(t.c.id))]


def test_bulk_import_keeps_file_order_dedup_and_counts(engine: sa.Engine, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(detect_bulk, "REBUILD_INDEX_FROM", 1000)  # the large-batch path, small
    rng = np.random.default_rng(11)
    values = _hexes(rng.integers(0, 256, size=(3000, 32), dtype=np.uint8))
    lines = ["# a comment", *[v.upper() if i % 7 == 0 else v for i, v in enumerate(values)], values[5], "",
             values[10]]
    path = tmp_path / "bank.txt"
    path.write_text("\n".join(lines) + "\n")
    first = detect_banks.import_hash_list(engine, path, "b", kind="pdq", fmt="plain")
    assert (first.added, first.existing, first.errors) == (3000, 2, 0)
    assert _stored(engine, "b") == [("pdq", v, v, "active") for v in values]
    indexes = {ix["name"] for ix in sa.inspect(engine).get_indexes("detect_bank_items")}
    assert detect_bulk.SECONDARY_INDEX in indexes  # dropped for the batch, built again
    again = detect_banks.import_hash_list(engine, path, "b", kind="pdq")
    assert (again.added, again.existing) == (0, 3002)
    # a list with a bad line takes the record-by-record reader: the same rows, the line reported
    more = _hexes(rng.integers(0, 256, size=(50, 32), dtype=np.uint8))
    bad = tmp_path / "bad.txt"
    bad.write_text("\n".join([more[0], "not-a-hash", *more[1:], values[0]]) + "\n")
    summary = detect_banks.import_hash_list(engine, bad, "b", kind="pdq", fmt="plain")
    assert (summary.added, summary.existing, summary.errors) == (50, 1, 1)
    assert "line 2" in summary.problems[0]
    assert _stored(engine, "b") == [("pdq", v, v, "active") for v in values + more]
    # deletions interleaved with additions keep their order: added, then removed
    with engine.begin() as conn:
        counts = detect_banks.add_records(conn, "b", [HashRecord("pdq", values[1], deleted=True),
                                                     HashRecord("pdq", values[1], item="back")])
    assert counts == (1, 0, 1)
    assert _stored(engine, "b")[-1] == ("pdq", values[1], values[1], "active")


def _brute(bank_rows: list[tuple[int, str, np.ndarray]], limits: dict[str, int], queries: np.ndarray,
           banks: set[str] | None = None) -> list[list[tuple[int, int, str]]]:
    """Every (distance, item id, bank) within the bank's threshold, by a full scan."""
    ids = np.array([r[0] for r in bank_rows], dtype=np.int64)
    names = [r[1] for r in bank_rows]
    words = np.stack([r[2] for r in bank_rows]).view(np.uint64)
    out = []
    for q in queries.view(np.uint64):
        dist = np.bitwise_count(words ^ q).sum(axis=1)
        found = [(int(d), int(i), n) for d, i, n in zip(dist, ids, names, strict=True)
                 if d <= limits[n] and (banks is None or n in banks)]
        out.append(sorted(found))
    return out


def _matched(engine: sa.Engine, queries: np.ndarray, banks: list[str] | None = None) -> list[list[tuple[int, int, str]]]:
    results = detect_match.match(engine, _hexes(queries), "pdq", banks)
    return [[(m["distance"], m["item_id"], m["bank"]) for m in r["matches"]] for r in results]


def _bank_rows(engine: sa.Engine) -> list[tuple[int, str, np.ndarray]]:
    t = td.detect_bank_items
    with engine.connect() as conn:
        return [(r.id, r.bank, np.frombuffer(bytes.fromhex(r.value), dtype=np.uint8))
                for r in conn.execute(sa.select(t.c.id, t.c.bank, t.c.value).where(t.c.kind == "pdq")
                                      .order_by(t.c.id))]


def test_match_uses_a_mapped_index_that_follows_bank_changes(engine: sa.Engine, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENIRU_CACHE", str(tmp_path / "cache"))
    rng = np.random.default_rng(5)
    centres = rng.integers(0, 256, size=(40, 32), dtype=np.uint8)
    noise = np.packbits(rng.random((2000, 256)) < 8 / 256, axis=1)
    bank = centres[rng.integers(0, 40, size=2000)] ^ noise  # clusters: many matches per query
    (tmp_path / "a.txt").write_text("\n".join(_hexes(bank[:1200])) + "\n")
    (tmp_path / "b.txt").write_text("\n".join(_hexes(bank[1200:1500])) + "\n")
    detect_banks.import_hash_list(engine, tmp_path / "a.txt", "a", kind="pdq")
    detect_banks.import_hash_list(engine, tmp_path / "b.txt", "b", kind="pdq", pdq_max_distance=20)
    limits = {"a": 31, "b": 20}
    queries = np.concatenate([bank[rng.integers(0, 2000, size=60)] ^ np.packbits(rng.random((60, 256)) < 0.04,
                                                                                      axis=1),
                              rng.integers(0, 256, size=(20, 32), dtype=np.uint8)])
    folder = detect_match.cache_dir(engine) / FOLDER

    expected = _brute(_bank_rows(engine), limits, queries)
    assert sum(map(len, expected)) > 100
    assert _matched(engine, queries) == expected
    assert bank_hashes(engine, folder).how == "mapped"  # built by the first match, mapped since
    assert _matched(engine, queries, ["b"]) == _brute(_bank_rows(engine), limits, queries, {"b"})

    # additions: appended, not rebuilt
    (tmp_path / "c.txt").write_text("\n".join(_hexes(bank[1500:])) + "\n")
    detect_banks.import_hash_list(engine, tmp_path / "c.txt", "a", kind="pdq")
    assert bank_hashes(engine, folder).how == "appended"
    assert _matched(engine, queries) == _brute(_bank_rows(engine), limits, queries)

    # deletions: rebuilt; the deleted items no longer match
    gone = _hexes(bank[:300])
    with engine.begin() as conn:
        assert detect_banks.add_records(conn, "a", [HashRecord("pdq", v, deleted=True) for v in gone])[2] == 300
    assert bank_hashes(engine, folder).how == "rebuilt"
    expected = _brute(_bank_rows(engine), limits, queries)
    assert _matched(engine, queries) == expected

    # a row written behind the index's back (no generation bump) is still seen
    t = td.detect_bank_items
    with engine.begin() as conn:
        conn.execute(sa.insert(t).values(bank="b", kind="pdq", value=_hexes(queries[:1])[0],
                                         value_key=_hexes(queries[:1])[0], status="active", match_count=0,
                                         added_at=sa.func.now()))
    assert _matched(engine, queries)[0][0][0] == 0
    assert _matched(engine, queries) == _brute(_bank_rows(engine), limits, queries)
