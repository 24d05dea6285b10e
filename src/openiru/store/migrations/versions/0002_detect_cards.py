"""detection: triage-queue cards stored with each alert

Revision ID: 0002_detect_cards
Revises: 0002_detect
Create Date: 2026-11-25 15:10:00

Alerts written before this revision have no card; ``openiru serve`` fills them at start
(``services.triage_queue.fill_missing_cards``) and a page builds any still missing on read.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_detect_cards"
down_revision = "0002_detect"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("detect_alerts") as batch:
        batch.add_column(sa.Column("card", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("detect_alerts") as batch:
        batch.drop_column("card")
