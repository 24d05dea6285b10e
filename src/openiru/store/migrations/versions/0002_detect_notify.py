"""detection: PostgreSQL tells listeners when the triage queue changes

Revision ID: 0002_detect_notify
Revises: 0002_detect_cards
Create Date: 2026-11-25 16:00:00

A statement-level trigger on ``detect_alerts`` sends ``NOTIFY openiru_alerts`` (delivered at
commit, once per transaction): API workers drop the triage pages they hold
(``openiru.api.page_cache``).  PostgreSQL only; nothing on SQLite.
"""

from __future__ import annotations

from alembic import op

revision = "0002_detect_notify"
down_revision = "0002_detect_cards"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("""
        CREATE OR REPLACE FUNCTION openiru_alerts_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('openiru_alerts', '');
            RETURN NULL;
        END $$""")
    op.execute("""
        CREATE TRIGGER detect_alerts_changed
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON detect_alerts
        FOR EACH STATEMENT EXECUTE FUNCTION openiru_alerts_changed()""")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER IF EXISTS detect_alerts_changed ON detect_alerts")
    op.execute("DROP FUNCTION IF EXISTS openiru_alerts_changed()")
