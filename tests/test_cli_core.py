"""The foundation commands through the CLI: init, ingest (auto format, --strict, --json), stats --json."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from openiru.commands import core

FIXTURES = Path(__file__).parent / "fixtures"
TW, TG = FIXTURES / "twarc2", FIXTURES / "telegram"
BROKEN = TW / "broken.jsonl"


def core_app() -> typer.Typer:
    """The foundation commands alone, so these tests do not depend on other areas' modules."""
    app = typer.Typer()
    core.register(app)
    return app


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def test_ingest_auto_format_and_exact_stats_json(db_url: str) -> None:
    app = core_app()
    assert run(app, "init", "--db", db_url)[0] == 0
    code, stdout, _ = run(
        app,
        "ingest",
        str(TW / "search.jsonl"),
        str(TW / "stream.jsonl"),
        str(TG / "full_export"),
        str(TG / "channel"),
        str(TG / "legacy" / "result.json"),
        "--db",
        db_url,
        "--json",
    )
    assert code == 0
    summaries = json.loads(stdout)
    assert [s["format"] for s in summaries] == ["twarc2", "twarc2", "telegram", "telegram", "telegram"]
    assert [s["posts"] for s in summaries] == [7, 2, 8, 5, 3]
    assert [s["skipped_total"] for s in summaries] == [0, 0, 1, 1, 1]

    code, stdout, _ = run(app, "stats", "--json", "--db", db_url)
    assert code == 0
    stats = json.loads(stdout)
    core_counts = {
        name: {k: c[k] for k in ("posts", "accounts", "edges", "media")}
        for name, c in stats["platforms"].items()
    }
    # x: 7 + 2 posts; accounts 4 + mirror_feed; edges 7 + 1 quote; media photo + video.
    # telegram: 8 + 5 + 3 posts; 6 + 2 accounts; resolved edges 3 (full) + 2 (channel) + 2 (legacy);
    # media 2 hashed files (full) + 3 (channel: 1 hashed, 2 missing) + 1 missing (legacy).
    assert core_counts == {
        "x": {"posts": 9, "accounts": 5, "edges": 8, "media": 2},
        "telegram": {"posts": 16, "accounts": 8, "edges": 7, "media": 6},
    }

    code, stdout, _ = run(
        app, "ingest", str(TW / "search.jsonl"), str(TG / "full_export"), "--db", db_url, "--json"
    )
    assert code == 0 and [s["posts"] for s in json.loads(stdout)] == [0, 0]
    assert json.loads(run(app, "stats", "--json", "--db", db_url)[1]) == stats


def test_malformed_records_are_reported_counted_and_skipped(sqlite_url: str) -> None:
    code, stdout, stderr = run(core_app(), "ingest", str(BROKEN), "--db", sqlite_url)
    assert code == 0
    assert f"{BROKEN}:line 2: invalid JSON" in stderr.replace("\n", "")
    assert f"{BROKEN}:line 4: data[0]: invalid tweet" in stderr.replace("\n", "")
    assert "posts" in stdout and "errors" in stdout  # the summary table
    code, stdout, _ = run(core_app(), "ingest", str(BROKEN), "--db", sqlite_url, "--json")
    [summary] = json.loads(stdout)
    assert summary["errors"] == {"invalid JSON": 2, "not a tweet or response page": 1, "invalid tweet": 1}
    assert summary["errors_total"] == 4 and summary["posts"] == 0 and summary["posts_read"] == 3
    assert (
        summary["problems"][0]
        == f"{BROKEN}:line 2: invalid JSON: unexpected end of data: line 1 column 70 (char 69)"
    )


def test_strict_stops_at_the_first_malformed_record_keeping_what_came_before(db_url: str) -> None:
    app = core_app()
    code, _, stderr = run(app, "ingest", str(BROKEN), "--strict", "--db", db_url)
    assert code != 0
    assert f"{BROKEN}:line 2: invalid JSON" in stderr.replace("\n", "")
    stats = json.loads(run(app, "stats", "--json", "--db", db_url)[1])
    assert stats["platforms"]["x"]["posts"] == 1  # the tweet of line 1 is kept
    assert stats["platforms"]["x"]["accounts"] == 1


def test_unknown_format_is_an_error(sqlite_url: str) -> None:
    from openiru.errors import FormatError

    with pytest.raises(FormatError, match="unknown format"):
        run(core_app(), "ingest", str(BROKEN), "--format", "nosuch", "--db", sqlite_url)


def test_the_openiru_command_line_has_the_core_commands(sqlite_url: str) -> None:
    try:
        from openiru.cli import app
    except ImportError as exc:  # pragma: no cover - another area's module is mid-way
        pytest.skip(f"openiru.cli does not import: {exc}")
    code, stdout, _ = run(app, "ingest", str(TG / "channel"), "--db", sqlite_url, "--json")
    assert code == 0 and json.loads(stdout)[0]["posts"] == 5
    stats = json.loads(run(app, "stats", "--json", "--db", sqlite_url)[1])
    assert stats["platforms"]["telegram"]["posts"] == 5


def test_format_aliases_name_the_builtin_sources(tmp_path: Path) -> None:
    from openiru.services.collect.ingest import FORMAT_ALIASES, source_for

    sample = tmp_path / "sample.jsonl"
    sample.write_text("{}\n")
    for alias, name in FORMAT_ALIASES.items():
        assert source_for(sample, alias).name == name
    assert source_for(sample, "TWARC2").name == "twarc2"
