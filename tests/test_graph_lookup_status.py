"""An X users look-up that returns an account shows it alive at the look-up's time (issue 10).

Source level: a user object in a look-up page's ``data`` is an account with status "active" and
``status_changed_at`` = the page's ``__twarc.retrieved_at`` (even when the same object was met
before in a search page's includes); a page without that time says nothing.  Store level: the
accounts upsert (and the in-batch merge) lets a later removal win over "active", and never lets
"active" from an older look-up, or one whose order is unknown, overwrite a removal.  Recreation
level: a predecessor the look-up returned after its look-alike successor began is not linked as
re-created; the same accounts with the predecessor reported suspended are.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import sqlalchemy as sa

from openiru.model import Account, AccountKey, AccountStatus
from openiru.services.collect.ingest import ingest_source
from openiru.services.graph import analysis as graph_service
from openiru.services.graph.load import load_graph
from openiru.sources.twitter import TwitterV2Source
from openiru.store import schema
from openiru.store.batch import merge_account

T0 = datetime(2026, 3, 2, tzinfo=UTC)
OLD, NEW, FANS = "1500000000000000101", "1500000000000000102", ["1500000000000000107", "1500000000000000108"]


def _user(uid: str, handle: str, name: str = "Harbor Light") -> dict[str, Any]:
    created = "2026-03-22T09:00:00.000Z" if uid == NEW else "2025-01-05T10:00:00.000Z"  # the new one: after
    return {"id": uid, "username": handle, "name": name, "created_at": created}


def _lookup(
    users: list[dict[str, Any]], at: datetime | None, errors: tuple[dict[str, Any], ...] = ()
) -> dict[str, Any]:
    page: dict[str, Any] = {"data": users, "__twarc": {"url": "https://api.twitter.com/2/users?ids=1"}}
    if errors:
        page["errors"] = list(errors)
    if at is not None:
        page["__twarc"]["retrieved_at"] = at.isoformat()
    return page


def _suspended(uid: str) -> dict[str, Any]:
    return {
        "value": uid,
        "detail": f"User has been suspended: [{uid}].",
        "title": "Forbidden",
        "resource_type": "user",
        "parameter": "ids",
        "resource_id": uid,
    }


def _write(path: Path, pages: list[dict[str, Any]]) -> Path:
    path.write_bytes(b"".join(orjson.dumps(p) + b"\n" for p in pages))
    return path


def _accounts(path: Path) -> dict[str, Account]:
    return {r.key.account_id: r for r in TwitterV2Source(path).records() if isinstance(r, Account)}


def test_a_look_up_page_records_the_accounts_it_returns_as_active_then(tmp_path: Path) -> None:
    at = T0 + timedelta(days=40)
    search = {
        "data": [{"id": "9001", "author_id": OLD, "text": "hello", "created_at": "2026-03-02T03:00:00.000Z"}],
        "includes": {"users": [_user(OLD, "harbor_light")]},
        "__twarc": {"retrieved_at": at.isoformat()},
    }
    path = _write(
        tmp_path / "x.jsonl", [search, _lookup([_user(OLD, "harbor_light")], at, (_suspended(NEW),))]
    )
    records = [r for r in TwitterV2Source(path).records() if isinstance(r, Account)]
    # the search page's author says nothing of its status; the look-up's identical object does
    assert [(r.status, r.status_changed_at) for r in records if r.key.account_id == OLD] == [
        (AccountStatus.UNKNOWN, None),
        (AccountStatus.ACTIVE, at),
    ]
    assert [r.handle for r in records if r.key.account_id == OLD] == ["harbor_light", "harbor_light"]
    assert _accounts(path)[NEW].status == AccountStatus.SUSPENDED
    undated = _write(tmp_path / "u.jsonl", [_lookup([_user(OLD, "harbor_light")], None)])
    assert _accounts(undated)[OLD].status == AccountStatus.UNKNOWN  # no time: nothing to say


def test_a_later_removal_wins_and_an_older_look_up_never_overwrites_one(
    engine: sa.Engine, tmp_path: Path
) -> None:
    def stored() -> tuple[str, datetime | None]:
        with engine.connect() as conn:
            row = conn.execute(
                sa.select(schema.accounts.c.status, schema.accounts.c.status_changed_at).where(
                    schema.accounts.c.account_id == OLD
                )
            ).one()
        when = row.status_changed_at
        return row.status, when.replace(tzinfo=UTC) if when is not None and when.tzinfo is None else when

    def load(name: str, at: datetime | None, alive: bool) -> None:
        page = _lookup([_user(OLD, "harbor_light")], at) if alive else _lookup([], at, (_suspended(OLD),))
        ingest_source(engine, TwitterV2Source(_write(tmp_path / name, [page])), after_batch=())

    early, late = T0 + timedelta(days=5), T0 + timedelta(days=9)
    load("a.jsonl", early, True)
    assert stored() == ("active", early)
    load(
        "b.jsonl", late, False
    )  # removal seen after: wins (its time unknown: the look-up says that, not when)
    assert stored() == ("suspended", None)
    load("c.jsonl", late + timedelta(days=1), True)  # removal of unknown time: stays
    assert stored() == ("suspended", None)
    with engine.begin() as conn:  # a removal known to have happened at `late`
        conn.execute(
            sa.update(schema.accounts)
            .where(schema.accounts.c.account_id == OLD)
            .values(status_changed_at=late)
        )
    load("d.jsonl", early, True)  # an older look-up never overwrites it
    assert stored() == ("suspended", late)
    load("e.jsonl", late + timedelta(days=2), True)  # alive after it: reinstated
    assert stored() == ("active", late + timedelta(days=2))
    load("f.jsonl", early, True)  # of two "active", the later look-up stays
    assert stored() == ("active", late + timedelta(days=2))


def test_the_in_batch_merge_follows_the_same_rule() -> None:
    key = AccountKey("x", OLD)
    early, late = T0, T0 + timedelta(days=3)

    def merged(
        old: tuple[AccountStatus, datetime | None], new: tuple[AccountStatus, datetime | None]
    ) -> tuple:
        m = merge_account(
            Account(key, status=old[0], status_changed_at=old[1]),
            Account(key, status=new[0], status_changed_at=new[1]),
        )
        return m.status, m.status_changed_at

    gone, alive = AccountStatus.DELETED, AccountStatus.ACTIVE
    assert merged((alive, early), (gone, None)) == (gone, None)
    assert merged((gone, late), (alive, early)) == (gone, late)
    assert merged((gone, None), (alive, late)) == (gone, None)
    assert merged((gone, early), (alive, late)) == (alive, late)
    assert merged((alive, late), (alive, early)) == (alive, late)
    assert merged((alive, late), (AccountStatus.UNKNOWN, None)) == (alive, late)


def _activity(uid: str, days: range) -> list[dict[str, Any]]:
    """Search pages: ``uid`` posts once a day, the two fans reply to each post five minutes later."""
    pages = []
    for d in days:
        t = T0 + timedelta(days=d, hours=3)
        tid = f"{uid[-3:]}{d:03d}"
        tweets: list[dict[str, Any]] = [
            {
                "id": tid,
                "author_id": uid,
                "text": f"entry {uid} day {d}",
                "created_at": t.isoformat().replace("+00:00", "Z"),
            }
        ]
        for k, fan in enumerate(FANS):
            tweets.append(
                {
                    "id": f"{tid}{k}",
                    "author_id": fan,
                    "text": f"@{uid} yes",
                    "created_at": (t + timedelta(minutes=5)).isoformat().replace("+00:00", "Z"),
                    "in_reply_to_user_id": uid,
                    "referenced_tweets": [{"type": "replied_to", "id": tid}],
                }
            )
        pages.append(
            {
                "data": tweets,
                "includes": {
                    "users": [_user(OLD, "harbor_light"), _user(NEW, "harbor_light_2")]
                    + [_user(f, f"fan{f[-1]}", "Fan") for f in FANS]
                },
                "__twarc": {"retrieved_at": (T0 + timedelta(days=45)).isoformat()},
            }
        )
    return pages


def test_a_predecessor_the_look_up_returned_after_the_successor_began_is_not_re_created(
    engine: sa.Engine, tmp_path: Path
) -> None:
    search = _write(tmp_path / "search.jsonl", _activity(OLD, range(0, 21)) + _activity(NEW, range(21, 40)))
    ingest_source(engine, TwitterV2Source(search), after_batch=())

    def recreated() -> set[tuple[str, str]]:
        links = graph_service.resurgence(engine, load_graph(engine, with_detection=False))
        return {
            (x["account_id"], x["predecessor_account_id"])
            for x in links
            if x["evidence"]["link"] == "recreated"
        }

    assert recreated() == {(NEW, OLD)}  # nothing known of the old account's status: it went silent
    looked_up = T0 + timedelta(days=45)
    lookup = _write(
        tmp_path / "users.jsonl",
        [_lookup([_user(OLD, "harbor_light"), _user(NEW, "harbor_light_2")], looked_up)],
    )
    ingest_source(engine, TwitterV2Source(lookup), after_batch=())
    assert recreated() == set()  # alive at the end of collection, after the new one began: two accounts
    removal = _write(
        tmp_path / "later.jsonl", [_lookup([], looked_up + timedelta(days=1), (_suspended(OLD),))]
    )
    ingest_source(engine, TwitterV2Source(removal), after_batch=())
    assert recreated() == {(NEW, OLD)}  # suspended since: a later removal wins
