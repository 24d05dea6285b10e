"""A batch's times are formatted for SQLite once per value (``store/batch.py: cached_sqlite_time``):
the rows must be those formatted value by value, whatever time zone, repeat or gap."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from openiru.model import Account, AccountKey, Post, PostKey
from openiru.store import batch as store_batch
from openiru.store.batch import Batch, batch_rows, sqlite_time

PARIS = timezone(timedelta(hours=1))
T0 = datetime(2026, 3, 1, 10, 0, 0, 123000, tzinfo=UTC)


def _batch() -> Batch:
    batch = Batch()
    a, b = AccountKey("x", "1"), AccountKey("x", "2")
    times = [T0, T0 + timedelta(seconds=1), T0.astimezone(PARIS), T0 + timedelta(microseconds=1)]
    for i, when in enumerate(times * 2):
        batch.add_post(Post(PostKey("x", str(i)), a if i % 2 else b, when, text=f"post {i}"))
    batch.add_account(
        Account(a, handle="a", created_at=T0 - timedelta(days=400), first_seen=T0.astimezone(PARIS))
    )
    batch.add_account(Account(b, handle="b", last_seen=datetime(2026, 3, 1, 9, 0, tzinfo=PARIS)))
    return batch


def test_cached_formatting_gives_the_rows_of_formatting_each_value(monkeypatch: pytest.MonkeyPatch) -> None:
    cached = batch_rows(_batch(), sqlite=True)
    monkeypatch.setattr(store_batch, "cached_sqlite_time", lambda: sqlite_time)
    plain = batch_rows(_batch(), sqlite=True)
    assert vars(cached) == vars(plain)
    times = {r[3] for r in cached.posts}
    assert times == {"2026-03-01 10:00:00.123000", "2026-03-01 10:00:01.123000", "2026-03-01 10:00:00.123001"}
    by_id = {r[1]: r for r in cached.accounts}
    assert by_id["1"][6] == "2025-01-25 10:00:00.123000"  # created_at, 400 days before
    assert by_id["1"][7] == "2026-03-01 10:00:00.123000"  # the Paris time, in UTC
    assert by_id["2"][8] == "2026-03-01 10:00:00.123000"  # its posts (T0 twice), not 08:00 UTC


def test_a_formatter_keeps_its_values_apart() -> None:
    t = store_batch.cached_sqlite_time()
    assert t(None) is None
    assert t(T0) == t(T0.astimezone(PARIS)) == "2026-03-01 10:00:00.123000"  # the same instant
    assert t(T0 + timedelta(microseconds=1)) == "2026-03-01 10:00:00.123001"
    assert t(datetime(2026, 3, 1, 10, 0)) == "2026-03-01 10:00:00.000000"  # naive: as it is
