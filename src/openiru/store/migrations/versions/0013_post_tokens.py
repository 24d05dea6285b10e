"""post token index: hashed normalised words of scanned posts, for rescans after a lexicon change (issue 14)

Revision ID: 0013_post_tokens
Revises: 0012_triage_assign
Create Date: 2026-12-07 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_post_tokens"
down_revision = "0012_triage_assign"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "detect_post_tokens",
        sa.Column("platform", sa.String(length=100), nullable=False),
        sa.Column("post_id", sa.Text(), nullable=False),
        sa.Column("tokens", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("platform", "post_id", name=op.f("pk_detect_post_tokens")),
    )


def downgrade() -> None:
    op.drop_table("detect_post_tokens")
    op.execute("DELETE FROM detect_state WHERE key = 'post_tokens'")
