"""referral document options (TCO Annex I section C: refrain from informing)

Revision ID: 0004_referral_documents
Revises: 0004_referral
Create Date: 2026-11-25 12:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_referral_documents"
down_revision = "0004_referral"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_options", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("referrals", schema=None) as batch_op:
        batch_op.drop_column("document_options")
