"""Tables of live collection: the watchlist, a checkpoint per target, scheduler leases.

``watch_targets`` holds what is watched (connector, target text, server, how often,
paused or not) and how its last run went.  ``collect_checkpoints`` holds one JSON
checkpoint per target key (``connector|server|target``), written in the transaction
of the batch it covers.  ``scheduler_leases`` lets one process at a time run a named
job (a row per job: who holds it until when, when it last ran).  ``worker_notifications``
records each notification the notify workers send (one row per notification key, claimed by
one worker at a time).  Migrations ``0009_collect``, ``0014_worker_notifications``.
"""

from __future__ import annotations

import sqlalchemy as sa

from .schema import TS, metadata

watch_targets = sa.Table(
    "watch_targets",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("connector", sa.String(50), nullable=False),
    sa.Column("target", sa.Text, nullable=False),
    sa.Column("server", sa.Text, nullable=False, default=""),
    sa.Column("label", sa.String(200)),
    sa.Column("every_s", sa.Integer, nullable=False),
    sa.Column("paused", sa.Boolean, nullable=False, default=False),
    sa.Column("added_by", sa.String(100)),
    sa.Column("added_at", TS, nullable=False),
    sa.Column("next_due_at", TS),
    sa.Column("last_run_at", TS),
    sa.Column("last_status", sa.String(16)),
    sa.Column("last_error", sa.Text),
    sa.UniqueConstraint("connector", "server", "target"),
)

collect_checkpoints = sa.Table(
    "collect_checkpoints",
    metadata,
    sa.Column("target_key", sa.Text, primary_key=True),
    sa.Column("state", sa.Text, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

scheduler_leases = sa.Table(
    "scheduler_leases",
    metadata,
    sa.Column("job", sa.String(200), primary_key=True),
    sa.Column("holder", sa.String(200)),
    sa.Column("expires_at", TS),
    sa.Column("last_run_at", TS),
)


#: Notifications of the notify role (services/workers/notify.py): one row per notification key
#: (``alert:<platform>:<post_id>``, ``referral-due-soon:<id>``, ``referral-overdue:<id>``), so
#: however many workers find it due it is recorded, claimed and sent once.
worker_notifications = sa.Table(
    "worker_notifications",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("next_attempt_at", TS, nullable=False),
    sa.Column("claimed_by", sa.String(200)),
    sa.Column("claimed_until", TS),
    sa.Column("sent_at", TS),
    sa.Column("last_error", sa.String(500)),
    sa.Index("ix_worker_notifications_due", "state", "next_attempt_at"),
)
