"""Tables of the api area: console sessions, API tokens and login attempts.

Secrets are never stored: a session id and an API token are random strings
handed to the client once; the database keeps only their SHA-256, so a copy
of the database does not let anyone log in.  Login attempts are kept to rate
limit and lock out password guessing (see ``services/access/auth.py``).
"""

from __future__ import annotations

import sqlalchemy as sa

from .schema import TS, metadata

api_sessions = sa.Table(
    "api_sessions",
    metadata,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user_name", sa.String(100), nullable=False, index=True),
    sa.Column("csrf_token", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("last_seen", TS, nullable=False),
)

api_tokens = sa.Table(
    "api_tokens",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("user_name", sa.String(100), nullable=False, index=True),
    sa.Column("label", sa.String(200), nullable=False, default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS),
    sa.Column("last_used_at", TS),
    sa.Column("revoked", sa.Boolean, nullable=False, default=False),
)

login_attempts = sa.Table(
    "login_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("user_name", sa.String(100), nullable=False),
    sa.Column("remote", sa.String(100), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("success", sa.Boolean, nullable=False),
    sa.Index("ix_login_attempts_user", "user_name", "at"),
    sa.Index("ix_login_attempts_remote", "remote", "at"),
)

#: Whole-graph results the API computed (the key-accounts ranking), kept so that every
#: server worker and a restarted server serve the last ranking instead of recomputing it
#: (minutes on millions of posts).  ``refreshing_since`` is a claim: one worker recomputes.
api_rankings = sa.Table(
    "api_rankings",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("computed_at", TS, nullable=False),
    sa.Column("refreshing_since", TS),
    sa.Column("payload", sa.LargeBinary, nullable=False),
)
