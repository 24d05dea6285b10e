"""Hash banks, lexicons and known texts: import, export, list, and the ruleset a scan uses.

Every change to a bank or lexicon bumps the ruleset version and marks every post
unscanned, so the next ``openiru scan`` (or the next import's ingest hook) matches
old posts against the new rules: retroactive matching.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from ...clock import system_now
from ...errors import ConfigError, FormatError, NotFoundError, RecordError
from ...model import HashRecord
from ...sources.base import Problem
from ...sources.term_lists import read_lexicon
from ...store import schema
from ...store import tables_detect as td
from ...store.writer import dialect_insert
from ..access.change_audit import audited_import

if TYPE_CHECKING:  # the matchers (numba kernels) and the signal types (threatexchange, FAISS) load
    # where they are used: a plain PDQ list is imported without either
    from ...detect.pipeline import BankSpec, Ruleset

INSERT_CHUNK = 5000
PURPOSES = ("match", "suppression")


@dataclass
class ImportSummary:
    path: str
    target: str
    added: int = 0
    existing: int = 0
    removed: int = 0
    errors: int = 0
    problems: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "target": self.target,
            "added": self.added,
            "existing": self.existing,
            "removed": self.removed,
            "errors": self.errors,
            "problems": self.problems[:50],
        }


def value_key(value: str) -> str:
    return value if len(value) <= 128 else hashlib.sha256(value.encode()).hexdigest()


def ruleset_changed(conn: sa.Connection, new_terms: list[tuple[str, str]] | None = None) -> int | None:
    """Bump the ruleset version and mark every post for re-scanning (retroactive matching); with
    ``new_terms`` (``(term, kind)`` of lexicon terms just added, nothing else changed) only the
    posts the token index names, when it can (:mod:`.tokens`): how many, or None for every post."""
    st = td.detect_state
    row = conn.execute(sa.select(st.c.value).where(st.c.key == "ruleset_version")).first()
    version = int(row.value) + 1 if row else 1
    stmt = dialect_insert(conn, st).values(key="ruleset_version", value=str(version))
    conn.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"value": str(version)}))
    from .tokens import mark_complete, posts_for_terms  # the text normaliser loads only here

    keys = posts_for_terms(conn, new_terms) if new_terms is not None else None
    if keys is not None:
        from .store import execute_by_platform

        execute_by_platform(
            conn,
            "UPDATE posts SET scanned_at = NULL WHERE platform = {mark} AND post_id {keys}",
            sorted(keys),
        )
        return len(keys)
    conn.execute(
        sa.update(schema.posts).where(schema.posts.c.scanned_at.is_not(None)).values(scanned_at=None)
    )
    mark_complete(conn)  # every post scanned from here on is in the token index
    return None


def ensure_bank(
    conn: sa.Connection,
    name: str,
    kind: str | None = None,
    purpose: str | None = None,
    *,
    pdq_max_distance: int | None = None,
    pdq_min_quality: int | None = None,
    text_min_similarity: float | None = None,
) -> BankSpec:
    """The bank of that name, created if new; settings given here are updated."""
    return _spec(
        _bank_row(
            conn,
            name,
            kind,
            purpose,
            pdq_max_distance=pdq_max_distance,
            pdq_min_quality=pdq_min_quality,
            text_min_similarity=text_min_similarity,
        )
    )


def _bank_row(
    conn: sa.Connection,
    name: str,
    kind: str | None = None,
    purpose: str | None = None,
    *,
    pdq_max_distance: int | None = None,
    pdq_min_quality: int | None = None,
    text_min_similarity: float | None = None,
) -> sa.Row[Any]:
    """:func:`ensure_bank`'s work; the bank's row."""
    b = td.detect_banks
    row = conn.execute(sa.select(b).where(b.c.name == name)).first()
    if purpose is not None and purpose not in PURPOSES:
        raise ConfigError(f"unknown bank purpose {purpose!r}; purposes: {', '.join(PURPOSES)}")
    settings = {
        k: v
        for k, v in (
            ("pdq_max_distance", pdq_max_distance),
            ("pdq_min_quality", pdq_min_quality),
            ("text_min_similarity", text_min_similarity),
            ("purpose", purpose),
        )
        if v is not None
    }
    if row is None:
        conn.execute(
            sa.insert(b).values(
                name=name,
                kind=kind or "mixed",
                purpose=purpose or "match",
                pdq_max_distance=pdq_max_distance if pdq_max_distance is not None else 31,
                pdq_min_quality=pdq_min_quality if pdq_min_quality is not None else 50,
                text_min_similarity=text_min_similarity if text_min_similarity is not None else 0.8,
                version=1,
                created_at=system_now(),
                updated_at=system_now(),
            )
        )
    elif settings:
        conn.execute(
            sa.update(b)
            .where(b.c.name == name)
            .values(**settings, version=b.c.version + 1, updated_at=system_now())
        )
    return conn.execute(sa.select(b).where(b.c.name == name)).one()


def _spec(row: sa.Row[Any]) -> BankSpec:
    from ...detect.pipeline import BankSpec

    return BankSpec(
        row.name, row.kind, row.purpose, row.pdq_max_distance, row.pdq_min_quality, row.text_min_similarity
    )


def _bump(conn: sa.Connection, bank: str) -> None:
    from .bank_index import bump_generation

    bump_generation(conn)  # the on-disk PDQ index is stale now
    b = td.detect_banks
    conn.execute(
        sa.update(b).where(b.c.name == bank).values(version=b.c.version + 1, updated_at=system_now())
    )


def add_records(conn: sa.Connection, bank: str, records: Iterable[HashRecord]) -> tuple[int, int, int]:
    """Insert (or, for deleted records, remove) items; ``(added, existing, removed)``.

    Rows go in with bulk statements (services/detect/bulk.py): a staging table filled
    by ``executemany`` (SQLite) or ``COPY`` (PostgreSQL), then one ``INSERT ... SELECT
    ... ON CONFLICT DO NOTHING`` per run of additions, in file order (the first of
    duplicate values is kept, as row by row)."""
    from .bulk import BulkInserter

    t = td.detect_bank_items
    added = existing = removed = 0
    with BulkInserter(conn, bank, system_now()) as bulk:
        rows: list[tuple[Any, ...]] = []
        for rec in records:
            if rec.deleted:
                a, e = bulk.insert(rows)
                added, existing, rows = added + a, existing + e, []
                removed += max(
                    conn.execute(
                        sa.delete(t).where(
                            t.c.bank == bank, t.c.kind == rec.kind, t.c.value_key == value_key(rec.value)
                        )
                    ).rowcount,
                    0,
                )
                continue
            rows.append(
                (
                    rec.kind,
                    rec.value,
                    value_key(rec.value),
                    rec.item,
                    rec.label,
                    rec.organisation,
                    rec.outlet,
                    rec.source,
                    rec.language,
                )
            )
        a, e = bulk.insert(rows)
        added, existing = added + a, existing + e
    if added or removed:
        _bump(conn, bank)
    return added, existing, removed


def _add_values(conn: sa.Connection, bank: str, kind: str, values: list[str]) -> tuple[int, int]:
    """Bulk-add bare values of one kind (the fast path of a plain hash list)."""
    from .bulk import BulkInserter

    with BulkInserter(conn, bank, system_now()) as bulk:
        added, existing = bulk.insert_values(kind, values)
    if added:
        _bump(conn, bank)
    return added, existing


@audited_import("bank.import", "bank")
def import_hash_list(
    engine: sa.Engine,
    path: Path,
    bank: str,
    *,
    kind: str | None = None,
    fmt: str = "auto",
    purpose: str | None = None,
    strict: bool = False,
    pdq_max_distance: int | None = None,
    pdq_min_quality: int | None = None,
    text_min_similarity: float | None = None,
) -> ImportSummary:
    """Import a hash list (plain, CSV, threatexchange, TAT, JSONL texts) into a bank."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    summary = ImportSummary(str(path), bank)
    fast = _plain_pdq_values(path, fmt, kind)
    if fast is not None:  # a clean plain PDQ list: no per-line objects
        from .bulk import bulk_transaction

        with bulk_transaction(engine, len(fast)) as conn:
            _bank_row(
                conn,
                bank,
                kind,
                purpose,
                pdq_max_distance=pdq_max_distance,
                pdq_min_quality=pdq_min_quality,
                text_min_similarity=text_min_similarity,
            )
            summary.added, summary.existing = _add_values(conn, bank, "pdq", fast)
            if summary.added:
                ruleset_changed(conn)
        return summary
    from ...interop.hashlists import read_hash_list

    good: list[HashRecord] = []
    try:
        for record in read_hash_list(path, fmt, kind):
            if isinstance(record, Problem):
                if strict:
                    raise RecordError(record.file, record.location, record.reason)
                summary.errors += 1
                summary.problems.append(str(record))
                continue
            good.append(record)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    kinds = {r.kind for r in good}
    bank_kind = kind or (next(iter(kinds)) if len(kinds) == 1 else "mixed")
    from .bulk import bulk_transaction

    with bulk_transaction(engine, len(good)) as conn:
        ensure_bank(
            conn,
            bank,
            bank_kind,
            purpose,
            pdq_max_distance=pdq_max_distance,
            pdq_min_quality=pdq_min_quality,
            text_min_similarity=text_min_similarity,
        )
        summary.added, summary.existing, summary.removed = add_records(conn, bank, good)
        if summary.added or summary.removed:
            ruleset_changed(conn)
    return summary


def _plain_pdq_values(path: Path, fmt: str, kind: str | None) -> list[str] | None:
    """The values of a plain PDQ list in which every line is a PDQ hash (or blank, or a
    ``#`` comment), lower-cased; None for anything else (read record by record then,
    which reports each bad line)."""
    if kind != "pdq" or fmt not in ("plain", "auto"):
        return None
    if fmt == "auto":
        from ...interop.hashlists import sniff_format

        if sniff_format(path) != "plain":
            return None
    try:
        data = path.read_bytes()
    except OSError:
        return None
    uniform = _uniform_lines(data.removeprefix(b"\xef\xbb\xbf"))
    if uniform is not None:
        return uniform
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    values = [v for v in map(str.strip, text.split("\n")) if v and v[0] != "#"]
    if values and set(map(len, values)) != {64}:
        return None
    joined = "".join(values)
    if not joined.isascii():
        return None
    try:
        if len(bytes.fromhex(joined)) != 32 * len(values):  # fromhex skips inner spaces: caught here
            return None
    except ValueError:
        return None
    lower = joined.lower()
    return values if lower == joined else [lower[i : i + 64] for i in range(0, len(lower), 64)]


def _uniform_lines(data: bytes) -> list[str] | None:
    """The lines of a list that is nothing but 64 lower-case hex digits a line (what hash-list
    exports write), checked and split by a few passes over the bytes instead of per-line string
    work; None for anything else (the general path above then reads it)."""
    if not data.endswith(b"\n"):
        data += b"\n"
    n, rest = divmod(len(data), 65)
    if rest or data.count(b"\n") != n or data[64::65] != b"\n" * n:
        return None
    if data.translate(None, b"0123456789abcdef\n"):  # anything but lower-case hex digits
        return None
    lines = data.decode("ascii").split("\n")
    lines.pop()
    return lines


def bank_records(conn: sa.Connection, bank: str) -> list[HashRecord]:
    t = td.detect_bank_items
    rows = conn.execute(sa.select(t).where(t.c.bank == bank).order_by(t.c.id)).all()
    return [
        HashRecord(r.kind, r.value, r.item, r.label, r.organisation, r.outlet, r.source, r.language)
        for r in rows
    ]


def export_bank(engine: sa.Engine, bank: str, fmt: str = "csv") -> str:
    with engine.connect() as conn:
        if (
            conn.execute(sa.select(td.detect_banks.c.name).where(td.detect_banks.c.name == bank)).first()
            is None
        ):
            raise NotFoundError(f"no bank {bank!r}")
        records = bank_records(conn, bank)
    from ...interop.hashlists import write_hash_list

    try:
        return write_hash_list(records, fmt)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def list_banks(engine: sa.Engine) -> list[dict[str, Any]]:
    """Every bank with its settings and item counts per kind and status."""
    b, t = td.detect_banks, td.detect_bank_items
    with engine.connect() as conn:
        banks = conn.execute(sa.select(b).order_by(b.c.name)).all()
        counts = conn.execute(
            sa.select(t.c.bank, t.c.kind, t.c.status, sa.func.count()).group_by(
                t.c.bank, t.c.kind, t.c.status
            )
        ).all()
    out = []
    for row in banks:
        mine = [c for c in counts if c[0] == row.name]
        out.append(
            {
                "name": row.name,
                "kind": row.kind,
                "purpose": row.purpose,
                "pdq_max_distance": row.pdq_max_distance,
                "pdq_min_quality": row.pdq_min_quality,
                "text_min_similarity": row.text_min_similarity,
                "version": row.version,
                "items": sum(c[3] for c in mine),
                "kinds": {k: sum(c[3] for c in mine if c[1] == k) for k in sorted({c[1] for c in mine})},
                "quarantined": sum(c[3] for c in mine if c[2] == "quarantined"),
                "updated_at": row.updated_at,
            }
        )
    return out


@audited_import("lexicon.import", "lexicon")
def import_lexicon(
    engine: sa.Engine, path: Path, name: str = "default", strict: bool = False
) -> ImportSummary:
    """Import a lexicon: a plain list (one term a line, ``#tag`` lines hashtags), CSV with or
    without the header ``term,language,kind,label`` (the demo's lexicon.csv), or XLSX."""
    path = Path(path)
    if not path.exists():
        raise NotFoundError(f"{path}: no such file")
    summary = ImportSummary(str(path), name)
    try:
        rows = _lexicon_rows(path, name, strict, summary, system_now())
    except (UnicodeDecodeError, csv.Error):  # a binary or non-UTF-8 upload: a 400, not a 500
        raise FormatError(
            f"{path.name}: not a CSV text file in UTF-8 (a lexicon has the header term,language,kind,label)"
        ) from None
    t = td.detect_lexicon_terms
    new_terms: list[tuple[str, str]] = []
    with engine.begin() as conn:
        for start in range(0, len(rows), INSERT_CHUNK):
            chunk = rows[start : start + INSERT_CHUNK]
            added = conn.execute(
                dialect_insert(conn, t).on_conflict_do_nothing().returning(t.c.term, t.c.kind), chunk
            ).all()
            new_terms += [(r.term, r.kind) for r in added]
            summary.added += len(added)
            summary.existing += len(chunk) - len(added)
        if summary.added:
            ruleset_changed(conn, new_terms)  # only the posts holding the new terms' words, when known
    return summary


def _lexicon_rows(
    path: Path, name: str, strict: bool, summary: ImportSummary, now: Any
) -> list[dict[str, Any]]:
    """The terms of a lexicon file in any shape users keep (sources/term_lists.py) as rows."""
    rows: list[dict[str, Any]] = []
    for found in read_lexicon(path):
        if isinstance(found, Problem):
            if strict:
                raise RecordError(found.file, found.location, found.reason)
            summary.errors += 1
            summary.problems.append(str(found))
            continue
        rows.append({"lexicon": name, **found, "added_at": now})
    return rows


def import_known_texts(
    engine: sa.Engine,
    path: Path,
    bank: str = "known-texts",
    strict: bool = False,
    min_similarity: float | None = None,
    actor: str | None = None,
) -> ImportSummary:
    """Import known texts (JSONL ``{"id", "text", "language", "label"}``, or plain text: texts
    separated by blank lines, or one a line) into a text bank."""
    path = Path(path)
    jsonl = path.is_file() and path.read_bytes()[:4096].lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{")
    return import_hash_list(
        engine,
        path,
        bank,
        kind="text",
        fmt="jsonl" if jsonl else "texts",
        strict=strict,
        text_min_similarity=min_similarity,
        actor=actor,
    )


def load_ruleset(conn: sa.Connection, include_pdq: bool = True) -> Ruleset:
    """Banks, active and quarantined items, and lexicon terms, for a Detector.

    Without ``include_pdq`` PDQ items are left out (the caller packs them as arrays,
    see :func:`~openiru.services.detect.match.pdq_bank_index`); their quarantined ids
    are still listed."""
    from ...detect.lexicon import Term
    from ...detect.pipeline import BankItem, Ruleset

    b, t, lx = td.detect_banks, td.detect_bank_items, td.detect_lexicon_terms
    banks = {r.name: _spec(r) for r in conn.execute(sa.select(b))}
    stmt = sa.select(t.c.id, t.c.bank, t.c.kind, t.c.value, t.c.item, t.c.label, t.c.status)
    if not include_pdq:
        stmt = stmt.where(t.c.kind != "pdq")
    items = [BankItem(r.id, r.bank, r.kind, r.value, r.item, r.label, r.status) for r in conn.execute(stmt)]
    terms = [Term(r.id, r.term, r.language, r.kind, r.label, r.lexicon) for r in conn.execute(sa.select(lx))]
    ruleset = Ruleset(banks, items, terms)
    if not include_pdq:
        ruleset.quarantined = set(
            conn.execute(sa.select(t.c.id).where(t.c.kind == "pdq", t.c.status == "quarantined")).scalars()
        )
    return ruleset


def ruleset_version(conn: sa.Connection) -> int:
    st = td.detect_state
    row = conn.execute(sa.select(st.c.value).where(st.c.key == "ruleset_version")).first()
    return int(row.value) if row else 0


def list_lexicons(engine: sa.Engine) -> list[dict[str, Any]]:
    lx = td.detect_lexicon_terms
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(lx.c.lexicon, lx.c.kind, sa.func.count()).group_by(lx.c.lexicon, lx.c.kind)
        ).all()
    found: dict[str, dict[str, int]] = {}
    for name, kind, n in rows:
        found.setdefault(name, {})[kind] = n
    return [{"name": k, "terms": sum(v.values()), "kinds": v} for k, v in sorted(found.items())]
