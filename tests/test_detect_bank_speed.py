"""Bulk bank import and the memory-mapped PDQ bank index (issue 14, bank import and match rows).

The import must store the same rows as row-by-row insertion (file order, first of
duplicates kept, counts in the summary) on SQLite and PostgreSQL; ``match`` must
return exactly what a brute-force scan of the bank finds, also after items are
added (the index is appended to) and deleted (rebuilt), and when rows change
behind its back (the count and highest id give it away).
"""

from __future__ import annotations

from datetime import UTC, datetime
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
from openiru.store.db import open_database


def _hexes(rows: np.ndarray) -> list[str]:
    return [bytes(r).hex() for r in rows]


def _stored(engine: sa.Engine, bank: str) -> list[tuple[str, str, str, str]]:
    t = td.detect_bank_items
    with engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(  # type: ignore[misc]
                sa.select(t.c.kind, t.c.value, t.c.value_key, t.c.status)
                .where(t.c.bank == bank)
                .order_by(t.c.id)
            )
        ]


def test_bulk_import_keeps_file_order_dedup_and_counts(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(detect_bulk, "REBUILD_INDEX_FROM", 1000)  # the large-batch path, small
    rng = np.random.default_rng(11)
    values = _hexes(rng.integers(0, 256, size=(3000, 32), dtype=np.uint8))
    lines = [
        "# a comment",
        *[v.upper() if i % 7 == 0 else v for i, v in enumerate(values)],
        values[5],
        "",
        values[10],
    ]
    path = tmp_path / "bank.txt"
    path.write_text("\n".join(lines) + "\n")
    first = detect_banks.import_hash_list(engine, path, "b", kind="pdq", fmt="plain")
    assert (first.added, first.existing, first.errors) == (3000, 2, 0)
    assert _stored(engine, "b") == [("pdq", v, v, "active") for v in values]
    assert _unique_index(engine) == ["value_key", "kind", "bank"]  # dropped for the batch, built again
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
        counts = detect_banks.add_records(
            conn, "b", [HashRecord("pdq", values[1], deleted=True), HashRecord("pdq", values[1], item="back")]
        )
    assert counts == (1, 0, 1)
    assert _stored(engine, "b")[-1] == ("pdq", values[1], values[1], "active")


def _unique_index(engine: sa.Engine) -> list[str] | None:
    for ix in sa.inspect(engine).get_indexes("detect_bank_items"):
        if ix["name"] == detect_bulk.UNIQUE_INDEX:
            assert ix["unique"]
            return list(ix["column_names"])
    return None


def test_bulk_paths_agree_with_row_by_row_semantics(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Index rebuilt with rows already in the table (this bank and another), existing keys read
    first (pre-filter) or left to ON CONFLICT, records with metadata: the same rows and counts."""
    monkeypatch.setattr(detect_bulk, "REBUILD_INDEX_FROM", 400)
    monkeypatch.setattr(detect_bulk, "PREFILTER_FROM", 100)
    monkeypatch.setattr(detect_bulk, "PREFILTER_RATIO", 5)
    paths: list[tuple[bool, bool]] = []
    begin = detect_bulk.BulkInserter._begin

    def spy(self: detect_bulk.BulkInserter, n: int, kind: str | None) -> tuple[bool, set[object] | None]:
        rebuild, known = begin(self, n, kind)
        paths.append((rebuild, known is not None))
        return rebuild, known

    monkeypatch.setattr(detect_bulk.BulkInserter, "_begin", spy)
    rng = np.random.default_rng(12)
    values = _hexes(rng.integers(0, 256, size=(1200, 32), dtype=np.uint8))
    with engine.begin() as conn:
        detect_banks.ensure_bank(conn, "b", "pdq")
        detect_banks.ensure_bank(conn, "other", "pdq")
        assert detect_banks._add_values(conn, "b", "pdq", values[:150]) == (150, 0)  # keys read, none
        assert detect_banks._add_values(conn, "other", "pdq", values[:150]) == (
            150,
            0,
        )  # same values elsewhere
        # 900 > 300 rows there: rebuilt; the 150 already in "b" read first; in-batch duplicates dropped
        batch = values[100:900] + values[100:120] + values[900:1000]
        assert detect_banks._add_values(conn, "b", "pdq", batch) == (850, 70)
        # pre-filter without rebuild (1,150 rows there, batch of 250: keys read, ON CONFLICT kept)
        assert detect_banks._add_values(conn, "b", "pdq", values[950:1200]) == (200, 50)
        # not pre-filtered (table > 5x the batch): ON CONFLICT decides
        assert detect_banks._add_values(conn, "b", "pdq", values[1150:1200] + values[:60]) == (0, 110)
        more = values[:500] + _hexes(rng.integers(0, 256, size=(1000, 32), dtype=np.uint8))
        records = [HashRecord("pdq", v, item=f"i{k}") for k, v in enumerate(more)]
        records += [HashRecord("md5", "ab" * 16, item="m"), HashRecord("md5", "ab" * 16, item="dup")]
        assert detect_banks.add_records(conn, "new", records) == (1501, 1, 0)  # rebuilt, records path
    assert paths == [(False, True), (False, True), (True, True), (False, True), (False, False), (True, True)]
    assert _unique_index(engine) == ["value_key", "kind", "bank"]
    assert _stored(engine, "b") == [("pdq", v, v, "active") for v in values[:1200]]
    assert len(_stored(engine, "other")) == 150
    t = td.detect_bank_items
    with engine.connect() as conn:
        items = conn.execute(sa.select(t.c.kind, t.c.item).where(t.c.bank == "new").order_by(t.c.id)).all()
    assert [tuple(r) for r in items] == [("pdq", f"i{k}") for k in range(1500)] + [("md5", "m")]
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:  # the index enforces uniqueness
        conn.execute(
            sa.insert(t).values(
                bank="b",
                kind="pdq",
                value=values[0],
                value_key=values[0],
                status="active",
                match_count=0,
                added_at=sa.func.now(),
            )
        )


def test_migration_keeps_items_and_uniqueness(db_url: str) -> None:
    """0011 and 0015 on a database with bank items: rows kept, one unique index (value_key
    first), duplicates still refused; down again in steps."""
    from alembic import command

    from openiru.store.db import alembic_config, make_engine, upgrade

    engine = make_engine(db_url)
    try:
        cfg = alembic_config(engine)
        command.upgrade(cfg, "0002_detect_notify")
        command.upgrade(cfg, "0010_media_features")
        t = td.detect_bank_items
        with engine.begin() as conn:
            conn.execute(
                sa.insert(t),
                [
                    {
                        "bank": "b",
                        "kind": "pdq",
                        "value": v,
                        "value_key": v,
                        "status": "active",
                        "match_count": 0,
                        "added_at": datetime.now(UTC),
                    }
                    for v in ("aa", "bb")
                ],
            )
        upgrade(engine)
        assert _unique_index(engine) == ["value_key", "kind", "bank"]
        assert [ix["name"] for ix in sa.inspect(engine).get_indexes("detect_bank_items")] == [
            detect_bulk.UNIQUE_INDEX
        ]
        assert _stored(engine, "b") == [("pdq", "aa", "aa", "active"), ("pdq", "bb", "bb", "active")]
        with pytest.raises(sa.exc.IntegrityError), engine.begin() as conn:
            conn.execute(
                sa.insert(t).values(
                    bank="b",
                    kind="pdq",
                    value="aa",
                    value_key="aa",
                    status="active",
                    match_count=0,
                    added_at=sa.func.now(),
                )
            )
        command.downgrade(cfg, "0011_bank_item_key")
        assert _unique_index(engine) == ["kind", "value_key", "bank"]
        assert len(_stored(engine, "b")) == 2
        command.downgrade(cfg, "0010_media_features")
        inspector = sa.inspect(engine)
        assert [u["column_names"] for u in inspector.get_unique_constraints("detect_bank_items")] == [
            ["bank", "kind", "value_key"]
        ]
        assert "ix_detect_bank_items_kind_value" in {
            ix["name"] for ix in inspector.get_indexes("detect_bank_items")
        }
        assert len(_stored(engine, "b")) == 2
    finally:
        engine.dispose()


def _brute(
    bank_rows: list[tuple[int, str, np.ndarray]],
    limits: dict[str, int],
    queries: np.ndarray,
    banks: set[str] | None = None,
) -> list[list[tuple[int, int, str]]]:
    """Every (distance, item id, bank) within the bank's threshold, by a full scan."""
    ids = np.array([r[0] for r in bank_rows], dtype=np.int64)
    names = [r[1] for r in bank_rows]
    words = np.stack([r[2] for r in bank_rows]).view(np.uint64)
    out = []
    for q in queries.view(np.uint64):
        dist = np.bitwise_count(words ^ q).sum(axis=1)
        found = [
            (int(d), int(i), n)
            for d, i, n in zip(dist, ids, names, strict=True)
            if d <= limits[n] and (banks is None or n in banks)
        ]
        out.append(sorted(found))
    return out


def _matched(
    engine: sa.Engine, queries: np.ndarray, banks: list[str] | None = None
) -> list[list[tuple[int, int, str]]]:
    results = detect_match.match(engine, _hexes(queries), "pdq", banks)
    return [[(m["distance"], m["item_id"], m["bank"]) for m in r["matches"]] for r in results]


def _bank_rows(engine: sa.Engine) -> list[tuple[int, str, np.ndarray]]:
    t = td.detect_bank_items
    with engine.connect() as conn:
        return [
            (r.id, r.bank, np.frombuffer(bytes.fromhex(r.value), dtype=np.uint8))
            for r in conn.execute(
                sa.select(t.c.id, t.c.bank, t.c.value).where(t.c.kind == "pdq").order_by(t.c.id)
            )
        ]


def test_match_uses_a_mapped_index_that_follows_bank_changes(
    engine: sa.Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
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
    queries = np.concatenate(
        [
            bank[rng.integers(0, 2000, size=60)] ^ np.packbits(rng.random((60, 256)) < 0.04, axis=1),
            rng.integers(0, 256, size=(20, 32), dtype=np.uint8),
        ]
    )
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
        assert (
            detect_banks.add_records(conn, "a", [HashRecord("pdq", v, deleted=True) for v in gone])[2] == 300
        )
    assert bank_hashes(engine, folder).how == "rebuilt"
    expected = _brute(_bank_rows(engine), limits, queries)
    assert _matched(engine, queries) == expected

    # a row written behind the index's back (no generation bump) is still seen
    t = td.detect_bank_items
    with engine.begin() as conn:
        conn.execute(
            sa.insert(t).values(
                bank="b",
                kind="pdq",
                value=_hexes(queries[:1])[0],
                value_key=_hexes(queries[:1])[0],
                status="active",
                match_count=0,
                added_at=sa.func.now(),
            )
        )
    assert _matched(engine, queries)[0][0][0] == 0
    assert _matched(engine, queries) == _brute(_bank_rows(engine), limits, queries)


def test_a_plain_pdq_import_loads_no_matcher_or_signal_library(tmp_path: Path) -> None:
    """``openiru bank import`` of a plain PDQ list pays for neither the numba kernels nor
    threatexchange/FAISS (about half its start-up before)."""
    import subprocess
    import sys

    path = tmp_path / "list.txt"
    path.write_text("ab" * 32 + "\n")
    code = (
        "import sys\nfrom pathlib import Path\nfrom openiru.store.db import open_database\n"
        "from openiru.services.detect.banks import import_hash_list\n"
        f"engine = open_database('sqlite:///{tmp_path / 'x.db'}')\n"
        f"s = import_hash_list(engine, Path({str(path)!r}), 'b', kind='pdq', fmt='plain')\n"
        "print(s.added, sorted(m for m in ('numba', 'faiss', 'threatexchange') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["1", "[]"]


def test_a_large_sqlite_import_is_written_once_in_rollback_mode_and_wal_is_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A large batch on a SQLite file nobody else has open is written with a rollback journal
    (no WAL copy to checkpoint), WAL and synchronous=NORMAL set again after; with another
    connection open, it stays in WAL (no waiting for the other connection) with the same result."""
    import sqlite3

    monkeypatch.setattr(detect_bulk, "REBUILD_INDEX_FROM", 1000)
    modes: list[str] = []
    insert_values = detect_bulk.BulkInserter.insert_values

    def spy(self: detect_bulk.BulkInserter, kind: str, values: list[str]) -> tuple[int, int]:
        modes.append(self.conn.exec_driver_sql("PRAGMA journal_mode").scalar_one())
        return insert_values(self, kind, values)

    monkeypatch.setattr(detect_bulk.BulkInserter, "insert_values", spy)
    rng = np.random.default_rng(13)
    values = _hexes(rng.integers(0, 256, size=(6000, 32), dtype=np.uint8))
    (tmp_path / "a.txt").write_text("\n".join(values[:3000]) + "\n")
    (tmp_path / "b.txt").write_text("\n".join(values[3000:]) + "\n")
    db = tmp_path / "x.db"
    engine = open_database(f"sqlite:///{db}")
    try:
        first = detect_banks.import_hash_list(engine, tmp_path / "a.txt", "b", kind="pdq", fmt="plain")
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar_one() == 1  # NORMAL
        other = sqlite3.connect(db)
        try:
            assert other.execute("SELECT count(*) FROM detect_bank_items").fetchone() == (3000,)
            second = detect_banks.import_hash_list(engine, tmp_path / "b.txt", "b", kind="pdq", fmt="plain")
            assert other.execute("SELECT count(*) FROM detect_bank_items").fetchone() == (6000,)
        finally:
            other.close()
        assert modes == ["delete", "wal"]
        assert (first.added, second.added) == (3000, 3000)
        assert _stored(engine, "b") == [("pdq", v, v, "active") for v in values]
        assert _unique_index(engine) == ["value_key", "kind", "bank"]
        assert not (tmp_path / "x.db-journal").exists()
    finally:
        engine.dispose()


def test_plain_pdq_fast_path_reads_exactly_what_the_general_path_reads(tmp_path: Path) -> None:
    """Lists of nothing but lower-case 64-digit lines are split without per-line work; anything
    else (a short or long line, upper case, a comment, a BOM, no final newline) gives the same
    values through the general path, or None where a line is not a hash."""
    rng = np.random.default_rng(5)
    values = _hexes(rng.integers(0, 256, size=(40, 32), dtype=np.uint8))
    uniform = ("\n".join(values) + "\n").encode()
    assert detect_banks._uniform_lines(uniform) == values
    assert detect_banks._uniform_lines(uniform[:-1]) == values  # no final newline
    for text, expected in (
        ("\ufeff" + "\n".join(values) + "\n", values),
        ("# list\n" + "\n".join(values) + "\n", values),
        ("\n".join(v.upper() for v in values) + "\n", values),
        ("\n".join(values) + "\n" + values[0][:63] + "\n", None),
        ("\n".join(values[:-1]) + "\n" + values[-1][:32] + "\n" + values[-1][32:] + "\n", None),
        ("\n".join(values[:-1]) + "\n" + values[-1][:63] + "g\n", None),
    ):
        path = tmp_path / "list.txt"
        path.write_text(text, encoding="utf-8")
        assert detect_banks._plain_pdq_values(path, "plain", "pdq") == expected
    assert (
        detect_banks._uniform_lines(uniform.replace(values[3].encode(), values[3].upper().encode())) is None
    )
