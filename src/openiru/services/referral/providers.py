"""The provider registry: load the starter list, add and edit providers, resolve targets.

The registry starts from ``openiru/data/providers.json`` (public facts) the
first time it is used on a database; changes are made by command or API and
audited.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...errors import ConfigError, NotFoundError
from ...referral.providers import ProviderInfo, resolve
from ...referral.targets import parse_target, post_url
from ...store import schema
from ...store.tables_referral import providers as providers_table
from ..access import audit
from ..access.users import require_actor

EDITOR_ROLES = ("analyst", "admin")


def starter_registry() -> list[ProviderInfo]:
    text = (Path(__file__).parents[2] / "data" / "providers.json").read_text("utf-8")
    return [ProviderInfo.from_mapping(p) for p in json.loads(text)["providers"]]


def _row(p: ProviderInfo, now: datetime) -> dict[str, Any]:
    d = p.as_dict()
    d["updated_at"] = now
    return d


def _from_row(row: sa.Row) -> ProviderInfo:
    return ProviderInfo.from_mapping(dict(row._mapping))


def ensure_registry(engine: sa.Engine, now: Clock = system_now) -> None:
    """Load the starter registry into an empty providers table."""
    with engine.begin() as conn:
        if conn.execute(sa.select(sa.func.count()).select_from(providers_table)).scalar_one():
            return
        t = now()
        conn.execute(sa.insert(providers_table), [_row(p, t) for p in starter_registry()])
        audit.record(
            conn,
            "system",
            "provider.load_starter",
            "provider",
            "*",
            {"count": len(starter_registry())},
            now=now,
        )


def list_providers(engine: sa.Engine) -> list[ProviderInfo]:
    ensure_registry(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(providers_table).order_by(providers_table.c.name)).all()
    return [_from_row(r) for r in rows]


def get_provider(engine: sa.Engine, name: str) -> ProviderInfo:
    ensure_registry(engine)
    with engine.connect() as conn:
        row = conn.execute(sa.select(providers_table).where(providers_table.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"no provider {name!r}; see 'openiru provider list'")
    return _from_row(row)


def save_provider(
    engine: sa.Engine, actor: str | None, provider: ProviderInfo, now: Clock = system_now
) -> tuple[ProviderInfo, bool]:
    """Add a provider, or replace the one of that name.  Returns it and whether it was new."""
    user = require_actor(engine, actor, EDITOR_ROLES)
    check_webhooks(provider)
    ensure_registry(engine, now)
    t = now()
    with engine.begin() as conn:
        exists = conn.execute(
            sa.select(providers_table.c.name).where(providers_table.c.name == provider.name)
        ).first()
        if exists:
            values = _row(provider, t)
            values.pop("name")
            conn.execute(
                sa.update(providers_table).where(providers_table.c.name == provider.name).values(**values)
            )
        else:
            conn.execute(sa.insert(providers_table).values(**_row(provider, t)))
        audit.record(
            conn,
            user.name,
            "provider.update" if exists else "provider.add",
            "provider",
            provider.name,
            provider.as_dict(),
            now=now,
        )
    return provider, not exists


def check_webhooks(provider: ProviderInfo) -> None:
    """Refuse a webhook (or API endpoint, its fallback) at an internal address unless
    ``OPENIRU_WEBHOOK_ALLOW`` names it: delivery would refuse it anyway (services.outbound)."""
    urls = [(k, provider.contacts.get(k)) for k in ("webhook", "api_endpoint") if provider.contacts.get(k)]
    if not urls:
        return
    from .. import outbound  # httpx: only when a provider has a webhook

    policy = outbound.FetchPolicy.for_webhooks()
    for key, url in urls:
        reason = outbound.refusal(str(url), policy)
        if reason:
            raise ConfigError(
                f"provider {provider.name!r}: {key} {url} refused: {reason}; "
                "name it in OPENIRU_WEBHOOK_ALLOW to allow it"
            )


def merge(existing: ProviderInfo | None, name: str, **changes: Any) -> ProviderInfo:
    """``existing`` with the non-empty ``changes`` applied (lists are extended, contacts merged)."""
    base: dict[str, Any] = existing.as_dict() if existing else {"name": name}
    for key, value in changes.items():
        if value is None or value == [] or value == {}:
            continue
        if key in ("platforms", "domains", "languages") and existing:
            merged = list(base.get(key) or [])
            merged += [v for v in value if v not in merged]
            base[key] = merged
        elif key == "contacts":
            base["contacts"] = {**(base.get("contacts") or {}), **value}
        else:
            base[key] = value
    return ProviderInfo.from_mapping(base)


def resolve_text(engine: sa.Engine, text: str) -> tuple[ProviderInfo | None, str | None]:
    """The provider for a URL, post key or account key, and the URL it was resolved from."""
    target = parse_target(text)
    url = target.url
    if target.kind == "post" and target.platform and target.ident:
        url = stored_post_url(engine, target.platform, target.ident)
    return resolve(list_providers(engine), url, target.platform), url


def stored_post_url(engine: sa.Engine, platform: str, post_id: str) -> str | None:
    with engine.connect() as conn:
        row = conn.execute(
            sa.select(schema.posts.c.meta, schema.accounts.c.handle)
            .select_from(
                schema.posts.outerjoin(
                    schema.accounts,
                    sa.and_(
                        schema.accounts.c.platform == schema.posts.c.platform,
                        schema.accounts.c.account_id == schema.posts.c.account_id,
                    ),
                )
            )
            .where(schema.posts.c.platform == platform, schema.posts.c.post_id == post_id)
        ).first()
    if row is None:
        return post_url(platform, post_id)
    return post_url(platform, post_id, row.handle, row.meta if isinstance(row.meta, dict) else None)
