"""Watchlist proposals from the analytics: a suspended watched account's re-created successor is
proposed (and listed by the daily job), key accounts with a connector are proposed, nothing already
watched is proposed again, and one command (or one API call per item) watches them."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
import typer
from typer.testing import CliRunner

from openiru.commands import collect as collect_cmd
from openiru.errors import ConfigError
from openiru.model import Account, AccountKey, AccountStatus, Post, PostKey
from openiru.services.collect import watchlist
from openiru.services.collect.ingest import ingest_source
from openiru.services.graph.watch_proposals import proposals
from source_support import ListSource

T0 = datetime(2026, 3, 2, tzinfo=UTC)


def seed(engine: sa.Engine) -> None:
    """harbor_light posts for 20 days and is suspended; harbor_light_2 starts the next day, same name,
    same audience (two readers reply to every post)."""
    acc = lambda a: AccountKey("x", a)  # noqa: E731
    records: list = [
        Account(
            acc("1"),
            handle="harbor_light",
            display_name="Harbor Light",
            status=AccountStatus.SUSPENDED,
            status_changed_at=T0 + timedelta(days=20, hours=4),
        ),
        Account(acc("2"), handle="harbor_light_2", display_name="Harbor Light"),
        Account(acc("7"), handle="reader_seven"),
        Account(acc("8"), handle="reader_eight"),
        Account(AccountKey("rocketchat", "u9"), handle="chat_user"),
    ]
    for aid, days in (("1", range(0, 21)), ("2", range(21, 40))):
        for d in days:
            t = T0 + timedelta(days=d, hours=3)
            key = PostKey("x", f"{aid}/{d}")
            records.append(Post(key, acc(aid), t, text=f"entry {aid} day {d}"))
            records += [
                Post(
                    PostKey("x", f"{f}/{aid}/{d}"),
                    acc(f),
                    t + timedelta(minutes=5),
                    text="ok",
                    reply_to=key,
                    reply_to_account=acc(aid),
                )
                for f in ("7", "8")
            ]
    records.append(Post(PostKey("rocketchat", "m1"), AccountKey("rocketchat", "u9"), T0, text="hello"))
    ingest_source(engine, ListSource(records), after_batch=())


def test_successor_of_a_watched_account_is_proposed_then_watched(sqlite_engine: sa.Engine) -> None:
    seed(sqlite_engine)
    assert proposals(sqlite_engine, kinds=("successor",)) == []  # the predecessor is not watched
    watchlist.add(sqlite_engine, "x", "user:harbor_light")
    [successor] = proposals(sqlite_engine, kinds=("successor",))
    assert (successor["connector"], successor["target"], successor["kind"]) == (
        "x",
        "user:harbor_light_2",
        "successor",
    )
    assert successor["score"] > 0.9 and "user:harbor_light" in successor["reason"]
    jobs = {j.name: j for j in collect_cmd.recurring_jobs(sqlite_engine, None)}
    assert jobs["watch-proposals"].fn(T0)["successors"] == [successor]  # the daily job lists it
    key = {p["target"] for p in proposals(sqlite_engine, kinds=("key",))}
    assert key == {"user:harbor_light_2", "user:reader_seven", "user:reader_eight"}  # no Rocket.Chat user


def test_watch_suggest_add_watches_every_proposal_once(sqlite_url: str, sqlite_engine: sa.Engine) -> None:
    seed(sqlite_engine)
    app = typer.Typer()
    collect_cmd.register(app)

    def run(*args: str) -> str:
        result = CliRunner().invoke(app, [*args, "--db", sqlite_url])
        assert result.exit_code == 0, result.stdout + result.stderr
        return result.stdout

    run("watch", "add", "x", "user:harbor_light")
    shown = run("watch", "suggest")
    assert "successor: x user:harbor_light_2" in shown and "key: x user:reader_seven" in shown
    added = json.loads(run("watch", "suggest", "--add", "--every", "1h", "--json"))
    assert sorted(a["target"] for a in added) == [
        "user:harbor_light_2",
        "user:reader_eight",
        "user:reader_seven",
    ]
    labels = {w["target"]: w["label"] for w in watchlist.listing(sqlite_engine)}
    assert labels["user:harbor_light_2"] == "successor" and labels["user:reader_seven"] == "key"
    assert json.loads(run("watch", "suggest", "--json")) == []  # all watched now
    assert "no proposal" in run("watch", "suggest")
    with pytest.raises(ConfigError, match="expected key, successor or all"):  # one line through the CLI
        CliRunner().invoke(
            app, ["watch", "suggest", "--kind", "everyone", "--db", sqlite_url], catch_exceptions=False
        )
