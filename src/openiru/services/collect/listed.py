"""Watch the accounts that account lists mark ``watch`` (``openiru accounts import … --intent watch``).

Each ``account_list_entries`` row with intent ``watch`` becomes a watched target when its
platform has a connector that reads one account and the account's handle is known:

* Mastodon: ``account:HANDLE`` on ``https://HOST`` (the host from the account's metadata or
  its ``user@host`` handle);
* X: ``user:HANDLE``;
* Telegram: ``@HANDLE`` (channel and group usernames).

Entries that cannot be watched (no handle yet, a platform without such a connector) are
returned with the reason, for the command to print.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ...errors import ConfigError
from ...store import schema
from ...store.tables_byod import account_list_entries
from . import watchlist

PLATFORM_CONNECTOR = {"mastodon": "mastodon", "x": "x", "twitter": "x", "telegram": "telegram"}


def target_for(platform: str, handle: str | None, meta: dict[str, Any] | None) -> tuple[str, str, str | None]:
    """(connector, target, server) for one account; ``ConfigError`` with the reason when none."""
    connector = PLATFORM_CONNECTOR.get(platform.lower())
    if connector is None:
        raise ConfigError(f"no connector reads one {platform} account")
    if not handle:
        raise ConfigError("handle not known yet (import the account's posts or list it by handle)")
    handle = handle.lstrip("@")
    if connector == "mastodon":
        user, _, host = handle.partition("@")
        host = host or str((meta or {}).get("host") or "")
        if not host:
            raise ConfigError("Mastodon server not known (list it as user@host)")
        return connector, f"account:{user}", f"https://{host}"
    if connector == "x":
        return connector, f"user:{handle}", None
    return connector, f"@{handle}", None


def watch_listed(
    engine: sa.Engine,
    *,
    every: str | int | None = None,
    actor: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Add every ``watch`` entry that can be watched; ``{"added": [...], "skipped": [...]}``."""
    e, a = account_list_entries.c, schema.accounts.c
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(e.platform, e.account_id, a.handle, a.meta)
            .select_from(
                account_list_entries.outerjoin(
                    schema.accounts, sa.and_(a.platform == e.platform, a.account_id == e.account_id)
                )
            )
            .where(e.intent == "watch")
            .distinct()
            .order_by(e.platform, e.account_id)
        ).all()
    added, skipped = [], []
    for platform, account_id, handle, meta in rows:
        try:
            connector, target, server = target_for(platform, handle, meta if isinstance(meta, dict) else None)
            target_id = watchlist.add(engine, connector, target, server, every=every, actor=actor, now=now)
        except ConfigError as exc:
            skipped.append({"platform": platform, "account_id": account_id, "reason": str(exc)})
            continue
        added.append({"id": target_id, "connector": connector, "target": target, "server": server})
    return {"added": added, "skipped": skipped}
