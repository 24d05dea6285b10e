"""Gather referrals for the interop exports (DSA, STIX, MISP, Lumen, hash lists).

Each export item is one referral target with what the store knows about it
and the referral it belongs to, as plain dicts; the :mod:`openiru.interop`
builders turn them into each format.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...store.tables_referral import referrals
from .delivery import targets_of
from .records import as_dict

#: ``on_progress(done, total)``: referrals read so far, of how many.
Progress = Callable[[int, int], None]


def export_items(
    engine: sa.Engine,
    state: str | list[str] | None = None,
    referral_ids: list[int] | None = None,
    now: Clock = system_now,
    on_progress: Progress | None = None,
) -> list[dict[str, Any]]:
    """Each target of the chosen referrals with its referral; ``on_progress(done, total)``
    after each referral read (a command's progress display)."""
    t = now()
    query = sa.select(referrals).order_by(referrals.c.id)
    if isinstance(state, str):
        query = query.where(referrals.c.state == state)
    elif state:
        query = query.where(referrals.c.state.in_(state))
    if referral_ids:
        query = query.where(referrals.c.id.in_(referral_ids))
    items: list[dict[str, Any]] = []
    with engine.connect() as conn:
        rows = conn.execute(query).all()
        for done, row in enumerate(rows, 1):
            ref = as_dict(conn, row, t)
            for info in targets_of(conn, row.id):
                items.append(
                    {
                        "referral": ref,
                        "target": {
                            "kind": info.target.kind,
                            "key": info.target.key,
                            "platform": info.target.platform,
                            "ident": info.target.ident,
                            "url": info.url or info.target.url,
                            "author": info.author,
                            "author_handle": info.author_handle,
                            "text": info.text,
                            "language": info.language,
                            "media": info.media,
                            "posted_at": info.posted_at.isoformat() if info.posted_at else None,
                            "content_hash": info.content_hash,
                        },
                    }
                )
            if on_progress is not None:
                on_progress(done, len(rows))
    return items


def export(
    engine: sa.Engine,
    fmt: str,
    state: str | None = None,
    referral_ids: list[int] | None = None,
    now: Clock = system_now,
    hash_format: str = "csv",
    on_progress: Progress | None = None,
) -> str:
    """The export in ``fmt`` as text (JSON, or CSV for hash lists)."""
    from ...interop import dsa, lumen, misp, stix
    from ...interop import tco as tco_docs

    authority = tco_docs.authority_from_env()
    if fmt == "dsa":
        # Statements of reasons exist only where the provider acted.
        states = [state] if state else ["removed", "access_disabled"]
        return dsa.to_json(dsa.statements(export_items(engine, states, referral_ids, now, on_progress)))
    items = export_items(engine, state, referral_ids, now, on_progress)
    if fmt == "stix":
        # indent, not pretty=True: stix2's property-order sort is quadratic in the bundle size.
        return stix.bundle(items, authority.name, now()).serialize(indent=2)
    if fmt == "misp":
        return misp.event(items, authority.name, now()).to_json(indent=2)
    if fmt == "lumen":
        return lumen.to_json(lumen.notices(items, authority))
    if fmt == "hashes":
        return hash_list(items, authority.name, hash_format)
    raise ValueError(f"unknown export format {fmt!r}; formats: dsa, stix, misp, lumen, hashes")


def hash_rows(items: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Media hashes of referred content, one row per (hash, kind), first referral wins."""
    seen: set[tuple[str, str]] = set()
    rows = []
    for item in items:
        ref, target = item["referral"], item["target"]
        for m in target["media"]:
            for kind in ("sha256", "md5", "pdq"):
                value = m.get(kind)
                if value and (value, kind) not in seen:
                    seen.add((value, kind))
                    rows.append(
                        {
                            "hash": value,
                            "kind": kind,
                            "item": target["key"],
                            "source": f"referral {ref['reference']}",
                        }
                    )
    return rows


def hash_list(items: list[dict[str, Any]], organisation: str, fmt: str = "csv") -> str:
    """The partners' hash list, written by the shared :mod:`openiru.interop.hashlists` writer
    (``csv``: ``hash,kind,organisation,outlet,item,source,label,language``; ``plain``;
    ``threatexchange``)."""
    from ...interop.hashlists import write_hash_list
    from ...model import HashRecord

    records = [
        HashRecord(
            kind=r["kind"],
            value=r["hash"],
            item=r["item"],
            label="referred",
            organisation=organisation,
            source=r["source"],
        )
        for r in hash_rows(items)
    ]
    return write_hash_list(records, fmt)
