"""api performance: stored whole-graph rankings shared by server workers

Revision ID: 0006_api_perf
Revises: 0005_api
Create Date: 2026-11-25 13:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_api_perf"
down_revision = "0005_api"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_rankings",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refreshing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_api_rankings")),
    )


def downgrade() -> None:
    op.drop_table("api_rankings")
