"""account lists: the accounts a list named, with the intent (listed, seed, watch, label)

Revision ID: 0008_byod_account_lists
Revises: 0001
Create Date: 2026-12-07 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_byod_account_lists"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_list_entries",
        sa.Column("platform", sa.String(length=100), nullable=False),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("intent", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("source", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=100), nullable=True),
        sa.Column("added_by", sa.String(length=100), nullable=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "platform", "account_id", "intent", "label", name=op.f("pk_account_list_entries")
        ),
    )
    op.create_index(
        "ix_account_list_entries_intent", "account_list_entries", ["intent", "label"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_account_list_entries_intent", table_name="account_list_entries")
    op.drop_table("account_list_entries")
