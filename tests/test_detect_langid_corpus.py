"""The hand-written language-ID corpus of ``benchmarks/langid.py``: well-formed, and lingua
(as :mod:`openiru.detect.language` builds it) still identifies it as well as when measured.

Measured on 2026-11-25 (docs/benchmarks/detect.md): 568 of 576 posts right (0.986), every
language at 0.95 or above.  The floors below leave a margin of about 15 posts overall and
3 posts per language, so that a lingua upgrade moving a post or two does not fail the
suite, while a broken language set, a lost model or a change in detection settings does.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from pathlib import Path

import pytest

from openiru.detect.language import DEFAULT_LANGUAGES, detect_languages

CORPUS = Path(__file__).resolve().parents[1] / "benchmarks" / "data" / "short_posts_langid.tsv"
OVERALL_FLOOR = 0.96
PER_LANGUAGE_FLOOR = 0.90


@pytest.fixture(scope="module")
def corpus() -> list[tuple[str, str]]:
    raw = CORPUS.read_bytes().decode("utf-8")  # strict: fails on invalid UTF-8
    lines = raw.split("\n")
    assert lines[0] == "lang\ttext"
    assert lines[-1] == "", "the file ends with one newline"
    rows = []
    for number, line in enumerate(lines[1:-1], start=2):
        fields = line.split("\t")
        assert len(fields) == 2, f"line {number}: {line!r}"
        rows.append((fields[0], fields[1]))
    return rows


def test_corpus_is_well_formed(corpus: list[tuple[str, str]]) -> None:
    counts = Counter(lang for lang, _ in corpus)
    assert set(counts) == set(DEFAULT_LANGUAGES) and len(counts) == 9
    assert min(counts.values()) >= 60
    short = Counter(lang for lang, text in corpus if len(text) < 30)
    assert all(short[lang] >= 10 for lang in DEFAULT_LANGUAGES), short
    texts = [text for _, text in corpus]
    assert len(set(texts)) == len(texts), "duplicate posts"
    for lang, text in corpus:
        assert 0 < len(text) < 100, (lang, text)
        assert text == text.strip() and "\r" not in text, (lang, text)
        assert unicodedata.is_normalized("NFC", text), (lang, text)


def test_native_scripts(corpus: list[tuple[str, str]]) -> None:
    """Letters outside URLs and @mentions are in the language's own script (Arabic script for
    ar, fa, ur; Cyrillic for ru), but for a few loanwords written in Latin ("Python", "AC")."""
    native = {"ar": "ARABIC", "fa": "ARABIC", "ur": "ARABIC", "ru": "CYRILLIC"}
    for lang, text in corpus:
        body = " ".join(w for w in text.split() if not w.startswith(("@", "http")))
        scripts = Counter(unicodedata.name(c).split()[0] for c in body if c.isalpha())
        assert set(scripts) <= {native.get(lang, "LATIN"), "LATIN"}, (lang, text)
        assert scripts[native.get(lang, "LATIN")] / sum(scripts.values()) >= 0.8, (lang, text)


def test_accuracy_stays_above_the_measured_floor(corpus: list[tuple[str, str]]) -> None:
    found = detect_languages([text for _, text in corpus])
    right = Counter(lang for (lang, _), f in zip(corpus, found, strict=True) if f == lang)
    total = Counter(lang for lang, _ in corpus)
    assert sum(right.values()) / len(corpus) >= OVERALL_FLOOR, right
    for lang in DEFAULT_LANGUAGES:
        assert right[lang] / total[lang] >= PER_LANGUAGE_FLOOR, (lang, right[lang], total[lang])
