"""Lexicons and known texts as users keep them: plain lists (Arabic and Latin script), CSV with
or without header, XLSX, text blocks; errors quote what the file has."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from openiru.errors import FormatError
from openiru.services.detect.banks import import_known_texts, import_lexicon
from openiru.sources.term_lists import read_lexicon, read_text_blocks
from openiru.store import tables_detect as td


def terms(engine: sa.Engine, lexicon: str = "default") -> set[tuple[str, str, str]]:
    t = td.detect_lexicon_terms
    with engine.connect() as conn:
        rows = conn.execute(sa.select(t.c.term, t.c.kind, t.c.language).where(t.c.lexicon == lexicon)).all()
    return {(r.term, r.kind, r.language) for r in rows}


def test_plain_list_arabic_and_latin_with_hashtags(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    path = tmp_path / "terms.txt"
    path.write_text(
        "\ufeffplaceholder phrase\n\n#مثال_وسم\nكلمة تجريبية\n# a comment line\n#\n#SampleTag\n"
        "  sample outlet name  \n",
        encoding="utf-8",
    )
    summary = import_lexicon(sqlite_engine, path)
    assert (summary.added, summary.errors) == (5, 0)
    assert terms(sqlite_engine) == {
        ("placeholder phrase", "term", ""),
        ("#مثال_وسم", "hashtag", ""),
        ("كلمة تجريبية", "term", ""),
        ("#SampleTag", "hashtag", ""),
        ("sample outlet name", "term", ""),
    }
    again = import_lexicon(sqlite_engine, path)
    assert (again.added, again.existing) == (0, 5)


def test_plain_list_directive_makes_hash_lines_comments(tmp_path: Path) -> None:
    path = tmp_path / "t.txt"
    path.write_text("#!comments\n#SampleTag\nterm one\n", encoding="utf-8")
    assert [r["term"] for r in read_lexicon(path) if isinstance(r, dict)] == ["term one"]


def test_csv_with_and_without_header(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    with_header = tmp_path / "lexicon.csv"
    with_header.write_text("term,language,kind,label\nexample term,en,term,group-a\n#tagone,ar,hashtag,\n")
    without = tmp_path / "bare.csv"
    without.write_text("another term,en\nمصطلح,ar\n", encoding="utf-8")
    assert import_lexicon(sqlite_engine, with_header, "a").added == 2
    assert import_lexicon(sqlite_engine, without, "b").added == 2
    assert terms(sqlite_engine, "a") == {("example term", "term", "en"), ("#tagone", "hashtag", "ar")}
    assert terms(sqlite_engine, "b") == {("another term", "term", "en"), ("مصطلح", "term", "ar")}


def test_header_without_term_column_quotes_the_file(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("expression,language\nsome words,en\n")
    with pytest.raises(FormatError) as err:
        list(read_lexicon(path))
    message = str(err.value)
    assert "'expression,language'" in message and "term,language,kind,label" not in message


def test_bad_kind_is_a_row_problem_naming_the_line(tmp_path: Path) -> None:
    path = tmp_path / "k.csv"
    path.write_text("term,kind\ngood,term\nbad,colour\n")
    found = list(read_lexicon(path))
    assert found[0] == {"term": "good", "language": "", "kind": "term", "label": None}
    assert "line 3" in str(found[1]) and "'colour'" in str(found[1])


def test_xlsx_lexicon_with_and_without_header(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.append(["Term", "Language"])
    book.active.append(["sheet term", "en"])
    bare = book.create_sheet("bare")
    bare.append(["#وسم"])
    bare.append(["second sheet term"])
    path = tmp_path / "lex.xlsx"
    book.save(path)
    # each sheet read on its own: the first row of the second is data, not a header
    summary = import_lexicon(sqlite_engine, path)
    assert summary.errors == 0
    assert terms(sqlite_engine) == {
        ("sheet term", "term", "en"),
        ("#وسم", "hashtag", ""),
        ("second sheet term", "term", ""),
    }


def test_known_texts_blocks_and_lines(tmp_path: Path, sqlite_engine: sa.Engine) -> None:
    blocks = tmp_path / "texts.txt"
    blocks.write_text(
        "First placeholder text,\nits second line.\n\n\nSecond placeholder text.\n\nثالث نص\n",
        encoding="utf-8",
    )
    found = [r for _, r in read_text_blocks(blocks)]
    assert [r.value for r in found] == [
        "First placeholder text,\nits second line.",
        "Second placeholder text.",
        "ثالث نص",
    ]
    lines = tmp_path / "lines.txt"
    lines.write_text("one placeholder text\nanother placeholder text\n")
    assert [r.value for _, r in read_text_blocks(lines)] == [
        "one placeholder text",
        "another placeholder text",
    ]
    assert import_known_texts(sqlite_engine, blocks).added == 3
    assert import_known_texts(sqlite_engine, lines).added == 2
    jsonl = tmp_path / "k.jsonl"
    jsonl.write_text('{"id": "k1", "text": "a jsonl placeholder text", "language": "en"}\n')
    assert import_known_texts(sqlite_engine, jsonl).added == 1
