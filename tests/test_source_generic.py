"""Generic CSV/JSONL importer: default names, aliases, mapping sidecar, platform rules, bad rows."""

from __future__ import annotations

import json
import random
import sys
from datetime import UTC, datetime
from importlib.metadata import entry_points
from pathlib import Path

import pytest
import sqlalchemy as sa

from mutation_support import mutated
from openiru.cli import main
from openiru.errors import FormatError
from openiru.model import Account, Post, utc
from openiru.services.collect.counts import platform_stats
from openiru.services.collect.ingest import detect_format, ingest_source
from openiru.sources.base import Problem
from openiru.sources.generic import GenericSource, match_columns, split_multi
from openiru.sources.jsonio import read_head
from openiru.store import schema

FIXTURES = Path(__file__).parent / "fixtures" / "generic"
FORUM = FIXTURES / "forum_posts.csv"
BOARD = FIXTURES / "board.jsonl"
MAPPED = FIXTURES / "export_semicolon.csv"

TWARC2_FLAT = (
    b'{"id": "1", "text": "hi", "author_id": "2", "created_at": "2026-01-01T00:00:00.000Z",'
    b' "edit_history_tweet_ids": ["1"]}\n'
)
MASTODON_LINE = (
    b'{"id": "1", "created_at": "2026-01-01T00:00:00Z", "content": "<p>x</p>",'
    b' "account": {"id": "2", "acct": "a"}}\n'
)
ROCKETCHAT_LINE = b'{"_id": "a", "rid": "r", "msg": "hi", "ts": "2026-01-01T00:00:00Z", "u": {"_id": "u"}}\n'


def scores_for(path: Path) -> dict[str, float]:
    head = read_head(path)
    scores = {}
    for ep in entry_points(group="openiru.sources"):
        try:
            scores[ep.name] = ep.load().sniff(path, head)
        except ImportError:
            continue
    return scores


def test_auto_format_falls_back_to_generic() -> None:
    for path in (FORUM, BOARD, MAPPED):
        scores = scores_for(path)
        assert max(scores, key=lambda n: scores[n]) == "generic", path.name
        assert scores["generic"] <= 0.5  # low: every dedicated format wins over it


def test_sniff_is_zero_for_other_formats_and_unrelated_csv(tmp_path: Path) -> None:
    samples = {
        "t.jsonl": TWARC2_FLAT,
        "m.jsonl": MASTODON_LINE,
        "r.jsonl": ROCKETCHAT_LINE,
        "prices.csv": b"sku,price\n1,2\n",
        "result.json": b'{\n "name": "x",\n "messages": []}',
    }
    for name, head in samples.items():
        path = tmp_path / name
        path.write_bytes(head)
        assert GenericSource.sniff(path, head) == 0.0, name


def test_column_matching_and_multi_values() -> None:
    columns = match_columns(["ID", "User Name", "Created-At", "Body", "name"], {})
    assert columns == {
        "post_id": "ID",
        "handle": "User Name",
        "timestamp": "Created-At",
        "text": "Body",
        "display_name": "name",
    }
    assert match_columns(["a", "b"], {"post_id": "a"}) == {"post_id": "a"}
    assert split_multi("#a|#b  c\td") == ["#a", "#b", "c", "d"]
    assert split_multi('["x y", "z"]') == ["x y", "z"]
    assert split_multi(["p", "", None]) == ["p"]


def _rows(engine: sa.Engine, table: sa.Table) -> dict[str, sa.Row]:
    with engine.connect() as conn:
        return {r[1]: r for r in conn.execute(sa.select(table))}


def test_csv_with_platform_column(engine: sa.Engine) -> None:
    summary = ingest_source(engine, GenericSource(FORUM), after_batch=())
    assert summary.posts == 4
    assert dict(summary.errors) == {"missing post id": 1, "bad timestamp": 1, "malformed CSV row": 1}
    assert f"{FORUM}:line 7: missing post id" in summary.problems  # line 2 spans two lines
    assert f"{FORUM}:line 9: malformed CSV row: 18 fields, the header has 16" in summary.problems

    posts = _rows(engine, schema.posts)
    first = posts["p-100"]
    assert first.text == "Neutral placeholder announcement, part one.\nSecond line of the same post."
    assert (first.account_id, first.language) == ("u-1", "en")
    assert first.urls == ["https://harbor.example.net/a/1", "https://files.example.org/doc.pdf"]
    assert first.hashtags == ["Harbor", "Weekly"] and first.mentions == ["relay_a"]
    assert utc(posts["p-101"].timestamp) == datetime(2026, 3, 6, 8, 5, tzinfo=UTC)  # Unix seconds
    assert posts["p-101"].repost_of == "p-100"
    assert posts["p-102"].reply_to == "p-100"
    quote = posts["p-103"]
    assert quote.quote_of == "p-100" and quote.forward_from_name == "Harbor News (fictional)"
    assert utc(quote.timestamp) == datetime(2026, 3, 6, 7, 15, tzinfo=UTC)
    account = _rows(engine, schema.accounts)["u-1"]
    assert (account.handle, account.display_name) == ("harbor_news", "Harbor News (fictional)")

    with engine.connect() as conn:
        edges = conn.execute(
            sa.text("select post_id, kind, target_account_id from edges order by post_id, kind")
        ).all()
        media = conn.execute(
            sa.text("select post_id, position, media_key from post_media order by post_id, position")
        ).all()
    assert [tuple(e) for e in edges] == [
        ("p-100", "mention", "u-2"),
        ("p-101", "mention", "u-1"),
        ("p-101", "repost", "u-1"),
        ("p-102", "reply", "u-1"),
        ("p-103", "forward", "u-1"),
        ("p-103", "quote", "u-1"),
    ]
    assert [m.media_key for m in media] == [
        "url:https://cdn.example.net/img/1.jpg",
        "url:https://cdn.example.net/img/2.png",
        "url:https://cdn.example.net/img/3.png",
    ]
    stats = platform_stats(engine)["platforms"]["forum-a"]
    assert (stats["posts"], stats["accounts"], stats["edges"], stats["media"]) == (4, 3, 6, 3)

    again = ingest_source(engine, GenericSource(FORUM), after_batch=())
    assert (again.posts, again.edges) == (0, 0)


def test_jsonl_needs_a_platform(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    # Parsing variants: storage on both databases is covered by the field test above.
    engine = sqlite_engine
    with pytest.raises(FormatError, match="no platform: give --platform"):
        ingest_source(engine, GenericSource(BOARD), after_batch=())
    assert platform_stats(engine)["platforms"] == {}

    summary = ingest_source(engine, GenericSource(BOARD, "board-a"), after_batch=())
    assert summary.posts == 3
    assert dict(summary.errors) == {"invalid JSON": 1, "not a JSON object": 1}
    posts = _rows(engine, schema.posts)
    assert posts["5001"].hashtags == ["Lantern", "Notice"] and posts["5001"].language == "ru"
    assert posts["5002"].reply_to == "5001" and posts["5002"].mentions == ["lantern"]
    assert posts["5004"].repost_of == "5001" and posts["5004"].account_id == "moth"
    accounts = _rows(engine, schema.accounts)
    assert accounts["a-17"].followers == 42 and accounts["a-17"].display_name == "Lantern Board"
    stats = platform_stats(engine)["platforms"]["board-a"]
    assert (stats["posts"], stats["accounts"], stats["edges"]) == (3, 3, 3)  # reply, mention, repost


def test_mapping_sidecar(sqlite_engine: sa.Engine) -> None:
    # Parsing variants: storage on both databases is covered by the field test above.
    engine = sqlite_engine
    summary = ingest_source(engine, GenericSource(MAPPED), after_batch=())
    assert summary.posts == 2 and not summary.errors
    posts = _rows(engine, schema.posts)
    assert utc(posts["77"].timestamp) == datetime(2026, 3, 6, 9, 30, tzinfo=UTC)
    assert posts["77"].urls == ["https://kite.example.com/x", "https://kite.example.com/y"]
    assert posts["77"].account_id == "kite"
    with engine.connect() as conn:
        media = {
            r.post_id: r
            for r in conn.execute(
                sa.text(
                    "select pm.post_id, m.sha256, m.size, m.missing from post_media pm"
                    " join media m on m.media_key = pm.media_key"
                )
            )
        }
    assert media["77"].size == 24 and media["77"].sha256 and not media["77"].missing
    assert media["78"].missing
    assert list(platform_stats(engine)["platforms"]) == ["board-b"]


def test_bad_mapping_file_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    data.write_text("post_id,timestamp,text\n1,2026-01-01,x\n")
    (tmp_path / "x.csv.mapping.json").write_text('{"columns": {"post": "post_id"}}')
    with pytest.raises(FormatError, match="unknown fields post"):
        GenericSource(data, "p")


def test_auto_format_over_every_fixture_of_every_importer() -> None:
    """``--format auto`` picks the right importer for each real-format fixture in the tree,
    this area's and the X and Telegram ones, so generic never steals another format's file."""
    root = FIXTURES.parent
    checked = 0
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        expected = folder.name
        if expected == "zeronet":
            candidates = [p for p in folder.iterdir() if p.is_dir()]
        elif expected == "telegram":
            candidates = sorted(folder.rglob("result.json"))
        else:
            candidates = [
                p
                for p in sorted(folder.rglob("*"))
                if p.suffix in (".json", ".jsonl", ".csv")
                and not p.name.endswith(".mapping.json")
                and p.name != "actor.json"
            ]
        for path in candidates:
            assert detect_format(path).name == expected, path
            checked += 1
    assert checked >= 15


def _openiru(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str
) -> tuple[int, str, str]:
    """Run the ``openiru`` console entry point in this process: (exit code, stdout, stderr)."""
    monkeypatch.setattr(sys, "argv", ["openiru", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, " ".join(err.split())


def test_cli_errors_and_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    code, _, err = _openiru(capsys, monkeypatch, "ingest", str(BOARD), "--db", db)
    assert code != 0 and "no platform: give --platform NAME" in err

    code, _, err = _openiru(capsys, monkeypatch, "ingest", str(FORUM), "--db", db, "--strict")
    assert code != 0 and f"{FORUM.name}:line 7: missing post id" in err
    _, out, _ = _openiru(capsys, monkeypatch, "stats", "--db", db, "--json")
    assert json.loads(out)["platforms"]["forum-a"]["posts"] == 4  # the rows before the bad one are kept

    code, out, err = _openiru(
        capsys, monkeypatch, "ingest", str(BOARD), "--platform", "board-a", "--db", db, "--json"
    )
    assert code == 0, err
    summary = json.loads(out)[0]
    assert (summary["format"], summary["posts"], summary["errors_total"]) == ("generic", 3, 2)


def test_odd_values_never_crash_the_importer(tmp_path: Path) -> None:
    rows = [json.loads(line) for line in BOARD.read_text().splitlines() if line.endswith("}")]
    rng = random.Random(5)
    for round_ in range(60):
        path = tmp_path / f"b{round_}.jsonl"
        path.write_text("\n".join(json.dumps(mutated(r, rng)) for r in rows))
        records = list(GenericSource(path, "board-a").records())
        assert all(isinstance(r, Account | Post | Problem) for r in records)
        assert sum(isinstance(r, Post | Problem) for r in records) == len(rows)


def test_nested_jsonl_mapping_tsv_and_platform_precedence(tmp_path: Path) -> None:
    nested = tmp_path / "export.jsonl"
    nested.write_text(
        json.dumps(
            {
                "network": "forum-c",
                "msg": {"no": 7, "body": "nested placeholder"},
                "user": {"id": "n-1", "nick": "nib"},
                "when": "2026-03-08T10:00:00Z",
            }
        )
        + "\n"
    )
    (tmp_path / "export.jsonl.mapping.json").write_text(
        json.dumps(
            {
                "post_id": "msg.no",
                "text": "msg.body",
                "account_id": "user.id",
                "handle": "user.nick",
                "timestamp": "when",
            }
        )
    )
    post = next(r for r in GenericSource(nested).records() if isinstance(r, Post))
    assert (post.key.platform, post.key.post_id, post.account.account_id, post.text) == (
        "forum-c",
        "7",
        "n-1",
        "nested placeholder",
    )  # platform from the "network" alias column
    assert scores_for(nested)["generic"] == 0.5  # a mapping sidecar makes the file generic's

    tsv = tmp_path / "posts.tsv"
    tsv.write_text(
        "platform\tid\tuser_id\tdate\tcontent\tlinks\n"
        "site-d\t1\tu\t2026-03-08T11:00:00Z\ttab separated\thttps://e.example/1 https://e.example/2\n"
    )
    assert max(scores_for(tsv).items(), key=lambda kv: kv[1])[0] == "generic"
    posts = [r for r in GenericSource(tsv, "override").records() if isinstance(r, Post)]
    assert [(p.key.platform, p.text, p.urls) for p in posts] == [
        ("override", "tab separated", ["https://e.example/1", "https://e.example/2"])
    ]  # --platform wins
