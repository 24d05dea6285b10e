"""store: ids and handles as TEXT; import runs with status, owner and heartbeat

Revision ID: 0007_store_text
Revises: 0001
Create Date: 2026-12-07 03:00:00

PostgreSQL refused a post id, account id or handle longer than 255 characters (an
ActivityPub id is a URL) and so lost the whole batch; they are TEXT now, in every
table that holds them (the ingest bounds them, see ``store/clean.py``).  On
PostgreSQL ``varchar`` to ``text`` rewrites no table; on SQLite the tables are
rebuilt (Alembic's batch mode).  ``import_runs`` gains ``status``, ``owner`` and
``heartbeat_at``, so that the next import can close a run killed mid-way as
interrupted (``services/collect/runs.py``); finished runs become ``finished``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_store_text"
down_revision = "0001"
branch_labels = None
depends_on = ("0002_detect", "0003_graph")

#: table -> (column, old length, nullable) turned to TEXT
COLUMNS: dict[str, list[tuple[str, int, bool]]] = {
    "accounts": [("account_id", 255, False), ("handle", 255, True)],
    "posts": [
        ("post_id", 255, False),
        ("account_id", 255, False),
        ("reply_to", 255, True),
        ("repost_of", 255, True),
        ("quote_of", 255, True),
        ("forward_from", 255, True),
    ],
    "post_media": [("post_id", 255, False)],
    "edges": [
        ("post_id", 255, False),
        ("target_ref", 300, False),
        ("source_account_id", 255, False),
        ("target_account_id", 255, True),
    ],
    "detect_hits": [("post_id", 255, False)],
    "detect_signals": [("post_id", 255, False), ("account_id", 255, False)],
    "detect_alerts": [("post_id", 255, False), ("account_id", 255, False)],
    "detect_decisions": [("post_id", 255, False), ("account_id", 255, False)],
    "graph_seeds": [("account_id", 255, False)],
}


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, length, nullable in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.String(length=length),
                    type_=sa.Text(),
                    existing_nullable=nullable,
                )
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("status", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("owner", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE import_runs SET status = 'finished' WHERE finished_at IS NOT NULL")


def downgrade() -> None:
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("owner")
        batch_op.drop_column("status")
    for table, columns in reversed(COLUMNS.items()):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column, length, nullable in columns:
                batch_op.alter_column(
                    column,
                    existing_type=sa.Text(),
                    type_=sa.String(length=length),
                    existing_nullable=nullable,
                )
