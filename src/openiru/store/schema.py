"""The foundation tables: platforms, accounts, posts, media, edges, users, import runs.

Other areas (detection, graph, referral, API) define their tables in their own
``store/tables_*.py`` modules on the same :data:`metadata`; ``all_tables``
imports them so Alembic and ``create_all`` see one schema.

Natural keys are used throughout: ``(platform, account_id)`` and
``(platform, post_id)`` exactly as the source gives them.  This makes
re-imports idempotent (``INSERT ... ON CONFLICT DO NOTHING``) and keeps the
raw ids that held-out evaluations and referrals speak in.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

TS = sa.DateTime(timezone=True)

platforms = sa.Table(
    "platforms",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("domains", sa.JSON, nullable=False, default=list),
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("account_id", sa.Text, primary_key=True),  # ids: TEXT, bounded by store.clean
    sa.Column("handle", sa.Text),
    sa.Column("display_name", sa.Text),
    sa.Column("bio", sa.Text),
    sa.Column("avatar_media", sa.String(600)),
    sa.Column("created_at", TS),
    sa.Column("first_seen", TS),
    sa.Column("last_seen", TS),
    sa.Column("followers", sa.Integer),
    sa.Column("status", sa.String(16), nullable=False, default="unknown"),
    sa.Column("status_changed_at", TS),
    sa.Column("meta", sa.JSON),
    sa.Index("ix_accounts_handle", "platform", "handle"),
)

posts = sa.Table(
    "posts",
    metadata,
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("post_id", sa.Text, primary_key=True),
    sa.Column("account_id", sa.Text, nullable=False),
    sa.Column("timestamp", TS, nullable=False),
    sa.Column("text", sa.Text, nullable=False, default=""),
    sa.Column("language", sa.String(16)),
    sa.Column("urls", sa.JSON),
    sa.Column("hashtags", sa.JSON),
    sa.Column("mentions", sa.JSON),
    sa.Column("reply_to", sa.Text),
    sa.Column("repost_of", sa.Text),
    sa.Column("quote_of", sa.Text),
    sa.Column("forward_from", sa.Text),
    sa.Column("forward_from_name", sa.Text),
    sa.Column("meta", sa.JSON),
    sa.Column("raw", sa.Text, nullable=False, default=""),
    sa.Column("scanned_at", TS),
    sa.Index("ix_posts_account", "platform", "account_id", "timestamp", "post_id"),  # 0017: time order
    sa.Index("ix_posts_timestamp", "timestamp"),
)

media = sa.Table(
    "media",
    metadata,
    sa.Column("media_key", sa.String(600), primary_key=True),
    sa.Column("sha256", sa.String(64), index=True),
    sa.Column("md5", sa.String(32), index=True),
    sa.Column("mime", sa.String(100)),
    sa.Column("size", sa.BigInteger),
    sa.Column("path", sa.Text),
    sa.Column("url", sa.Text),
    sa.Column("pdq", sa.String(64), index=True),
    sa.Column("pdq_quality", sa.Integer),
    sa.Column("missing", sa.Boolean, nullable=False, default=False),
)

post_media = sa.Table(
    "post_media",
    metadata,
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("post_id", sa.Text, primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("media_key", sa.String(600), nullable=False, index=True),
)

edges = sa.Table(
    "edges",
    metadata,
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("post_id", sa.Text, primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    # The target as the source names it: an account id, "post:<id>" (author to be
    # resolved from that post), or "handle:<name>" (resolved by handle lookup).
    sa.Column("target_ref", sa.Text, primary_key=True),
    sa.Column("source_account_id", sa.Text, nullable=False),
    sa.Column("target_platform", sa.String(100), nullable=False),
    sa.Column("target_account_id", sa.Text),
    sa.Column("time", TS, nullable=False),
    sa.Index("ix_edges_source", "platform", "source_account_id"),
    sa.Index("ix_edges_target", "target_platform", "target_account_id"),
    # 0018: the edges to a post, counted for an alert's reach (services/detect/store.py)
    sa.Index("ix_edges_target_ref", "target_platform", "target_ref"),
)

users = sa.Table(
    "users",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("role", sa.String(32), nullable=False),
    sa.Column("agency", sa.String(100)),
    sa.Column("provider", sa.String(200)),
    sa.Column("password_hash", sa.String(255)),
    sa.Column("disabled", sa.Boolean, nullable=False, default=False),
    sa.Column("created_at", TS, nullable=False),
)

import_runs = sa.Table(
    "import_runs",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("path", sa.Text, nullable=False),
    sa.Column("format", sa.String(50), nullable=False),
    sa.Column("platform", sa.String(100), nullable=False),
    sa.Column("started_at", TS, nullable=False),
    sa.Column("finished_at", TS),
    sa.Column("summary", sa.JSON),
    # running | finished | aborted | failed | interrupted (services/collect/runs.py)
    sa.Column("status", sa.String(16)),
    sa.Column("owner", sa.String(300)),  # host:pid of the importing process
    sa.Column("heartbeat_at", TS),
)
