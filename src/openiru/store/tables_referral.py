"""Tables of the referral area (see its migration branch in migrations/versions).

Providers, referrals with their targets and transition history, deconfliction
entries and the notifications they raise, preserved evidence, deliveries,
Referral Action Days (operations) and the hash-chained audit log.
"""

from __future__ import annotations

import sqlalchemy as sa

from .schema import TS, metadata

providers = sa.Table(
    "providers",
    metadata,
    sa.Column("name", sa.String(200), primary_key=True),
    sa.Column("legal_name", sa.Text),
    sa.Column("platforms", sa.JSON, nullable=False),
    sa.Column("domains", sa.JSON, nullable=False),
    # {"email": ..., "web_form": ..., "api_endpoint": ..., "webhook": ..., "webhook_secret_env": ...}
    sa.Column("contacts", sa.JSON, nullable=False),
    sa.Column("languages", sa.JSON, nullable=False),
    sa.Column("tco_contact", sa.Text),
    sa.Column("legal_representative", sa.Text),
    sa.Column("main_establishment", sa.String(8)),
    sa.Column("identification_required", sa.Boolean),
    sa.Column("kind", sa.String(32)),
    sa.Column("notes", sa.Text),
    sa.Column("updated_at", TS, nullable=False),
)

referrals = sa.Table(
    "referrals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("state", sa.String(32), nullable=False, index=True),
    sa.Column("provider", sa.String(200), index=True),
    sa.Column("reason", sa.Text),
    sa.Column("grounds", sa.JSON),
    sa.Column("reference", sa.String(100), nullable=False, unique=True),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("approved_by", sa.String(100)),
    sa.Column("approved_at", TS),
    sa.Column("sent_at", TS),
    sa.Column("channel", sa.String(32)),
    sa.Column("acknowledged_at", TS),
    sa.Column("resolved_at", TS),
    # Clock stops (force majeure, clarification): [{"start", "end", "reason"}].
    sa.Column("pauses", sa.JSON),
    sa.Column("hold_from", sa.String(32)),
    sa.Column("feedback", sa.JSON),
    sa.Column("operation_id", sa.Integer, index=True),
    sa.Column("updated_at", TS, nullable=False),
    # Removal orders: {"refrain_from_informing": bool, "refrain_reason": str, "refrain_until": str}
    # (TCO Annex I section C), added by migration 0004_referral_documents.
    sa.Column("document_options", sa.JSON),
)

referral_targets = sa.Table(
    "referral_targets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("referral_id", sa.Integer, nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("key", sa.String(700), nullable=False, index=True),
    sa.Column("platform", sa.String(100)),
    sa.Column("url", sa.Text),
    sa.Column("content_hash", sa.String(64), index=True),
    sa.Column("language", sa.String(16)),
)

referral_events = sa.Table(
    "referral_events",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("referral_id", sa.Integer, nullable=False, index=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("from_state", sa.String(32)),
    sa.Column("to_state", sa.String(32), nullable=False),
    sa.Column("reason", sa.Text),
)

deconfliction_entries = sa.Table(
    "deconfliction_entries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agency", sa.String(100), nullable=False, index=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("value", sa.String(700), nullable=False, index=True),
    sa.Column("investigation_ref", sa.Text, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS),
    sa.Column("active", sa.Boolean, nullable=False),
)

notifications = sa.Table(
    "notifications",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("agency", sa.String(100), nullable=False, index=True),
    sa.Column("at", TS, nullable=False),
    sa.Column("referral_id", sa.Integer),
    sa.Column("entry_id", sa.Integer),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("read_at", TS),
)

evidence = sa.Table(
    "evidence",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("referral_id", sa.Integer, nullable=False, index=True),
    sa.Column("target_key", sa.String(700), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("path", sa.Text),
    sa.Column("sha256", sa.String(64)),
    sa.Column("size", sa.BigInteger),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("purged_at", TS),
    sa.Column("meta", sa.JSON),
)

deliveries = sa.Table(
    "deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("referral_id", sa.Integer, nullable=False, index=True),
    sa.Column("channel", sa.String(32), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("ok", sa.Boolean, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("detail", sa.JSON),
)

operations = sa.Table(
    "operations",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("agencies", sa.JSON, nullable=False),
    sa.Column("starts_at", TS, nullable=False),
    sa.Column("ends_at", TS, nullable=False),
    # {"platforms": [...], "languages": [...], "organisations": [...]}
    sa.Column("targets", sa.JSON, nullable=False),
    sa.Column("created_by", sa.String(100), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

operation_items = sa.Table(
    "operation_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("operation_id", sa.Integer, nullable=False, index=True),
    sa.Column("target_key", sa.String(700), nullable=False),
    sa.Column("platform", sa.String(100)),
    sa.Column("language", sa.String(16)),
    sa.Column("assigned_to", sa.String(100)),
    sa.Column("added_by", sa.String(100), nullable=False),
    sa.Column("added_at", TS, nullable=False),
    sa.Column("referral_id", sa.Integer),
    sa.UniqueConstraint("operation_id", "target_key", name="uq_operation_items_target"),
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("action", sa.String(64), nullable=False),
    sa.Column("object_type", sa.String(64), nullable=False),
    sa.Column("object_id", sa.String(700), nullable=False),
    # Canonical JSON text (sorted keys), hashed as stored.
    sa.Column("details", sa.Text, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

# Delivery secrets (webhook HMAC keys), sealed with AES-256-GCM under OPENIRU_SECRET_KEY
# (services/referral/secrets.py); scheme "plaintext" only where explicitly allowed for demos.
# Added by migration 0004_referral_secrets.
provider_secrets = sa.Table(
    "provider_secrets",
    metadata,
    sa.Column("provider", sa.String(200), primary_key=True),
    sa.Column("purpose", sa.String(32), primary_key=True),
    sa.Column("scheme", sa.String(32), nullable=False),
    sa.Column("key_id", sa.String(32)),
    sa.Column("value", sa.Text, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)
