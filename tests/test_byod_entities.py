"""Entities from post text and the column-wide date decision (sources/text_entities.py, dates.py)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openiru.sources.dates import parse_date, scan_column
from openiru.sources.text_entities import extract, merge_urls


def test_retweet_author_is_a_repost_not_a_mention() -> None:
    found = extract("RT @origin_1: hello @other_2 and @Other_2 again")
    assert (found.repost_of, found.repost_marker, found.mentions) == ("origin_1", "RT", ["other_2"])


@pytest.mark.parametrize(
    ("text", "author", "marker"),
    [
        ("MT @edited_by: shortened words", "edited_by", "MT"),
        ("interesting read via @source_desk", "source_desk", "via"),
        ("no repost here, mail me at someone@example.org", None, None),
    ],
)
def test_modified_tweets_and_via(text: str, author: str | None, marker: str | None) -> None:
    found = extract(text)
    assert (found.repost_of, found.repost_marker) == (author, marker)


def test_mentions_skip_emails_and_urls_and_keep_fediverse_handles() -> None:
    found = extract("a@b.com https://example.org/@inside x @zed@Social.Example @plain.")
    assert found.mentions == ["zed@social.example", "plain"]


def test_hashtags_in_any_script_with_marks_not_digits() -> None:
    found = extract("#مرحبًا #हिन्दी #日本 #123 #ok_1 abc#no https://e.org/#frag")
    assert found.hashtags == ["مرحبًا", "हिन्दी", "日本", "ok_1"]


def test_urls_cashtags_and_bare_telegram_links() -> None:
    found = extract(
        "See (https://example.org/a_(b)), www.example.net/x. t.me/some_channel/5 $ACME $100 $BRK.B"
    )
    assert found.urls == [
        "https://example.org/a_(b)",
        "http://www.example.net/x",
        "https://t.me/some_channel/5",
    ]
    assert found.cashtags == ["ACME", "BRK.B"]


def test_shortened_links_replaced_only_by_the_data_expansion() -> None:
    text_urls = ["https://t.co/a1", "https://example.org/keep"]
    assert merge_urls(text_urls, []) == text_urls
    assert merge_urls(text_urls, ["https://long.example/story"]) == [
        "https://long.example/story",
        "https://example.org/keep",
    ]


def test_column_decisions_and_the_undecidable_column() -> None:
    assert scan_column(["1/6/2015 21:07", "13/6/2015 10:00"]).order == "DMY"
    assert scan_column(["1/6/2015 21:07", "1/13/2015 10:00"]).order == "MDY"
    plan = scan_column(["1/6/2015 21:07", "3/4/2015 10:00", "3/4/2015 10:00"])
    assert plan.order is None and "'1/6/2015 21:07' and '3/4/2015 10:00'" in (plan.problem() or "")
    assert scan_column(["42010.5"]).excel and not scan_column(["1420578420"]).excel
    assert scan_column(["2015-01-06T21:07:00Z"]).problem() is None


def test_a_value_against_the_decided_order_is_refused() -> None:
    with pytest.raises(ValueError):
        parse_date("1/13/2015", "DMY")
    assert parse_date("12/01/2015 9:07 pm", "DMY") == datetime(2015, 1, 12, 21, 7, tzinfo=UTC)
    assert parse_date("6.1.15") == datetime(2015, 1, 6, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Jan 6, 2015 9:07:00 PM", datetime(2015, 1, 6, 21, 7, tzinfo=UTC)),
        ("Tuesday, January 6, 2015 at 9:07 p.m.", datetime(2015, 1, 6, 21, 7, tzinfo=UTC)),
        ("06-Jan-2015 21:07", datetime(2015, 1, 6, 21, 7, tzinfo=UTC)),
        ("Mon Apr 06 22:19:45 PDT 2009", datetime(2009, 4, 7, 5, 19, 45, tzinfo=UTC)),
        ("2015-01-06 21:07:00 UTC", datetime(2015, 1, 6, 21, 7, tzinfo=UTC)),
    ],
)
def test_month_names_twelve_hour_clocks_and_zone_names(text: str, expected: datetime) -> None:
    assert parse_date(text) == expected
