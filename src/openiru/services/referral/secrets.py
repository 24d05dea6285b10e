"""Webhook secrets of providers, sealed at rest in ``provider_secrets``.

The HMAC key that signs a provider's webhook deliveries is kept sealed with
AES-256-GCM under ``OPENIRU_SECRET_KEY`` (:mod:`openiru.referral.delivery_secrets`),
never in the provider's contacts, so it appears in no provider listing, API
answer or audit entry.  Without a key a new secret is refused unless plain text
is explicitly allowed (``--allow-plaintext-secrets`` or
``OPENIRU_ALLOW_PLAINTEXT_SECRETS=1``, for local demos).  Secrets stored by
earlier versions in the contacts (``webhook_secret``) keep working, and
:func:`reencrypt` moves them into the sealed table.  Only :func:`reveal`
returns a secret to a person (to hand it to the provider); it is audited.
"""

from __future__ import annotations

import logging
import os
import secrets
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ...clock import Clock, system_now
from ...errors import NotFoundError
from ...referral.delivery_secrets import PLAINTEXT, Keyring, Sealed, SecretError, aad_for
from ...referral.key_strength import check_key
from ...referral.providers import ProviderInfo
from ...store.tables_referral import provider_secrets
from ...store.tables_referral import providers as providers_table
from ..access import audit
from ..access.users import require_actor

PURPOSE = "webhook"
LEGACY_CONTACT = "webhook_secret"
MANAGER_ROLES = ("approver",)  # and admin
log = logging.getLogger("openiru.delivery")


def keyring(allow_plaintext: bool = False) -> Keyring:
    return Keyring.from_env(os.environ, allow_plaintext)


def _sealed(conn: sa.Connection, provider: str) -> Sealed | None:
    row = conn.execute(
        sa.select(provider_secrets).where(
            provider_secrets.c.provider == provider, provider_secrets.c.purpose == PURPOSE
        )
    ).first()
    return Sealed(row.scheme, row.key_id, row.value) if row else None


def _legacy(conn: sa.Connection, provider: str) -> str | None:
    contacts = conn.execute(
        sa.select(providers_table.c.contacts).where(providers_table.c.name == provider)
    ).scalar()
    value = (contacts or {}).get(LEGACY_CONTACT)
    return str(value) if value else None


def _write(conn: sa.Connection, provider: str, sealed: Sealed, t: datetime) -> None:
    conn.execute(
        sa.delete(provider_secrets).where(
            provider_secrets.c.provider == provider, provider_secrets.c.purpose == PURPOSE
        )
    )
    conn.execute(
        sa.insert(provider_secrets).values(
            provider=provider,
            purpose=PURPOSE,
            scheme=sealed.scheme,
            key_id=sealed.key_id,
            value=sealed.value,
            updated_at=t,
        )
    )
    contacts = conn.execute(
        sa.select(providers_table.c.contacts).where(providers_table.c.name == provider)
    ).scalar()
    if contacts and LEGACY_CONTACT in contacts:  # the plain-text copy of an earlier version goes
        kept = {k: v for k, v in contacts.items() if k != LEGACY_CONTACT}
        conn.execute(
            sa.update(providers_table).where(providers_table.c.name == provider).values(contacts=kept)
        )


def webhook_secret(engine: sa.Engine, provider: str, ring: Keyring | None = None) -> str | None:
    """The provider's stored webhook secret, opened; None when it has none."""
    with engine.connect() as conn:
        sealed = _sealed(conn, provider)
        legacy = None if sealed else _legacy(conn, provider)
    if sealed is not None:
        return (ring or keyring()).open(sealed, aad_for(PURPOSE, provider))
    if legacy:
        log.warning(
            "provider %r: webhook secret stored in plain text by an earlier version; "
            "run 'openiru provider secret reencrypt'",
            provider,
        )
    return legacy


def store(
    engine: sa.Engine,
    provider: str,
    secret: str,
    actor: str,
    ring: Keyring | None = None,
    generated: bool = False,
    now: Clock = system_now,
) -> dict[str, Any]:
    """Seal and store ``secret`` (refused without a key unless plain text is allowed); audited."""
    if not generated:  # a key typed or pasted by a person: long enough and not plainly regular
        check_key(secret, f"the webhook secret of {provider}")
    ring = ring or keyring()
    sealed = ring.seal(secret, aad_for(PURPOSE, provider))
    if sealed.scheme == PLAINTEXT:
        log.warning("provider %r: webhook secret stored in plain text (explicitly allowed)", provider)
    with engine.begin() as conn:
        if (
            conn.execute(sa.select(providers_table.c.name).where(providers_table.c.name == provider)).first()
            is None
        ):
            raise NotFoundError(f"no provider {provider!r}; see 'openiru provider list'")
        _write(conn, provider, sealed, now())
        audit.record(
            conn,
            actor,
            "provider.webhook_secret",
            "provider",
            provider,
            {"generated": generated, "scheme": sealed.scheme, "key_id": sealed.key_id},
            now=now,
        )
    return {
        "provider": provider,
        "purpose": PURPOSE,
        "scheme": sealed.scheme,
        "key_id": sealed.key_id,
        "encrypted": sealed.scheme != PLAINTEXT,
        "generated": generated,
    }


def ensure_webhook_secret(
    engine: sa.Engine,
    provider: ProviderInfo,
    options: dict[str, Any],
    allow_plaintext: bool = False,
    now: Clock = system_now,
) -> None:
    """Put the provider's webhook secret into the channel options, generating one on first use.

    An explicit option or environment variable takes precedence and stores nothing.  The
    unit hands a generated secret to the provider with ``openiru provider secret show``.
    """
    env_name = provider.contacts.get("webhook_secret_env") or "OPENIRU_WEBHOOK_SECRET"
    if options.get("secret") or os.environ.get(env_name):
        return
    ring = keyring(allow_plaintext)
    secret = webhook_secret(engine, provider.name, ring)
    if secret is None:
        secret = secrets.token_urlsafe(32)
        store(engine, provider.name, secret, "system", ring, generated=True, now=now)
    options["secret"] = secret


def reveal(engine: sa.Engine, actor: str | None, provider: str, now: Clock = system_now) -> str:
    """The secret in clear, for handing it to the provider (approvers and admins; audited)."""
    user = require_actor(engine, actor, MANAGER_ROLES)
    secret = webhook_secret(engine, provider)
    if secret is None:
        raise NotFoundError(
            f"provider {provider!r} has no stored webhook secret; 'openiru provider secret set' generates one"
        )
    with engine.begin() as conn:
        audit.record(conn, user.name, "provider.webhook_secret_reveal", "provider", provider, {}, now=now)
    return secret


def status(engine: sa.Engine) -> list[dict[str, Any]]:
    """Which providers have a webhook secret and how it is kept (never the secret itself)."""
    ring = keyring()
    out = []
    with engine.connect() as conn:
        for row in conn.execute(sa.select(provider_secrets).order_by(provider_secrets.c.provider)):
            sealed = Sealed(row.scheme, row.key_id, row.value)
            out.append(
                {
                    "provider": row.provider,
                    "purpose": row.purpose,
                    "scheme": row.scheme,
                    "key_id": row.key_id,
                    "encrypted": row.scheme != PLAINTEXT,
                    "current_key": ring.is_current(sealed),
                    "legacy_contact": False,
                    "updated_at": str(row.updated_at),
                }
            )
        for name, contacts in conn.execute(
            sa.select(providers_table.c.name, providers_table.c.contacts).order_by(providers_table.c.name)
        ):
            if (contacts or {}).get(LEGACY_CONTACT):
                out.append(
                    {
                        "provider": name,
                        "purpose": PURPOSE,
                        "scheme": PLAINTEXT,
                        "key_id": None,
                        "encrypted": False,
                        "current_key": False,
                        "legacy_contact": True,
                        "updated_at": None,
                    }
                )
    return out


def reencrypt(engine: sa.Engine, actor: str | None, now: Clock = system_now) -> dict[str, Any]:
    """Seal every plain-text secret (legacy contacts included) and reseal old-key ones (admins)."""
    user = require_actor(engine, actor, ("admin",))
    ring = keyring()
    if ring.current is None:
        raise SecretError(
            "re-encryption needs OPENIRU_SECRET_KEY (and OPENIRU_SECRET_KEY_OLD for "
            "secrets sealed with a previous key)"
        )
    counts = {"resealed": 0, "from_plaintext": 0, "from_contacts": 0, "unchanged": 0}
    for item in status(engine):
        name = item["provider"]
        if item["current_key"]:
            counts["unchanged"] += 1
            continue
        secret = webhook_secret(engine, name, ring)
        if secret is None:
            continue
        sealed = ring.seal(secret, aad_for(PURPOSE, name))
        with engine.begin() as conn:
            _write(conn, name, sealed, now())
        kind = (
            "from_contacts"
            if item["legacy_contact"]
            else ("resealed" if item["encrypted"] else "from_plaintext")
        )
        counts[kind] += 1
    with engine.begin() as conn:
        audit.record(
            conn,
            user.name,
            "provider.secrets_reencrypt",
            "provider",
            "*",
            {**counts, "key_id": ring.current.key_id},
            now=now,
        )
    return {**counts, "key_id": ring.current.key_id}
