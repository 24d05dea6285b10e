"""edges: an index on the target as the source names it (issue 14)

``ix_edges_target_ref`` on (target_platform, target_ref).  Every batch a scan writes counts the
edges pointing at each flagged post (``target_ref = 'post:<id>'``, the reach an alert's
priority reads); with only (target_platform, target_account_id) indexed, that visited every
edge of the platform once per batch: 1.1 of the 11 CPU seconds of ``openiru scan`` over
36,566 posts with 24,899 edges, and growing with the store.

Chained after the newest head (0017_posts_account_time), as 0017 explains.

Revision ID: 0018_edges_target_ref
Revises: 0017_posts_account_time
Create Date: 2026-12-07 20:15:00
"""

from __future__ import annotations

from alembic import op

revision = "0018_edges_target_ref"
down_revision = "0017_posts_account_time"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_edges_target_ref", "edges", ["target_platform", "target_ref"])


def downgrade() -> None:
    op.drop_index("ix_edges_target_ref", table_name="edges")
