"""worker notifications: what the notify role sent, one row per notification key (issue 16)

Revision ID: 0014_worker_notifications
Revises: 0013_post_tokens
Create Date: 2026-12-07 14:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_worker_notifications"
down_revision = "0013_post_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "worker_notifications",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_worker_notifications")),
    )
    op.create_index("ix_worker_notifications_due", "worker_notifications", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_index("ix_worker_notifications_due", table_name="worker_notifications")
    op.drop_table("worker_notifications")
