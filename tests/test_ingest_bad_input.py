"""Bad input found by the issue 19 probe (findings 3 and 5), one test each, on both databases.

* Deeply nested JSON (200 KB of ``[[[[...``) given to every JSON reader, in a process limited
  to 1 GiB of address space: the record is a problem, the records around it are read.
* A twarc2 tweet with a field of the wrong type, a UTF-8 BOM, invalid UTF-8 or a raw NUL in a
  JSON document, a lone surrogate in a ZeroNet file, an unclosed CSV quote: the bad record
  is reported (file, line or JSON path, reason), the records before and after it imported.
* A CSV without a header row or a binary file: a clear error, not "no platform"; a binary
  lexicon: HTTP 400 from the API and a one-line error from the CLI.
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
import sqlalchemy as sa

from fuzz_support import LAYOUTS_BY_NAME, PLACEHOLDER, PLACEHOLDER_BYTES, read_all, replaced
from openiru.cli import main
from openiru.errors import FormatError
from openiru.services.collect.ingest import ingest_path
from openiru.sources.generic import GenericSource
from openiru.store import schema
from openiru.store.db import open_database
from test_api_support import make_world

#: The address-space limit the nested-JSON readers run under (the probe saw 23.5 GB).
LIMIT = 1 << 30
NESTED = b"[" * 100_000 + b"]" * 100_000  # 200 KB

JSON_READERS = [
    "twarc2",
    "mastodon",
    "mastodon-jsonl",
    "telegram",
    "activitypub",
    "rocketchat",
    "rocketchat-jsonl",
    "zeronet",
    "generic-jsonl",
]
READ_SCRIPT = """
import json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from fuzz_support import LAYOUTS_BY_NAME, read_all
posts, problems = read_all(LAYOUTS_BY_NAME[sys.argv[1]], Path(sys.argv[2]), "deep")
print(json.dumps({"posts": sorted(posts), "problems": [[p.location, p.reason] for p in problems]}))
"""


def _with_value(name: str, index: int, value: bytes, folder: Path) -> Path:
    """The layout's records written with ``value`` (raw bytes) in a field added to record ``index``."""
    layout = LAYOUTS_BY_NAME[name]
    parts = [layout.serialise(r) for r in layout.records]
    part = layout.serialise(replaced(layout.records[index], ("x_note",), PLACEHOLDER))
    parts[index] = (
        part.replace(b'"' + PLACEHOLDER_BYTES + b'"', value)
        if value.startswith(b"[")
        else part.replace(PLACEHOLDER_BYTES, value)
    )
    return layout.write(folder, parts)


def _productive(name: str, folder: Path) -> int:
    """A record after the first that the source imports a post from and no other record has
    (fixtures hold bad records too)."""
    layout = LAYOUTS_BY_NAME[name]
    records = layout.records
    clean, _ = read_all(layout, layout.write(folder / "all", [layout.serialise(r) for r in records]), "p")
    for index in range(1, len(records)):
        kept = [layout.serialise(r) for i, r in enumerate(records) if i != index]
        without, _ = read_all(layout, layout.write(folder / f"without{index}", kept), "p")
        if without != clean:
            return index
    return 1  # every post is also in another record (twarc2 fixtures repeat tweets)


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT, LIMIT))


@pytest.mark.parametrize("name", JSON_READERS)
def test_deeply_nested_json_is_one_problem_within_1_gib(name: str, tmp_path: Path) -> None:
    layout = LAYOUTS_BY_NAME[name]
    clean, _ = read_all(
        layout, layout.write(tmp_path / "clean", [layout.serialise(r) for r in layout.records]), "deep"
    )
    path = _with_value(name, _productive(name, tmp_path), NESTED, tmp_path / "nested")
    run = subprocess.run(
        [sys.executable, "-c", READ_SCRIPT, name, str(path), str(Path(__file__).parent)],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_memory,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    found = json.loads(run.stdout)
    assert found["problems"], "the nested record is reported"
    lost = clean - set(found["posts"])
    assert len(lost) <= 1, lost  # only the record holding the nested value
    assert any("nested deeper" in reason or "depth limit" in reason for _, reason in found["problems"]), found


def test_nested_mastodon_file_through_the_cli_within_1_gib(tmp_path: Path) -> None:
    """The probe's case: 200 KB of ``[[[[...`` as a Mastodon file grew the CLI to 23.5 GB."""
    path = tmp_path / "statuses.json"
    path.write_bytes(NESTED)
    code = "import sys; from openiru.cli import main; sys.argv = sys.argv[1:]; main()"
    run = subprocess.run(
        [
            sys.executable,
            "-c",
            code,
            "openiru",
            "ingest",
            str(path),
            "--format",
            "mastodon",
            "--db",
            f"sqlite:///{tmp_path / 'n.db'}",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=_limit_memory,
    )
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr[-2000:]
    summary = json.loads(run.stdout)[0]
    assert summary["errors_total"] == 1 and summary["posts"] == 0, summary


# -- finding 5: the records around a bad one are imported, on SQLite and PostgreSQL ---------


def _posts(engine: sa.Engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(sa.select(schema.posts.c.post_id)).scalars())


def _ingest(
    db_url: str, path: Path, fmt: str = "auto", platform: str | None = None
) -> tuple[set[str], list[str]]:
    engine = open_database(db_url)
    try:
        summary = ingest_path(engine, path, fmt, platform, after_batch=())
        return _posts(engine), summary.problems
    finally:
        engine.dispose()


def test_twarc2_field_of_the_wrong_type_loses_only_that_tweet(db_url: str, tmp_path: Path) -> None:
    lines = [
        orjson.loads(line)
        for line in (Path(__file__).parent / "fixtures/twarc2/flattened.jsonl").read_bytes().splitlines()
    ]
    lines[0]["entities"] = "str"
    lines[1]["referenced_tweets"] = 7
    path = tmp_path / "tweets.jsonl"
    path.write_bytes(b"\n".join(orjson.dumps(line) for line in lines) + b"\n")
    posts, problems = _ingest(db_url, path, "twarc2")
    assert {str(line["id"]) for line in lines[2:]} <= posts
    assert any(p.startswith(f"{path}:line 1: ") for p in problems), problems


@pytest.mark.parametrize(
    "name",
    [
        "twarc2",
        "mastodon",
        "mastodon-jsonl",
        "telegram",
        "activitypub",
        "rocketchat",
        "rocketchat-jsonl",
        "generic-jsonl",
        "generic-csv",
    ],
)
def test_byte_order_mark_loses_nothing(name: str, db_url: str, tmp_path: Path) -> None:
    layout = LAYOUTS_BY_NAME[name]
    clean, _ = read_all(
        layout, layout.write(tmp_path / "clean", [layout.serialise(r) for r in layout.records]), "p"
    )
    path = layout.write(tmp_path / "bom", [layout.serialise(r) for r in layout.records])
    target = (
        path / "result.json"
        if path.is_dir() and (path / "result.json").exists()
        else path / "outbox.json"
        if path.is_dir()
        else path
    )
    target.write_bytes(b"\xef\xbb\xbf" + target.read_bytes())
    posts, problems = _ingest(db_url, path, platform="forum-a" if layout.source == "generic" else None)
    assert clean <= posts, (sorted(clean - posts), problems[:3])
    assert not [p for p in problems if "invalid JSON" in p or "byte order mark" in p.lower()], problems


@pytest.mark.parametrize("name", ["mastodon", "telegram", "activitypub", "rocketchat", "zeronet"])
@pytest.mark.parametrize(
    "damage", [b"\xff\xfe", b"\x00", b"\\ud800"], ids=["invalid-utf8", "nul", "surrogate"]
)
def test_damaged_text_in_a_document_loses_only_that_record(
    name: str, damage: bytes, db_url: str, tmp_path: Path
) -> None:
    layout = LAYOUTS_BY_NAME[name]
    clean, _ = read_all(
        layout, layout.write(tmp_path / "clean", [layout.serialise(r) for r in layout.records]), "p"
    )
    path = _with_value(name, _productive(name, tmp_path), b"a" + damage + b"b", tmp_path / "damaged")
    posts, problems = _ingest(db_url, path, layout.source)
    assert len(clean - posts) <= 1, (sorted(clean - posts), problems)
    if damage != b"\\ud800" or name == "zeronet":  # elsewhere a lone surrogate escape reads as "?"
        assert clean - posts and problems, "the damaged record is reported, not imported"


def test_unclosed_csv_quote_is_reported_and_the_rows_after_it_imported(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "posts.csv"
    path.write_text(
        "platform,post_id,account_id,timestamp,text\n"
        "forum-a,p1,u1,2026-03-01T10:00:00Z,first\n"
        'forum-a,p2,u1,2026-03-01T10:01:00Z,"unclosed quote, then\n'
        "forum-a,p3,u2,2026-03-01T10:02:00Z,third\n"
        'forum-a,p4,u2,2026-03-01T10:03:00Z,"quoted, fine"\n'
        "forum-a,p5,u3,2026-03-01T10:04:00Z,fifth\n",
        encoding="utf-8",
    )
    posts, problems = _ingest(db_url, path)
    assert {"p1", "p3", "p4", "p5"} <= posts and "p2" not in posts
    assert any(p.startswith(f"{path}:line 3: malformed CSV row") for p in problems), problems
    path.write_text(path.read_text() + 'forum-a,p6,u3,2026-03-01T10:05:00Z,"open to the end\n')
    posts, problems = _ingest(db_url, path)
    assert any("line 7: malformed CSV row: an unclosed quote runs to the end" in p for p in problems), (
        problems
    )


def test_csv_without_a_header_or_binary_gives_a_clear_error(tmp_path: Path) -> None:
    headerless = tmp_path / "rows.csv"
    headerless.write_text(
        "forum-a,p1,u1,2026-03-01T10:00:00Z,first\nforum-a,p2,u1,2026-03-01T10:01:00Z,second\n"
    )
    with pytest.raises(FormatError, match="no header row") as caught:
        list(GenericSource(headerless).records())
    assert "platform" not in str(caught.value)
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40 + b",a,b\n")
    with pytest.raises(FormatError, match="binary file"):
        list(GenericSource(binary, "forum-a").records())


def test_binary_lexicon_is_a_400_and_a_one_line_cli_error(
    sqlite_engine: sa.Engine,
    sqlite_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blob = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8
    analyst = make_world(sqlite_engine).client("analyst")
    res = analyst.post("/api/v1/lexicons/uploaded/import", files={"file": ("terms.csv", blob, "text/csv")})
    assert res.status_code == 400, res.text
    assert "binary" in res.json()["error"]["message"] and "/tmp" not in res.text
    path = tmp_path / "terms.csv"
    path.write_bytes(blob)
    monkeypatch.setattr(sys, "argv", ["openiru", "lexicon", "import", str(path), "--db", sqlite_url])
    with pytest.raises(SystemExit) as exited:
        main()
    err = capsys.readouterr().err.strip()
    assert exited.value.code not in (0, None) and "binary" in err and "Traceback" not in err
    assert len(err.splitlines()) == 1, err
