"""Hits of posts as the alerts show them, read from ``detect_hits``.

Shared by the alert list (:mod:`openiru.services.detect.alerts`) and the triage queue's cards
(:mod:`openiru.services.detect.triage`), which both need it: here neither imports the other.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ...store import tables_detect as td


def hits_by_post(
    conn: sa.Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], list[dict[str, Any]]]:
    h = td.detect_hits
    out: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for start in range(0, len(keys), 400):
        chunk = keys[start : start + 400]
        rows = conn.execute(
            sa.select(h)
            .where(sa.tuple_(h.c.platform, h.c.post_id).in_(chunk))
            .order_by(h.c.strength.desc(), h.c.id)
        ).all()
        for r in rows:
            hit = hit_of(r, r.strength)
            out.setdefault((r.platform, r.post_id), []).append(hit)
    return out


def hit_of(r: sa.Row[Any] | Any, strength: float) -> dict[str, Any]:
    """A hit as the alert JSON shows it, from a ``detect_hits`` row (or a row joined to one,
    whose hit strength column is named differently: hence ``strength`` is passed in; or an
    object with the row's attributes, :func:`~.triage.cards_of_rows`)."""
    hit: dict[str, Any] = {
        "matcher": r.matcher,
        "bank": r.bank,
        "item": r.item,
        "label": r.label,
        "strength": round(strength, 4),
    }
    if r.item_id is not None:
        hit["item_id"] = r.item_id
    if r.media_key is not None:
        hit["media_key"] = r.media_key
    if r.distance is not None:
        hit["distance"] = r.distance
    if r.similarity is not None:
        hit["similarity"] = r.similarity
    if r.term is not None:
        hit["term"] = r.term
    if r.span_start is not None:
        hit["span"] = [r.span_start, r.span_end]
    if r.suppressed:
        hit["suppressed"] = True
    if r.detail:
        hit.update({k: v for k, v in r.detail.items() if k not in hit})
    return hit
