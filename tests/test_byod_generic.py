"""Bring your own data: scraped-tweet CSVs without ids, entities only in the text, dates as
people write them, .xlsx workbooks, and the column plan (``ingest --inspect``)."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.cli import main
from openiru.errors import FormatError
from openiru.services.collect.counts import platform_stats
from openiru.services.collect.ingest import detect_format, ingest_source, source_for
from openiru.sources.generic import GenericSource
from openiru.store import schema

HEADER = ["name", "username", "description", "location", "followers", "numberstatuses", "time", "tweets"]
USERS = ["alpha_desk", "beta_wire", "gamma_post", "delta_note", "eps_media"]


def scraped_rows(n: int = 40) -> tuple[list[list[str]], set[tuple[str, str, str]], list[datetime]]:
    """Rows in the issue's shape, and by construction the (source, target, kind) edges and times."""
    rows, edges, times = [], set(), []
    for i in range(n):
        user = USERS[i % 5]
        other, third = USERS[(i + 1) % 5], USERS[(i + 3) % 5]
        when = datetime(2015, 1 + i % 12, 1 + (i * 5) % 28, i % 24, (i * 7) % 60, tzinfo=UTC)
        times.append(when)
        kind = i % 4
        if kind == 0:
            text = f"RT @{other}: Placeholder notice {i // 4} about the harbour #Harbour https://t.co/x{i}"
            edges.add((user, other, "repost"))
        elif kind == 1:
            text = f"Good morning @{other} and @{third}, see https://example.org/p/{i}. #صباح_الخير"
            edges |= {(user, other, "mention"), (user, third, "mention")}
        elif kind == 2:
            text = f"Neutral placeholder text number {i} $ACME via @{other}"
            edges |= {(user, other, "mention"), (user, other, "repost")}
        else:
            text = f"Plain update {i} on the schedule t.me/example_channel/{i}"
        stamp = f"{when.month}/{when.day}/{when.year} {when.hour}:{when.minute:02d}"
        rows.append(
            [user.title(), user, f"Bio of {user}", "Sample Town", str(100 + i), str(1000 + i), stamp, text]
        )
    return rows, edges, times


def write_csv(path: Path, rows: list[list[str]], header: list[str] = HEADER, delimiter: str = ",") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def edge_set(engine: sa.Engine) -> set[tuple[str, str, str]]:
    e, a = schema.edges, schema.accounts
    with engine.connect() as conn:
        handles = dict(conn.execute(sa.select(a.c.account_id, a.c.handle)).all())
        rows = conn.execute(sa.select(e.c.source_account_id, e.c.target_account_id, e.c.kind)).all()
    return {(handles[s], handles.get(t, str(t)), k) for s, t, k in rows}


def test_scraped_csv_imports_with_platform_only(tmp_path: Path, engine: sa.Engine) -> None:
    sqlite_engine = engine  # SQLite and PostgreSQL
    rows, edges, times = scraped_rows()
    path = write_csv(tmp_path / "tweets.csv", rows)
    assert detect_format(path) is GenericSource
    summary = ingest_source(sqlite_engine, source_for(path, platform="x"), after_batch=())
    assert (summary.posts, summary.accounts, sum(summary.errors.values())) == (40, 5, 0)
    assert any("ids derived" in n for n in summary.notes)
    assert any("month first" in n for n in summary.notes)
    assert edge_set(sqlite_engine) == edges  # every mention and retweet, each resolved by handle
    stats = platform_stats(sqlite_engine)["platforms"]["x"]
    assert stats["edges_by_kind"] == {"mention": 10 * 2 + 10, "repost": 10 + 10}  # per post, by construction
    assert (stats["first_post"], stats["last_post"]) == (
        min(times).isoformat().replace("+00:00", "Z"),
        max(times).isoformat().replace("+00:00", "Z"),
    )
    p = schema.posts
    with sqlite_engine.connect() as conn:
        stored = conn.execute(sa.select(p.c.post_id, p.c.timestamp, p.c.text, p.c.hashtags, p.c.urls)).all()
    assert sorted(r.timestamp.replace(tzinfo=UTC) for r in stored) == sorted(times)
    by_text = {r.text: r for r in stored}
    first = by_text[rows[1][7]]
    assert first.hashtags == ["صباح_الخير"] and first.urls == ["https://example.org/p/1"]
    assert by_text[rows[0][7]].urls == ["https://t.co/x0"]  # a shortener without expansion: kept
    assert by_text[rows[3][7]].urls == ["https://t.me/example_channel/3"]
    ids = {r.post_id for r in stored}
    again = ingest_source(sqlite_engine, source_for(path, platform="x"), after_batch=())
    assert (again.posts_read, again.posts) == (40, 0)  # stable ids: a re-import adds nothing
    assert again.edges == 0
    with sqlite_engine.connect() as conn:
        assert set(conn.execute(sa.select(p.c.post_id)).scalars()) == ids


def test_reposts_of_the_same_text_share_the_reposted_id(tmp_path: Path) -> None:
    rows = [
        ["A", "a_one", "", "", "1", "1", "2015-03-01 10:00", "RT @origin_x: the same notice"],
        ["B", "b_two", "", "", "1", "1", "2015-03-01 11:00", "RT @origin_x: the same notice"],
        ["C", "c_three", "", "", "1", "1", "2015-03-01 12:00", "RT @origin_x: another notice"],
    ]
    posts = [
        r for r in GenericSource(write_csv(tmp_path / "rt.csv", rows), "x").records() if hasattr(r, "text")
    ]
    keys = [p.repost_of.post_id for p in posts]
    assert keys[0] == keys[1] != keys[2]
    assert [p.mentions for p in posts] == [[], [], []]  # the retweeted author is no mention (as on X)


def test_per_account_columns_latest_row_wins(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    rows = [
        ["New Name", "acct_a", "new bio", "Town B", "250", "90", "2016-02-01 10:00", "later words here"],
        ["Old Name", "acct_a", "old bio", "Town A", "100", "40", "2015-02-01 10:00", "earlier words here"],
    ]
    ingest_source(
        sqlite_engine, source_for(write_csv(tmp_path / "a.csv", rows), platform="x"), after_batch=()
    )
    a = schema.accounts
    with sqlite_engine.connect() as conn:
        row = conn.execute(sa.select(a.c.display_name, a.c.bio, a.c.followers, a.c.meta)).one()
    assert (row.display_name, row.bio, row.followers) == ("New Name", "new bio", 250)
    assert row.meta == {"location": "Town B", "statuses_count": 90}


def test_ambiguous_dates_stop_with_two_examples_and_date_order_settles(tmp_path: Path) -> None:
    rows = [
        ["A", "a_one", "", "", "1", "1", "1/6/2015 21:07", "first words of a post"],
        ["A", "a_one", "", "", "1", "1", "3/4/2015 10:00", "second words of a post"],
    ]
    path = write_csv(tmp_path / "amb.csv", rows)
    with pytest.raises(FormatError) as err:
        list(GenericSource(path, "x").records())
    assert "'1/6/2015 21:07'" in str(err.value) and "'3/4/2015 10:00'" in str(err.value)
    (tmp_path / "amb.csv.mapping.json").write_text('{"date_order": "YMD"}')
    with pytest.raises(FormatError, match="'YMD'"):
        GenericSource(path, "x").plan()
    (tmp_path / "amb.csv.mapping.json").write_text('{"date_order": "DMY"}')
    posts = [r for r in GenericSource(path, "x").records() if hasattr(r, "text")]
    assert posts[0].timestamp == datetime(2015, 6, 1, 21, 7, tzinfo=UTC)


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        (["13.1.2015 08:00", "2.1.2015 09:30"], [(2015, 1, 13, 8, 0), (2015, 1, 2, 9, 30)]),
        (["13/01/2015", "02/01/2015"], [(2015, 1, 13, 0, 0), (2015, 1, 2, 0, 0)]),
        (["42010.5", "42011.25"], [(2015, 1, 6, 12, 0), (2015, 1, 7, 6, 0)]),
        (["1420578420000", "1420578420"], [(2015, 1, 6, 21, 7), (2015, 1, 6, 21, 7)]),
        (
            ["Tue, 06 Jan 2015 21:07:00 +0100", "Tue Jan 06 21:07:00 +0000 2015"],
            [(2015, 1, 6, 20, 7), (2015, 1, 6, 21, 7)],
        ),
        (["2015-01-06T21:07:00Z", "January 6, 2015 9:07 PM"], [(2015, 1, 6, 21, 7), (2015, 1, 6, 21, 7)]),
    ],
)
def test_date_columns_in_common_forms(
    tmp_path: Path, cells: list[str], expected: list[tuple[int, ...]]
) -> None:
    rows = [["A", "a_one", "", "", "1", "1", cell, f"words of post {i}"] for i, cell in enumerate(cells)]
    posts = [
        r
        for r in GenericSource(write_csv(tmp_path / "d.tsv", rows, delimiter="\t"), "x").records()
        if hasattr(r, "text")
    ]
    assert [p.timestamp for p in posts] == [datetime(*e, tzinfo=UTC) for e in expected]


def test_text_column_by_heuristic_or_one_line_mapping(tmp_path: Path) -> None:
    header = ["username", "when", "short_note", "body_of_message"]
    rows = [
        ["a_one", "2015-01-01 10:00", "ok", "this is a long placeholder message with @b_two"],
        ["b_two", "2015-01-01 11:00", "fine", "and another long placeholder message here"],
    ]
    path = write_csv(tmp_path / "h.csv", rows, header)
    plan = GenericSource(path, "x").plan()
    assert plan.columns["text"] == "body_of_message" and "longest free text" in plan.reasons["text"]
    (tmp_path / "h.csv.mapping.json").write_text('{"text": "short_note", "timestamp": "when"}')
    plan = GenericSource(path, "x").plan()
    assert plan.columns["text"] == "short_note" and plan.reasons["text"] == "mapping file"


def test_xlsx_every_sheet_or_one(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    first = book.active
    first.title = "January"
    second = book.create_sheet("February")
    for sheet, month in ((first, 1), (second, 2)):
        sheet.append(["username", "created_at", "text", "followers"])
        for day in range(1, 4):
            sheet.append(
                [
                    f"user_{month}",
                    datetime(2015, month, day, 9, 30),
                    f"note {day} to @user_{3 - month}",
                    10.0 * day,
                ]
            )
    path = tmp_path / "book.xlsx"
    book.save(path)
    assert detect_format(path) is GenericSource
    source = source_for(path, platform="x")
    source.sheet = "February"
    only = [r for r in source.records() if hasattr(r, "text")]
    assert [p.timestamp.day for p in only] == [1, 2, 3] and {p.timestamp.month for p in only} == {2}
    summary = ingest_source(sqlite_engine, source_for(path, platform="x"), after_batch=())
    assert (summary.posts, summary.accounts, summary.edges) == (6, 2, 6)
    with sqlite_engine.connect() as conn:
        followers = dict(conn.execute(sa.select(schema.accounts.c.handle, schema.accounts.c.followers)).all())
    assert followers == {"user_1": 30, "user_2": 30}


def test_inspect_prints_the_plan_and_imports_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    rows, _, _ = scraped_rows(8)
    path = write_csv(tmp_path / "tweets.csv", rows)
    db = tmp_path / "x.db"
    monkeypatch.setattr(
        "sys.argv",
        ["openiru", "ingest", "--inspect", str(path), "--platform", "x", "--db", str(db), "--json"],
    )
    main()
    found = json.loads(capsys.readouterr().out)[0]
    assert found["columns"]["text"] == {"column": "tweets", "why": "'tweets' is a name for text"}
    assert found["columns"]["statuses_count"]["column"] == "numberstatuses"
    assert found["derived_ids"] is True and "repost_of" in found["from_text"]
    assert not db.exists()


def test_pandas_list_cells_and_one_id_list_references(tmp_path: Path) -> None:
    header = ["tweet_id", "author_id", "created_at", "text", "mentions", "retweeted", "replied_to"]
    rows = [
        [
            "1",
            "10",
            "2022-12-18T20:52:22.000000000+00:00",
            "RT @first_one: words",
            "['first_one', 'Two']",
            "[5]",
            "[]",
        ],
        ["2", "11", "2022-12-18T21:00:00+00:00", "a reply", "[]", "False", "[1]"],
    ]
    posts = [
        r
        for r in GenericSource(write_csv(tmp_path / "p.csv", rows, header), "x").records()
        if hasattr(r, "text")
    ]
    assert [m.handle for m in posts[0].mentions] == ["first_one", "Two"]
    assert posts[0].repost_of is not None and posts[0].repost_of.post_id == "5" and posts[0].reply_to is None
    assert posts[1].repost_of is None and posts[1].reply_to is not None and posts[1].reply_to.post_id == "1"
    assert posts[0].timestamp == datetime(2022, 12, 18, 20, 52, 22, tzinfo=UTC)


def test_r_export_shape_row_numbers_semicolon_lists_and_na(tmp_path: Path) -> None:
    """An R ``write.csv`` export: an unnamed row-number column, ``;``-separated lists, NA."""
    header = ["", "created_at", "user_id", "screen_name", "text", "hashtags", "mentions"]
    rows = [
        [
            "1",
            "2018-02-08 17:13:00",
            "100",
            "desk_a",
            "Notes #one #two for @b_two @c_three",
            "one;two",
            "b_two;c_three",
        ],
        ["2", "2018-02-08 18:00:00", "200", "b_two", "nothing tagged here at all", "NA", "NA"],
    ]
    source = GenericSource(write_csv(tmp_path / "r.csv", rows, header), "x")
    assert source.plan().derived_ids  # the row number is no post id
    posts = [r for r in source.records() if hasattr(r, "text")]
    assert posts[0].hashtags == ["one", "two"] and [m.handle for m in posts[0].mentions] == [
        "b_two",
        "c_three",
    ]
    assert posts[1].hashtags == [] and posts[1].mentions == []


def test_a_users_file_resolves_the_mentions_of_a_posts_file(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    """Datasets often come as posts (by account id) plus a users file that has the handles."""
    posts = write_csv(
        tmp_path / "posts.csv",
        [
            ["1", "10", "2022-12-18T20:52:22Z", "hello @Handle_B"],
            ["2", "20", "2022-12-18T21:00:00Z", "RT @handle_a: hello"],
        ],
        ["tweet_id", "author_id", "created_at", "text"],
    )
    users = write_csv(
        tmp_path / "users.csv",
        [["10", "Name A", "handle_a", "5"], ["20", "Name B", "handle_b", "7"]],
        ["user_id", "name", "username", "followers"],
    )
    ingest_source(sqlite_engine, source_for(posts, platform="x"), after_batch=())
    assert edge_set_ids(sqlite_engine) == set()
    summary = ingest_source(sqlite_engine, source_for(users, platform="x"), after_batch=())
    assert (summary.posts_read, summary.accounts) == (0, 2)
    assert summary.notes == ["no time and no text column: read as a table of accounts"]
    assert edge_set_ids(sqlite_engine) == {("10", "20", "mention"), ("20", "10", "repost")}


def edge_set_ids(engine: sa.Engine) -> set[tuple[str, str, str]]:
    e = schema.edges
    with engine.connect() as conn:
        rows = conn.execute(
            sa.select(e.c.source_account_id, e.c.target_account_id, e.c.kind).where(
                e.c.target_account_id.is_not(None)
            )
        ).all()
    return {(s, t, k) for s, t, k in rows}


def test_telegram_message_ids_are_per_chat(tmp_path: Path) -> None:
    """Message ids repeat across channels: a Telegram CSV's ids become "<chat>/<message>"."""
    rows = [
        ["5", "chan_a", "2024-01-01 10:00", "first words", ""],
        ["5", "chan_b", "2024-01-01 10:05", "other words", ""],
        ["6", "chan_a", "2024-01-01 11:00", "a reply", "5"],
    ]
    path = write_csv(tmp_path / "tg.csv", rows, ["id", "channel", "date", "message", "reply_to_id"])
    posts = [r for r in GenericSource(path, "telegram").records() if hasattr(r, "text")]
    assert [p.key.post_id for p in posts] == ["chan_a/5", "chan_b/5", "chan_a/6"]
    assert posts[2].reply_to is not None and posts[2].reply_to.post_id == "chan_a/5"


def test_twint_style_object_lists(tmp_path: Path) -> None:
    """twint writes mentions and reply_to as Python lists of user objects, not post ids."""
    header = ["id", "created_at", "username", "tweet", "mentions", "reply_to", "hashtags"]
    rows = [
        [
            "9",
            "2020-01-01 00:00:00 UTC",
            "desk_a",
            "@b_two hi #x",
            "[{'screen_name': 'b_two', 'name': 'B', 'id': '22'}]",
            "[{'screen_name': 'b_two', 'name': 'B', 'id': '22'}]",
            "['x']",
        ]
    ]
    post = next(
        r
        for r in GenericSource(write_csv(tmp_path / "t.csv", rows, header), "x").records()
        if hasattr(r, "text")
    )
    assert [m.handle for m in post.mentions] == ["b_two"] and post.hashtags == ["x"]
    assert post.reply_to is None  # a list of users is no post id
