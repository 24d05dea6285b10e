"""media features: the PDQ of the images inside a PDF, read once at scan (issue 18)

Revision ID: 0016_document_images
Revises: 0015_bank_item_key_order
Create Date: 2026-12-07 14:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_document_images"
down_revision = "0015_bank_item_key_order"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("media_features") as batch:
        batch.add_column(sa.Column("image_pdqs", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("media_features") as batch:
        batch.drop_column("image_pdqs")
