"""Look-ups against the banks: the command-line twin of HMA's lookup (``openiru match``).

Inputs are image or file paths (hashed with PDQ, MD5 and SHA-256; videos and documents
also by vPDQ and page texts, :mod:`.media`), bare hashes, or texts.  PDQ look-ups go
through the multi-index :class:`~openiru.detect.pdq_index.PDQIndex`
over every bank's PDQ items, kept on disk as memory-mapped arrays beside the
database (services/detect/bank_index.py: a packed folder next to a SQLite
database, else under ``$OPENIRU_CACHE`` or ``~/.cache/openiru``), validated by a
generation number that bank changes bump and brought up to date incrementally, so
a million-hash bank opens in milliseconds.  Only the matched items are read from
the database.  The text matchers and image hashing are imported when used.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import sqlalchemy as sa

from ...detect.pdq import hex_to_bytes, is_pdq_hex
from ...detect.rules import BankItem, PackedPDQ
from ...errors import ConfigError
from ...store import tables_detect as td
from .media import file_matches

MATCH_KINDS = ("pdq", "md5", "sha256", "text", "video", "document")
LOOKUP_CHUNK = 900


def cache_dir(engine: sa.Engine) -> Path:
    url = engine.url
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database + ".cache")
    base = Path(os.environ.get("OPENIRU_CACHE", Path.home() / ".cache" / "openiru"))
    ident = hashlib.sha1(url.render_as_string(hide_password=True).encode()).hexdigest()[:12]
    return base / ident


BankPDQIndex = PackedPDQ


def pdq_bank_index(engine: sa.Engine, banks: Sequence[str] | None = None) -> PackedPDQ:
    """The PDQ index over the banks' PDQ items, mapped from disk when current.

    With ``banks``, items of other banks stay in the index with a distance threshold
    of -1, so they never match."""
    from .bank_index import FOLDER, bank_hashes

    found = bank_hashes(engine, cache_dir(engine) / FOLDER)
    b = td.detect_banks
    with engine.connect() as conn:
        settings = {
            r.name: (r.pdq_max_distance, r.pdq_min_quality)
            for r in conn.execute(sa.select(b.c.name, b.c.pdq_max_distance, b.c.pdq_min_quality))
        }
    wanted = set(banks) if banks else None
    dist = np.array(
        [settings.get(name, (-1, 0))[0] if wanted is None or name in wanted else -1 for name in found.banks]
        or [-1],
        dtype=np.int16,
    )
    qual = np.array([settings.get(name, (-1, 0))[1] for name in found.banks] or [0], dtype=np.int16)
    return BankPDQIndex(found.index, found.item_ids, dist[found.bank_of], qual[found.bank_of])


def item_lookup(engine: sa.Engine):  # type: ignore[no-untyped-def]
    """``ids -> {id: BankItem}`` reading the bank items table (for packed PDQ matches)."""

    def lookup(ids: list[int]) -> dict[int, BankItem]:
        t = td.detect_bank_items
        found: dict[int, BankItem] = {}
        with engine.connect() as conn:
            for start in range(0, len(ids), LOOKUP_CHUNK):
                for r in conn.execute(
                    sa.select(t.c.id, t.c.bank, t.c.kind, t.c.value, t.c.item, t.c.label, t.c.status).where(
                        t.c.id.in_(ids[start : start + LOOKUP_CHUNK])
                    )
                ):
                    found[r.id] = BankItem(r.id, r.bank, r.kind, r.value, r.item, r.label, r.status)
        return found

    return lookup


def _items(engine: sa.Engine, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    t = td.detect_bank_items
    out: dict[int, dict[str, Any]] = {}
    unique = sorted(set(ids))
    with engine.connect() as conn:
        for start in range(0, len(unique), LOOKUP_CHUNK):
            for r in conn.execute(
                sa.select(
                    t.c.id, t.c.bank, t.c.item, t.c.label, t.c.organisation, t.c.outlet, t.c.status
                ).where(t.c.id.in_(unique[start : start + LOOKUP_CHUNK]))
            ):
                out[r.id] = {
                    "bank": r.bank,
                    "item": r.item,
                    "label": r.label,
                    "organisation": r.organisation,
                    "outlet": r.outlet,
                    "item_id": r.id,
                    "status": r.status,
                }
    return out


def _input_kind(value: str, kind: str | None) -> str:
    if kind:
        return kind
    if Path(value).is_file():
        return "file"
    v = value.strip()
    hexdigits = all(c in "0123456789abcdefABCDEF" for c in v)
    if hexdigits and len(v) == 32:
        return "md5"
    if hexdigits and len(v) == 64:
        return "pdq"  # a 64-digit hash is looked up as PDQ and as SHA-256
    return "text"


def match(
    engine: sa.Engine, inputs: Sequence[str], kind: str | None = None, banks: Sequence[str] | None = None
) -> Iterator[dict[str, Any]]:
    """One result object per input, in order: ``{"input", "kind", ..., "matches": [...]}``."""
    if kind is not None and kind not in MATCH_KINDS:
        raise ConfigError(f"unknown kind {kind!r}; kinds: {', '.join(MATCH_KINDS)}")
    kinds = [_input_kind(v, kind) for v in inputs]
    results: list[dict[str, Any]] = [
        {"input": v, "kind": k, "matches": []} for v, k in zip(inputs, kinds, strict=True)
    ]
    pdq_queries: list[tuple[int, str, int | None, dict[str, Any]]] = []
    exact_queries: list[tuple[int, str, str]] = []
    texts: list[int] = []
    for i, (value, k) in enumerate(zip(inputs, kinds, strict=True)):
        v = value.strip()
        if k in ("file", "video", "document"):
            if not Path(v).is_file():
                results[i]["error"] = "no such file"
                continue
            info = _hash_file(Path(v))
            results[i].update(info)
            media = file_matches(engine, Path(v), banks)  # videos (vPDQ) and documents (page texts)
            results[i]["matches"] += media.pop("matches", [])
            for image in media.pop("images", []):  # a PDF's images, looked up naming their page
                pdq_queries.append((i, image["pdq"], image["quality"], {"page": image["page"]}))
            results[i].update(media)
            if info.get("pdq"):
                pdq_queries.append((i, info["pdq"], info.get("quality"), {}))
            exact_queries += [(i, "md5", info["md5"]), (i, "sha256", info["sha256"])]
        elif k == "pdq":
            if not is_pdq_hex(v):
                results[i]["error"] = "not a PDQ hash (64 hex digits)"
                continue
            pdq_queries.append((i, v.lower(), None, {}))
            if kind is None:
                exact_queries.append((i, "sha256", v.lower()))
        elif k in ("md5", "sha256"):
            exact_queries.append((i, k, v.lower()))
        else:
            texts.append(i)
    if pdq_queries:
        _match_pdq(engine, pdq_queries, results, banks)
    if exact_queries:
        _match_exact(engine, exact_queries, results, banks)
    if texts:
        _match_texts(engine, texts, results, banks)
    yield from results


def _hash_file(path: Path) -> dict[str, Any]:
    from ...detect.pdq import pdq_of_file

    data = path.read_bytes()
    info: dict[str, Any] = {
        "kind": "file",
        "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
    try:
        info["pdq"], info["quality"] = pdq_of_file(path)
    except (OSError, ValueError, SyntaxError):
        pass  # not an image: exact hashes only
    return info


def _match_pdq(
    engine: sa.Engine,
    queries: list[tuple[int, str, int | None, dict[str, Any]]],
    results: list[dict[str, Any]],
    banks: Sequence[str] | None,
) -> None:
    bank_index = pdq_bank_index(engine, banks)
    radius = int(bank_index.max_distance.max(initial=-1))
    if not len(bank_index.index) or radius < 0:
        return
    found = bank_index.index.search(hex_to_bytes([q[1] for q in queries]), radius)
    keep = found.distance <= bank_index.max_distance[found.index]
    q_pos, idx, dist = found.query[keep], found.index[keep], found.distance[keep]
    items = _items(engine, bank_index.item_ids[idx].tolist())
    for qp, i, d in zip(q_pos.tolist(), idx.tolist(), dist.tolist(), strict=True):
        result_pos, _, quality, extra = queries[qp]
        if quality is not None and quality < bank_index.min_quality[i]:
            continue
        item = items.get(int(bank_index.item_ids[i]))
        if item is not None:
            results[result_pos]["matches"].append({**item, "kind": "pdq", "distance": int(d), **extra})


def _match_exact(
    engine: sa.Engine,
    queries: list[tuple[int, str, str]],
    results: list[dict[str, Any]],
    banks: Sequence[str] | None,
) -> None:
    t = td.detect_bank_items
    wanted = {(k, v) for _, k, v in queries}
    found: dict[tuple[str, str], list[dict[str, Any]]] = {}
    with engine.connect() as conn:
        pairs = sorted(wanted)
        for start in range(0, len(pairs), LOOKUP_CHUNK):
            chunk = pairs[start : start + LOOKUP_CHUNK]
            stmt = sa.select(
                t.c.id,
                t.c.kind,
                t.c.value_key,
                t.c.bank,
                t.c.item,
                t.c.label,
                t.c.organisation,
                t.c.outlet,
                t.c.status,
            ).where(sa.tuple_(t.c.kind, t.c.value_key).in_(chunk))
            if banks:
                stmt = stmt.where(t.c.bank.in_(list(banks)))
            for r in conn.execute(stmt):
                found.setdefault((r.kind, r.value_key), []).append(
                    {
                        "bank": r.bank,
                        "item": r.item,
                        "label": r.label,
                        "organisation": r.organisation,
                        "outlet": r.outlet,
                        "item_id": r.id,
                        "status": r.status,
                        "kind": r.kind,
                        "distance": 0,
                    }
                )
    for pos, k, v in queries:
        results[pos]["matches"].extend(found.get((k, v), []))


def _match_texts(
    engine: sa.Engine, positions: list[int], results: list[dict[str, Any]], banks: Sequence[str] | None
) -> None:
    from ...detect.lexicon import LexiconMatcher
    from ...detect.neardup import KnownText, KnownTextIndex
    from ...detect.normalise import normalise
    from .banks import load_ruleset

    with engine.connect() as conn:
        ruleset = load_ruleset(conn)
    known = [
        KnownText(i.id, i.value, i.item, i.label, i.bank, ruleset.banks[i.bank].text_min_similarity)
        for i in ruleset.items
        if i.kind == "text" and (not banks or i.bank in banks)
    ]
    index = KnownTextIndex(known)
    lexicon = LexiconMatcher(ruleset.terms)
    for pos in positions:
        norm = normalise(results[pos]["input"])
        for m in index.find(norm):
            results[pos]["matches"].append(
                {
                    "bank": m.known.bank,
                    "item": m.known.item,
                    "label": m.known.label,
                    "item_id": m.known.id,
                    "kind": "text",
                    "similarity": m.similarity,
                }
            )
        for tm in lexicon.find(norm):
            results[pos]["matches"].append(
                {
                    "bank": tm.term.lexicon,
                    "item": tm.term.term,
                    "label": tm.term.label,
                    "kind": "term",
                    "term": tm.term.term,
                    "language": tm.term.language or None,
                }
            )
