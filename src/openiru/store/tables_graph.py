"""Tables of the graph area: analysts' seed accounts (see migration ``0003_graph``)."""

from __future__ import annotations

import sqlalchemy as sa

from .schema import TS, metadata

#: Accounts an analyst marked as part of the recognised community; personalised PageRank restarts
#: at them.  ``added_by`` is the acting user when one was given.
graph_seeds = sa.Table(
    "graph_seeds",
    metadata,
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("account_id", sa.Text, primary_key=True),
    sa.Column("added_by", sa.String(100)),
    sa.Column("added_at", TS, nullable=False),
    sa.Column("note", sa.Text),
)
