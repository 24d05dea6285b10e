"""bank items: one unique index on (kind, value_key, bank) instead of a unique constraint on
(bank, kind, value_key) plus an index on (kind, value_key) (issue 14, bank import)

The same uniqueness, one index fewer to maintain, and an index a bulk import can drop and
build once at the end (SQLite cannot drop a table constraint).  Lookups by (kind, value_key),
the matcher's, use its leading columns as they used the dropped index.

Revision ID: 0011_bank_item_key
Revises: 0010_media_features
Create Date: 2026-12-07 06:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0011_bank_item_key"
down_revision = "0010_media_features"
branch_labels = None
depends_on = ("0002_detect_notify",)


def upgrade() -> None:
    with op.batch_alter_table("detect_bank_items", schema=None) as batch_op:
        batch_op.drop_index("ix_detect_bank_items_kind_value")
        batch_op.drop_constraint("uq_detect_bank_items_value", type_="unique")
    with op.batch_alter_table("detect_bank_items", schema=None) as batch_op:
        batch_op.create_index("uq_detect_bank_items_value", ["kind", "value_key", "bank"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("detect_bank_items", schema=None) as batch_op:
        batch_op.drop_index("uq_detect_bank_items_value")
    with op.batch_alter_table("detect_bank_items", schema=None) as batch_op:
        batch_op.create_unique_constraint("uq_detect_bank_items_value", ["bank", "kind", "value_key"])
        batch_op.create_index("ix_detect_bank_items_kind_value", ["kind", "value_key"], unique=False)
