"""bank items: the unique index's columns as (value_key, kind, bank) instead of (kind, value_key,
bank) (issue 14, bank import)

The same uniqueness and the same equality look-ups (the matcher asks for kind and value_key
together), but an index SQLite builds ~25 % faster: its sorter compares the first column with a
fast path and goes through the general record comparison only on a tie, and with ``kind`` first
every comparison was a tie (a PDQ bank holds one kind).  A bulk import of a million hashes
builds it once (services/detect/bulk.py).

Revision ID: 0015_bank_item_key_order
Revises: 0011_bank_item_key
Create Date: 2026-12-07 14:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0015_bank_item_key_order"
down_revision = "0011_bank_item_key"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("uq_detect_bank_items_value", table_name="detect_bank_items")
    op.create_index(
        "uq_detect_bank_items_value", "detect_bank_items", ["value_key", "kind", "bank"], unique=True
    )


def downgrade() -> None:
    op.drop_index("uq_detect_bank_items_value", table_name="detect_bank_items")
    op.create_index(
        "uq_detect_bank_items_value", "detect_bank_items", ["kind", "value_key", "bank"], unique=True
    )
