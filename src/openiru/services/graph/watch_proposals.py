"""Watchlist proposals from the analytics: key accounts, and successors of watched accounts.

:func:`proposals` lists, best first, the targets the analytics would have the unit watch and
that are not watched yet:

* ``key``: the top key accounts (``graph key-accounts``) on a platform with a connector that
  reads one account (Mastodon, X, Telegram; :func:`.listed.target_for`);
* ``successor``: an account the re-creation analysis (``graph recreated``) links to a watched
  account (a suspended account's successor): proposed whatever its own rank.

Nothing is watched until someone accepts (``openiru watch suggest --add``, or one ``POST
/api/v1/watch`` per proposal); the ``watch-proposals`` job of the collector lists new
successor proposals every day, so a suspended account's successor is put in front of the
analyst without being looked for.  Accounts without a known handle or server are left out.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from ...errors import ConfigError
from ...store import schema
from ..collect import watchlist
from ..collect.listed import target_for


def _metas(engine: sa.Engine, keys: set[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
    if not keys:
        return {}
    a = schema.accounts.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(a.platform, a.account_id, a.meta).where(
                sa.tuple_(a.platform, a.account_id).in_(sorted(keys))
            )
        ).all()
    return {(r.platform, r.account_id): r.meta if isinstance(r.meta, dict) else {} for r in rows}


def _target(platform: str, handle: str | None, meta: dict[str, Any] | None) -> tuple[str, str, str] | None:
    try:
        connector, target, server = target_for(platform, handle, meta)
    except ConfigError:
        return None
    return connector, target, server or ""


def proposals(
    engine: sa.Engine,
    *,
    top: int = 20,
    kinds: tuple[str, ...] = ("key", "successor"),
    min_score: float | None = None,
) -> list[dict[str, Any]]:
    """Targets to watch, not watched yet (see the module's note)."""
    from .analysis import key_accounts, resurgence

    watched = {(r["connector"], r["target"], r["server"] or "") for r in watchlist.listing(engine)}
    out: list[dict[str, Any]] = []
    seen: set[tuple[str, str, str]] = set()

    def propose(
        kind: str, platform: str, account_id: str, handle: str | None, meta: dict[str, Any] | None, **why: Any
    ) -> None:
        target = _target(platform, handle, meta)
        if target is None or target in watched or target in seen:
            return
        seen.add(target)
        out.append(
            {
                "kind": kind,
                "connector": target[0],
                "target": target[1],
                "server": target[2] or None,
                "platform": platform,
                "account_id": account_id,
                "handle": handle,
                **why,
            }
        )

    if "successor" in kinds:
        links = resurgence(engine, min_score=min_score)
        metas = _metas(
            engine,
            {(x["platform"], x["account_id"]) for x in links}
            | {(x["predecessor_platform"], x["predecessor_account_id"]) for x in links},
        )
        for link in sorted(links, key=lambda x: -x["score"]):
            old_key = (link["predecessor_platform"], link["predecessor_account_id"])
            old = _target(*old_key[:1], link["predecessor_handle"], metas.get(old_key))
            if old is None or old not in watched:
                continue
            propose(
                "successor",
                link["platform"],
                link["account_id"],
                link["handle"],
                metas.get((link["platform"], link["account_id"])),
                score=link["score"],
                reason=f"re-created account of watched {old[0]} {old[1]}",
            )
    if "key" in kinds:
        ranked = key_accounts(engine, top=top)
        metas = _metas(engine, {(x["platform"], x["account_id"]) for x in ranked})
        for account in ranked:
            propose(
                "key",
                account["platform"],
                account["account_id"],
                account["handle"],
                metas.get((account["platform"], account["account_id"])),
                score=account["score"],
                reason=f"key account ({account['role']})",
            )
    return out


def accept(
    engine: sa.Engine,
    items: list[dict[str, Any]],
    *,
    every: str | int | None = None,
    actor: str | None = None,
) -> list[dict[str, Any]]:
    """Watch every proposal given; each with its new ``watch_id``."""
    return [
        {
            **item,
            "watch_id": watchlist.add(
                engine,
                item["connector"],
                item["target"],
                item["server"],
                every=every,
                label=item["kind"],
                actor=actor,
            ),
        }
        for item in items
    ]
