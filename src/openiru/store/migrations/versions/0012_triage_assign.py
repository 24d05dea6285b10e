"""triage assignment: which analyst an alert is assigned to (issue 12)

Revision ID: 0012_triage_assign
Revises: 0002_detect_notify
Create Date: 2026-12-07 06:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_triage_assign"
down_revision = "0002_detect_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detect_assignments",
        sa.Column("platform", sa.String(length=100), nullable=False),
        sa.Column("post_id", sa.Text(), nullable=False),
        sa.Column("assignee", sa.String(length=100), nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "post_id", name=op.f("pk_detect_assignments")),
    )
    op.create_index("ix_detect_assignments_assignee", "detect_assignments", ["assignee"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_detect_assignments_assignee", table_name="detect_assignments")
    op.drop_table("detect_assignments")
