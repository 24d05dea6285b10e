"""posts: the account index carries the time order (issue 16, item 2)

``ix_posts_account`` on (platform, account_id) becomes (platform, account_id, timestamp,
post_id): an account's posts newest first (its page, ``/api/v1/posts?account_id=``) are one
backward range of the index instead of every post of the account fetched and sorted, and its
profile's first/last post and count are read from the index alone.  Measured on 10,000,000
posts in BENCHMARKS.md ("Scale-out (issue 16)").  On PostgreSQL the build takes the table's
write lock for its duration (tens of seconds at 10M posts; a partitioned posts table builds it
on every partition).

Chained after the newest head (0016_document_images), not on the store branch after
0007_store_text: there (as down_revision or depends_on) Alembic's ``upgrade heads`` from an empty
database fails with ``KeyError: '0001'`` (0007 has its own depends_on).
tests/test_posts_account_index.py checks the index a fresh SQLite and PostgreSQL database get.

Revision ID: 0017_posts_account_time
Revises: 0016_document_images
Create Date: 2026-12-07 14:40:00
"""

from __future__ import annotations

from alembic import op

revision = "0017_posts_account_time"
down_revision = "0016_document_images"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_posts_account", table_name="posts")
    op.create_index("ix_posts_account", "posts", ["platform", "account_id", "timestamp", "post_id"])


def downgrade() -> None:
    op.drop_index("ix_posts_account", table_name="posts")
    op.create_index("ix_posts_account", "posts", ["platform", "account_id"])
