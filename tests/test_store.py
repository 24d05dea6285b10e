"""Storage on SQLite and PostgreSQL: migrations, idempotent writes, edge resolution."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from openiru.model import Account, AccountKey, Media, Mention, Post, PostKey
from openiru.services.collect.counts import platform_stats
from openiru.services.collect.ingest import ingest_source
from openiru.sources.base import Problem, Record
from openiru.store.all_tables import metadata
from source_support import ListSource

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _records() -> list[Record]:
    a, b = AccountKey("testnet", "100"), AccountKey("testnet", "200")
    return [
        Account(a, handle="alpha", display_name="Alpha Outlet"),
        Post(
            PostKey("testnet", "1"),
            a,
            T0,
            text="hello",
            hashtags=["one"],
            media=[Media(sha256="ab" * 32, md5="cd" * 16, mime="image/jpeg", size=10)],
        ),
        Post(
            PostKey("testnet", "2"),
            b,
            T0,
            text="RT",
            repost_of=PostKey("testnet", "1"),
            mentions=[Mention(handle="ALPHA")],
        ),
        Problem("memory", "line 3", "invalid JSON: unexpected end"),
        Post(PostKey("testnet", "3"), b, T0, text="fwd", forward_from_name="Alpha Outlet"),
        Post(PostKey("testnet", "4"), b, T0, text="unknown", repost_of=PostKey("testnet", "999")),
    ]


def test_migrations_match_the_metadata(engine: sa.Engine) -> None:
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_import_is_idempotent_and_resolves_edges(engine: sa.Engine) -> None:
    first = ingest_source(engine, ListSource(_records()))
    assert first.posts == 4 and first.errors == {"invalid JSON": 1}
    again = ingest_source(engine, ListSource(_records()))
    assert again.posts == 0
    stats = platform_stats(engine)["platforms"]["testnet"]
    assert stats["posts"] == 4
    assert stats["accounts"] == 2
    assert stats["media"] == 1
    # repost -> author of post 1, mention by handle (case-insensitive), forward by display name
    assert stats["edges"] == 3
    assert stats["unresolved_edges"] == 1
    with engine.connect() as conn:
        row = conn.execute(sa.text("select first_seen, handle from accounts where account_id='100'")).one()
    assert row.handle == "alpha"
