"""media features: vPDQ of videos, OCR text of images, text of documents, read once (issue 18)

Revision ID: 0010_media_features
Revises: 0009_collect
Create Date: 2026-12-07 06:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_media_features"
down_revision = "0009_collect"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_features",
        sa.Column("media_key", sa.String(length=600), nullable=False),
        sa.Column("vpdq", sa.Text(), nullable=True),
        sa.Column("vpdq_frames", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("text_origin", sa.String(length=16), nullable=True),
        sa.Column("ocr_languages", sa.String(length=100), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("media_key", name=op.f("pk_media_features")),
    )


def downgrade() -> None:
    op.drop_table("media_features")
