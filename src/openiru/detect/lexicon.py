"""Lexicon matching: terms, hashtags and outlet names in any language, with Aho-Corasick.

Terms and texts both go through :func:`~openiru.detect.normalise.normalise`, so one
automaton (pyahocorasick) finds every term of every language in one pass over a
post.  A match counts only as a whole word where the script separates words with
spaces (a term may sit inside a hashtag: ``#term``); in scripts written without
spaces (Chinese, Japanese, Thai...) any occurrence counts.  A term of kind
``hashtag`` matches only the hashtag (``#tag``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick

from .normalise import has_word_boundaries, normalise

TERM_KINDS = ("term", "hashtag", "outlet")


@dataclass(frozen=True, slots=True)
class Term:
    id: int
    term: str
    language: str = ""
    kind: str = "term"
    label: str | None = None
    lexicon: str = "default"


@dataclass(frozen=True, slots=True)
class TermMatch:
    term: Term
    start: int  # in the normalised text
    end: int


def term_key(term: str, kind: str) -> str:
    """The normalised form a term is matched in."""
    key = normalise(term)
    if kind == "hashtag":
        key = "#" + key.lstrip("#")
    return key


class LexiconMatcher:
    """Every term of a set of lexicons, found in one pass."""

    def __init__(self, terms: Iterable[Term]) -> None:
        self._automaton = ahocorasick.Automaton()
        by_key: dict[str, list[Term]] = {}
        for term in terms:
            key = term_key(term.term, term.kind)
            if key.strip("# "):
                by_key.setdefault(key, []).append(term)
        for key, found in by_key.items():
            self._automaton.add_word(key, (key, tuple(found)))
        self.size = len(by_key)
        if self.size:
            self._automaton.make_automaton()

    def __len__(self) -> int:
        return self.size

    def find(self, normalised: str) -> list[TermMatch]:
        """Whole-word matches in an already normalised text."""
        if not self.size or not normalised:
            return []
        matches: list[TermMatch] = []
        length = len(normalised)
        for end_index, (key, terms) in self._automaton.iter(normalised):
            start = end_index - len(key) + 1
            end = end_index + 1
            if has_word_boundaries(key[0]) and start > 0 and normalised[start - 1] not in " #":
                continue
            if has_word_boundaries(key[-1]) and end < length and normalised[end] != " ":
                continue
            for term in terms:
                if term.kind == "hashtag" and not key.startswith("#"):
                    continue
                matches.append(TermMatch(term, start, end))
        return matches
