"""The PDQ bank index kept on disk as memory-mapped arrays beside the database.

``openiru match`` and the scan search every bank's PDQ items through a
:class:`~openiru.detect.pdq_index.PDQIndex`.  Reading a million items out of the
database and building the index costs seconds; here the index lives in a folder
beside the database (``<db>.cache/pdq-index/``, else under ``$OPENIRU_CACHE``) as
numpy ``.npy`` files opened with ``mmap_mode="r"``, so a command maps it in
milliseconds and reads only the pages a search touches:

* ``hashes.npy`` ``uint8[n, 32]``, ``item_ids.npy`` ``int64[n]`` (ascending),
  ``bank_of.npy`` ``int16[n]`` (a position in ``meta.json``'s bank list);
* ``offsets.npy`` and ``table_ids.npy``: the multi-index tables;
* ``meta.json``: the bank generation it was built at, the PDQ row count and the
  highest item id it has seen.

Validation: every change to a bank's items bumps the ``bank_generation`` counter
in ``detect_state`` (:func:`bump_generation`, called by the bank import and by
analysts' decisions).  The index is used as it is when the generation, the count
and the highest id of PDQ rows all agree.  Otherwise, when all the rows it holds
are still there, only the newer rows are read and appended; after deletions it is
rebuilt from the database.  A new folder is written and swapped in, so a reader
never sees half an index.  Bank settings (distance, quality) are read at each use,
so a settings change needs no rebuild.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from ...store import tables_detect as td
from ...store.writer import dialect_insert

if TYPE_CHECKING:  # the index and PDQ modules (numba, pdqhash) load where an index is opened or built:
    import numpy as np

    from ...detect.pdq_index import PDQIndex  # a bank import only bumps the generation

GENERATION_KEY = "bank_generation"
FOLDER = "pdq-index"
ARRAYS = ("hashes", "item_ids", "bank_of", "offsets", "table_ids")


@dataclass
class BankHashes:
    """The PDQ items of every bank: the index, item ids and bank of each position."""

    index: PDQIndex
    item_ids: np.ndarray
    bank_of: np.ndarray
    banks: list[str]
    how: str  # "mapped", "appended" or "rebuilt": what opening it took


def generation(conn: sa.Connection) -> int:
    st = td.detect_state
    row = conn.execute(sa.select(st.c.value).where(st.c.key == GENERATION_KEY)).first()
    return int(row.value) if row else 0


def bump_generation(conn: sa.Connection) -> None:
    """Mark the on-disk index stale (call after adding or removing bank items)."""
    st = td.detect_state
    value = str(generation(conn) + 1)
    stmt = dialect_insert(conn, st).values(key=GENERATION_KEY, value=value)
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def _state(conn: sa.Connection) -> tuple[int, int, int]:
    """``(generation, PDQ rows, highest PDQ item id)``."""
    t = td.detect_bank_items
    rows, top = conn.execute(sa.select(sa.func.count(), sa.func.max(t.c.id)).where(t.c.kind == "pdq")).one()
    return generation(conn), int(rows), int(top or 0)


def _read_meta(folder: Path) -> dict | None:  # type: ignore[type-arg]
    try:
        meta = json.loads((folder / "meta.json").read_text())
        return meta if isinstance(meta, dict) else None
    except (OSError, ValueError):
        return None


def _open(folder: Path, meta: dict, how: str) -> BankHashes:  # type: ignore[type-arg]
    import numpy as np

    from ...detect.pdq_index import PDQIndex

    arrays = {name: np.asarray(np.load(folder / f"{name}.npy", mmap_mode="r")) for name in ARRAYS}
    if len(arrays["hashes"]) != meta["n"] or len(arrays["item_ids"]) != meta["n"]:
        raise ValueError("index files disagree with meta.json")
    index = PDQIndex(arrays["hashes"], _tables=(arrays["offsets"], arrays["table_ids"]))
    return BankHashes(index, arrays["item_ids"], arrays["bank_of"], list(meta["banks"]), how)


def _read_rows(
    conn: sa.Connection, after: int, upto: int, banks: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PDQ items with ids in ``(after, upto]``, in id order: hashes, ids, bank positions (``banks`` grows)."""
    import numpy as np

    from ...detect.pdq import is_pdq_hex

    t = td.detect_bank_items
    code = {b: i for i, b in enumerate(banks)}
    values: list[str] = []
    ids: list[int] = []
    bank_of: list[int] = []
    result = conn.execute(
        sa.select(t.c.id, t.c.bank, t.c.value)
        .where(t.c.kind == "pdq", t.c.id > after, t.c.id <= upto)
        .order_by(t.c.id)
        .execution_options(yield_per=50_000)
    )
    for item_id, bank, value in result:
        if not is_pdq_hex(value):
            continue
        if bank not in code:
            code[bank] = len(banks)
            banks.append(bank)
        values.append(value)
        ids.append(item_id)
        bank_of.append(code[bank])
    hashes = np.frombuffer(bytes.fromhex("".join(values)), dtype=np.uint8).reshape(-1, 32)
    return hashes, np.asarray(ids, dtype=np.int64), np.asarray(bank_of, dtype=np.int16)


def _write(
    folder: Path,
    hashes: np.ndarray,
    item_ids: np.ndarray,
    bank_of: np.ndarray,
    banks: list[str],
    state: tuple[int, int, int],
) -> BankHashes:
    import numpy as np

    from ...detect.pdq_index import PDQIndex

    index = PDQIndex(hashes)
    tmp = folder.with_name(f"{folder.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    for name, array in zip(ARRAYS, (index.hashes, item_ids, bank_of, index.offsets, index.ids), strict=True):
        np.save(tmp / f"{name}.npy", array)
    meta = {"generation": state[0], "rows": state[1], "max_id": state[2], "n": len(hashes), "banks": banks}
    (tmp / "meta.json").write_text(json.dumps(meta))
    old = folder.with_name(f"{folder.name}.{os.getpid()}.old")
    if folder.exists():
        folder.rename(old)  # open maps of the old files stay valid
    tmp.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
    return BankHashes(index, item_ids, bank_of, banks, "")


def bank_hashes(engine: sa.Engine, folder: Path) -> BankHashes:
    """The current index: mapped from ``folder``, else appended to or rebuilt there."""
    import numpy as np

    with engine.connect() as conn:
        state = _state(conn)
        meta = _read_meta(folder)
        if meta is not None and (meta.get("generation"), meta.get("rows"), meta.get("max_id")) == state:
            try:
                return _open(folder, meta, "mapped")
            except (OSError, ValueError, KeyError):
                meta = None  # damaged: rebuilt below
        how = "rebuilt"
        old: BankHashes | None = None
        if meta is not None:
            t = td.detect_bank_items
            kept = conn.execute(
                sa.select(sa.func.count()).where(t.c.kind == "pdq", t.c.id <= meta["max_id"])
            ).scalar_one()
            if kept == meta["rows"]:  # nothing deleted: read only the newer rows
                try:
                    old = _open(folder, meta, "appended")
                    how = "appended"
                except (OSError, ValueError, KeyError):
                    old = None
        banks = list(old.banks) if old is not None else []
        hashes, ids, bank_of = _read_rows(
            conn, meta["max_id"] if old is not None and meta else 0, state[2], banks
        )
    if old is not None:
        hashes = np.concatenate([old.index.hashes, hashes])
        ids = np.concatenate([old.item_ids, ids])
        bank_of = np.concatenate([old.bank_of, bank_of])
    try:
        built = _write(folder, hashes, ids, bank_of, banks, state)
    except OSError:  # a read-only place: work without the file
        from ...detect.pdq_index import PDQIndex

        built = BankHashes(PDQIndex(hashes), ids, bank_of, banks, "")
    built.how = how
    return built
