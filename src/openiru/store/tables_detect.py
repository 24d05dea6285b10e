"""Tables of the detect area: hash banks, lexicons, hits, signals, alerts, decisions, models.

* ``detect_banks`` / ``detect_bank_items``: named banks of known content (PDQ, MD5,
  SHA-256, URL, text), each item with its labels; a bank is either a *match* bank
  or a *suppression* bank (known false positives that must never alert).
* ``detect_lexicon_terms``: multilingual terms, hashtags and outlet names.
* ``detect_hits``: the evidence of every match on a post (matcher, bank item,
  distance or similarity, term and span).
* ``detect_signals``: financing and URL indicators (wallets, donation links, file
  hosts, unknown domains), linkable across accounts and platforms.
* ``detect_alerts``: one per post with hits: the triage queue.
* ``detect_decisions``: analysts' confirm / reject decisions with reasons (training data).
* ``detect_assignments``: which analyst an alert is assigned to (claimed or handed over), by whom, when.
* ``detect_models``: versioned classifiers with their training metadata.
* ``detect_state``: small key/value state (ruleset version).
* ``detect_post_tokens``: each scanned post's normalised words, hashed, so a new lexicon term
  re-scans only the posts that hold its words (services/detect/tokens.py).
"""

from __future__ import annotations

import sqlalchemy as sa

from .schema import TS, metadata

detect_banks = sa.Table(
    "detect_banks",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("purpose", sa.String(16), nullable=False, default="match"),
    sa.Column("pdq_max_distance", sa.Integer, nullable=False, default=31),
    sa.Column("pdq_min_quality", sa.Integer, nullable=False, default=50),
    sa.Column("text_min_similarity", sa.Float, nullable=False, default=0.8),
    sa.Column("version", sa.Integer, nullable=False, default=1),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
)

detect_bank_items = sa.Table(
    "detect_bank_items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("bank", sa.String(100), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    # the hash in lower-case hex, the normalised URL, or the text
    sa.Column("value", sa.Text, nullable=False),
    # the value itself when short, else its SHA-256: unique per bank
    sa.Column("value_key", sa.String(128), nullable=False),
    sa.Column("item", sa.String(255)),
    sa.Column("label", sa.String(255)),
    sa.Column("organisation", sa.String(255)),
    sa.Column("outlet", sa.String(255)),
    sa.Column("source", sa.String(255)),
    sa.Column("language", sa.String(16)),
    sa.Column("status", sa.String(16), nullable=False, default="active"),
    sa.Column("match_count", sa.Integer, nullable=False, default=0),
    sa.Column("quarantined_at", TS),
    sa.Column("added_at", TS, nullable=False),
    # unique per bank; also the matcher's (kind, value_key) look-up; a bulk import drops and
    # builds it once (services/detect/bulk.py); value_key first: sorted faster (migration 0015)
    sa.Index("uq_detect_bank_items_value", "value_key", "kind", "bank", unique=True),
)

detect_lexicon_terms = sa.Table(
    "detect_lexicon_terms",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("lexicon", sa.String(100), nullable=False),
    sa.Column("term", sa.String(500), nullable=False),
    sa.Column("language", sa.String(16), nullable=False, default=""),
    sa.Column("kind", sa.String(16), nullable=False, default="term"),
    sa.Column("label", sa.String(255)),
    sa.Column("added_at", TS, nullable=False),
    sa.UniqueConstraint("lexicon", "kind", "language", "term", name="uq_detect_lexicon_terms_term"),
)

detect_hits = sa.Table(
    "detect_hits",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(100), nullable=False),
    sa.Column("post_id", sa.Text, nullable=False),
    sa.Column("matcher", sa.String(32), nullable=False),
    sa.Column("bank", sa.String(100)),
    sa.Column("item_id", sa.Integer),
    sa.Column("item", sa.String(255)),
    sa.Column("label", sa.String(255)),
    sa.Column("media_key", sa.String(600)),
    sa.Column("distance", sa.Integer),
    sa.Column("similarity", sa.Float),
    sa.Column("term", sa.String(500)),
    sa.Column("span_start", sa.Integer),
    sa.Column("span_end", sa.Integer),
    sa.Column("strength", sa.Float, nullable=False),
    sa.Column("suppressed", sa.Boolean, nullable=False, default=False),
    sa.Column("detail", sa.JSON),
    sa.Column("created_at", TS, nullable=False),
    sa.Index("ix_detect_hits_post", "platform", "post_id"),
    sa.Index("ix_detect_hits_item", "item_id"),
)

detect_signals = sa.Table(
    "detect_signals",
    metadata,
    sa.Column("kind", sa.String(32), primary_key=True),
    sa.Column("value", sa.String(600), primary_key=True),
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("post_id", sa.Text, primary_key=True),
    sa.Column("account_id", sa.Text, nullable=False),
    sa.Column("label", sa.String(100)),
    sa.Column("seen_at", TS),
    sa.Index("ix_detect_signals_account", "platform", "account_id"),
)

detect_alerts = sa.Table(
    "detect_alerts",
    metadata,
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("post_id", sa.Text, primary_key=True),
    sa.Column("account_id", sa.Text, nullable=False),
    sa.Column("status", sa.String(16), nullable=False, default="open"),
    sa.Column("priority", sa.Float, nullable=False),
    sa.Column("strength", sa.Float, nullable=False),
    sa.Column("model_probability", sa.Float),
    sa.Column("reason", sa.String(255)),
    sa.Column("decided_by", sa.String(100)),
    sa.Column("decided_at", TS),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    #: The post's text and time as scanned and its unsuppressed hits, as JSON: the part of a
    #: triage-queue item that changes only when the post is scanned (services.triage_queue).
    sa.Column("card", sa.Text),
    sa.Index("ix_detect_alerts_status_priority", "status", "priority"),
)

detect_decisions = sa.Table(
    "detect_decisions",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("platform", sa.String(100), nullable=False),
    sa.Column("post_id", sa.Text, nullable=False),
    sa.Column("account_id", sa.Text, nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("reason", sa.String(255)),
    sa.Column("actor", sa.String(100), nullable=False),
    sa.Column("decided_at", TS, nullable=False),
    sa.Index("ix_detect_decisions_post", "platform", "post_id"),
)

detect_assignments = sa.Table(
    "detect_assignments",
    metadata,
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("post_id", sa.Text, primary_key=True),
    sa.Column("assignee", sa.String(100), nullable=False),
    sa.Column("assigned_by", sa.String(100), nullable=False),
    sa.Column("assigned_at", TS, nullable=False),
    sa.Index("ix_detect_assignments_assignee", "assignee"),
)

detect_models = sa.Table(
    "detect_models",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("algorithm", sa.String(200), nullable=False),
    sa.Column("params", sa.JSON),
    sa.Column("metrics", sa.JSON),
    sa.Column("n_samples", sa.Integer, nullable=False),
    sa.Column("languages", sa.JSON),
    sa.Column("blob", sa.LargeBinary, nullable=False),
    sa.Column("active", sa.Boolean, nullable=False, default=True),
    sa.Column("created_by", sa.String(100)),
    sa.Column("created_at", TS, nullable=False),
)

detect_state = sa.Table(
    "detect_state",
    metadata,
    sa.Column("key", sa.String(100), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

detect_post_tokens = sa.Table(
    "detect_post_tokens",
    metadata,
    sa.Column("platform", sa.String(100), primary_key=True),
    sa.Column("post_id", sa.Text, primary_key=True),
    sa.Column("tokens", sa.LargeBinary, nullable=False),
)
