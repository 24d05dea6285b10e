"""Account lists: mixed handles, profile URLs and ids in TXT, CSV and XLSX; matching (handle
history included), listed-but-unseen accounts, seeds, watch and labels."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.cli import main
from openiru.errors import ConfigError
from openiru.model import Account, AccountKey, Mention, Post, PostKey
from openiru.services.collect.ingest import ingest_source
from openiru.services.graph.account_lists import import_account_list, listed_accounts
from openiru.services.graph.analysis import list_seeds
from openiru.sources.account_lists import Entry, parse_entry, read_account_list
from openiru.sources.base import Problem
from openiru.store import schema
from source_support import ListSource

T0 = datetime(2025, 3, 1, tzinfo=UTC)


def seed_data(engine: sa.Engine) -> None:
    """Two X accounts; ``old_name`` was the handle of account 20 when account 10 mentioned it."""
    records = [
        Account(AccountKey("x", "10"), handle="known_one"),
        Account(AccountKey("x", "20"), handle="old_name"),
        Account(AccountKey("telegram", "channel5"), handle="example_channel"),
        Post(
            PostKey("x", "p1"), AccountKey("x", "10"), T0, "hello @old_name", mentions=[Mention("old_name")]
        ),
    ]
    ingest_source(engine, ListSource(records), after_batch=())
    with engine.begin() as conn:  # the account changes its handle later
        conn.execute(
            sa.update(schema.accounts).where(schema.accounts.c.account_id == "20").values(handle="new_name")
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://x.com/Alpha_1", Entry("x", "handle", "Alpha_1", "l")),
        ("mobile.twitter.com/beta/status/123", Entry("x", "handle", "beta", "l")),
        ("https://x.com/i/user/12345", Entry("x", "id", "12345", "l")),
        ("https://t.me/s/somechan", Entry("telegram", "handle", "somechan", "l")),
        ("@zed@Social.Example", Entry("mastodon", "handle", "zed@social.example", "l")),
        ("https://social.example/@zed", Entry("mastodon", "handle", "zed@social.example", "l")),
        ("https://pub.example/users/bob", Entry("mastodon", "handle", "bob@pub.example", "l")),
        ("@plain", Entry("x", "handle", "plain", "l")),
        ("987654", Entry("x", "id", "987654", "l")),
    ],
)
def test_entries_of_every_shape(text: str, expected: Entry) -> None:
    assert parse_entry(text, "x", "l", "f") == expected


@pytest.mark.parametrize("text", ["t.me/+invite", "t.me/joinchat/abc", "https://x.com/home", "not a handle!"])
def test_unparseable_entries_say_why(text: str) -> None:
    found = parse_entry(text, "x", "line 3", "list.txt")
    assert isinstance(found, Problem) and found.location == "line 3" and repr(text) in found.reason


def test_a_bare_handle_needs_a_platform() -> None:
    found = parse_entry("@plain", None, "line 1", "list.txt")
    assert isinstance(found, Problem) and "--platform" in found.reason


def test_txt_list_matches_creates_and_watches(tmp_path: Path, engine: sa.Engine) -> None:
    sqlite_engine = engine  # SQLite and PostgreSQL
    seed_data(sqlite_engine)
    path = tmp_path / "list.txt"
    path.write_text(
        "# from a partner\nhttps://x.com/KNOWN_ONE\n@old_name\n20\nt.me/example_channel\n"
        "brand_new\n\nt.me/+invite\n@new_name\n"
    )
    report = import_account_list(sqlite_engine, path, platform="x", intent="watch")
    assert (report["entries"], report["matched"], report["new"], report["unparseable"]) == (7, 3, 1, 1)
    assert report["duplicates"] == 2  # "20" and "@new_name" are account 20 again
    by_entry = {a["entry"]: a for a in report["accounts"]}
    assert by_entry["old_name"]["account_id"] == "20"  # an earlier handle, from the data's history
    assert by_entry["example_channel"]["account_id"] == "channel5"
    assert by_entry["brand_new"]["status"] == "new"
    with sqlite_engine.connect() as conn:
        row = conn.execute(
            sa.select(schema.accounts).where(schema.accounts.c.account_id == "brand_new")
        ).one()
    assert row.first_seen is None and row.meta == {"listed_from": "list.txt"}
    watched = {(r["platform"], r["account_id"]) for r in listed_accounts(sqlite_engine, "watch")}
    assert watched == {("x", "10"), ("x", "20"), ("telegram", "channel5"), ("x", "brand_new")}
    again = import_account_list(sqlite_engine, path, platform="x", intent="watch")
    assert (again["matched"], again["new"]) == (4, 0)


def test_csv_with_header_and_platform_column_as_seeds(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    seed_data(sqlite_engine)
    path = tmp_path / "accounts.csv"
    path.write_text(
        "notes,profile,platform\na,known_one,x\nb,example_channel,telegram\nc,https://x.com/someone,\n"
    )
    report = import_account_list(sqlite_engine, path, intent="seed")
    assert (report["matched"], report["new"], report["unparseable"]) == (2, 1, 0)
    assert {(s["platform"], s["account_id"]) for s in list_seeds(sqlite_engine)} == {
        ("x", "10"),
        ("telegram", "channel5"),
        ("x", "someone"),
    }


def test_xlsx_list_with_label(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["https://x.com/known_one"])
    book.active.append([12345])
    path = tmp_path / "list.xlsx"
    book.save(path)
    seed_data(sqlite_engine)
    assert [e.value for e in read_account_list(path, "x") if isinstance(e, Entry)] == ["known_one", "12345"]
    report = import_account_list(sqlite_engine, path, platform="x", intent="label:partner-list")
    assert (report["matched"], report["new"]) == (1, 1)
    assert {r["label"] for r in listed_accounts(sqlite_engine, "label:partner-list")} == {"partner-list"}


def test_bad_intent_is_a_usage_error(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    path = tmp_path / "l.txt"
    path.write_text("@a\n")
    with pytest.raises(ConfigError):
        import_account_list(sqlite_engine, path, platform="x", intent="label")


def test_cli_accounts_import(
    tmp_path: Path, sqlite_url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "l.txt"
    path.write_text("@first_one\nhttps://x.com/second_one\n")
    monkeypatch.setattr(
        "sys.argv",
        [
            "openiru",
            "accounts",
            "import",
            str(path),
            "--platform",
            "x",
            "--as",
            "watch",
            "--db",
            sqlite_url,
            "--json",
        ],
    )
    main()
    report = json.loads(capsys.readouterr().out)
    assert (report["new"], report["matched"]) == (2, 0)
