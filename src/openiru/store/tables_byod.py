"""Tables of account lists (bring your own data): who listed which account, and to what end.

An account list (``openiru accounts import``) marks each account it names with an intent:
``listed`` (only known to be on a list), ``seed`` (also a seed of the ranking, in
``graph_seeds``), ``watch`` (to be collected live; the watchlist reads these rows) or
``label`` with a label name.  ``source`` is the list's file name, ``location`` the line.
Migration ``0008_byod_account_lists``.
"""

from __future__ import annotations

import sqlalchemy as sa

from .schema import TS, metadata

account_list_entries = sa.Table(
    "account_list_entries",
    metadata,
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("account_id", sa.Text, primary_key=True),
    sa.Column("intent", sa.String(16), primary_key=True),
    sa.Column("label", sa.String(200), primary_key=True, default=""),
    sa.Column("source", sa.Text),
    sa.Column("location", sa.String(100)),
    sa.Column("added_by", sa.String(100)),
    sa.Column("added_at", TS, nullable=False),
)
sa.Index("ix_account_list_entries_intent", account_list_entries.c.intent, account_list_entries.c.label)
