"""referral delivery secrets sealed at rest (webhook HMAC keys out of the providers' contacts)

Revision ID: 0004_referral_secrets
Revises: 0004_referral_documents
Create Date: 2026-11-25 15:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_referral_secrets"
down_revision = "0004_referral_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_secrets",
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("scheme", sa.String(length=32), nullable=False),
        sa.Column("key_id", sa.String(length=32), nullable=True),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", "purpose", name=op.f("pk_provider_secrets")),
    )


def downgrade() -> None:
    op.drop_table("provider_secrets")
