"""Known texts of the organisation and the altered copies planted in posts.

A known text is a bulletin: the outlet's header and three sentences from the
organisation's own sentence pool (never used by benign posts).  Planted copies
are exact, or carry homoglyphs (Cyrillic letters in Latin script and the
reverse), Arabic diacritics and tatweel, small edits (a word dropped and one
inserted) or reordered sentences: what near-duplicate matching
after normalisation must still find.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .texts import LANGUAGES
from .texts_org import BULLETIN_HEADER, OUTLETS, STATEMENTS

LATIN_TO_CYRILLIC = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і"}
CYRILLIC_TO_LATIN = {"а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "х": "x", "у": "y"}
ARABIC_DIACRITICS = ("\u064e", "\u064f", "\u0650", "\u0651", "\u0652", "\u064b")
TATWEEL = "\u0640"
#: Words inserted by an "edit" variant, per language.
FILLERS = {"en": "also", "fr": "aussi", "de": "auch", "ru": "также", "tr": "ayrıca", "ar": "أيضا"}


@dataclass(frozen=True, slots=True)
class KnownText:
    item: str
    language: str
    header: str
    sentences: tuple[str, ...]
    label: str

    @property
    def text(self) -> str:
        return " ".join((self.header, *self.sentences))


def make_known_texts(rng: random.Random, per_language: int, label: str) -> list[KnownText]:
    texts: list[KnownText] = []
    for language in LANGUAGES:
        pool = STATEMENTS[language]
        used: set[tuple[str, ...]] = set()
        for i in range(per_language):
            while True:
                picked = tuple(rng.sample(pool, 3))
                if frozenset(picked) not in {frozenset(u) for u in used}:
                    break
            used.add(picked)
            outlet = OUTLETS[i % len(OUTLETS)][1]
            header = BULLETIN_HEADER[language].format(outlet=outlet, n=rng.randint(10, 240))
            texts.append(KnownText(f"text-{language}-{i + 1:02d}", language, header, picked, label))
    return texts


def variants_for(language: str) -> tuple[str, ...]:
    """The alterations that make sense for a language's script."""
    if language == "ar":
        return ("exact", "diacritics", "edit", "reorder")
    return ("exact", "homoglyph", "edit", "reorder")


def _homoglyphs(rng: random.Random, text: str, table: dict[str, str], count: int) -> str:
    positions = [i for i, c in enumerate(text) if c in table]
    chars = list(text)
    for i in rng.sample(positions, min(count, len(positions))):
        chars[i] = table[chars[i]]
    return "".join(chars)


def _diacritics(rng: random.Random, text: str) -> str:
    out: list[str] = []
    for word in text.split(" "):
        letters = []
        for c in word:
            letters.append(c)
            if "\u0621" <= c <= "\u064a" and rng.random() < 0.45:
                letters.append(rng.choice(ARABIC_DIACRITICS))
        if len(word) > 3 and rng.random() < 0.2:
            letters.insert(2, TATWEEL * rng.randint(1, 3))
        out.append("".join(letters))
    return " ".join(out)


def _edit(rng: random.Random, known: KnownText) -> str:
    """Two small edits: one word dropped and one inserted (a typical copy-editing change)."""
    words = " ".join(known.sentences).split(" ")
    del words[rng.randrange(1, len(words) - 1)]
    words.insert(rng.randrange(1, len(words)), FILLERS[known.language])
    return known.header + " " + " ".join(words)


def render_variant(rng: random.Random, known: KnownText, variant: str) -> str:
    """The text of a planted copy of ``known``."""
    if variant == "exact":
        return known.text
    if variant == "homoglyph":
        table = CYRILLIC_TO_LATIN if known.language == "ru" else LATIN_TO_CYRILLIC
        return _homoglyphs(rng, known.text, table, 8)
    if variant == "diacritics":
        return _diacritics(rng, known.text)
    if variant == "edit":
        return _edit(rng, known)
    if variant == "reorder":
        order = list(known.sentences)
        while order == list(known.sentences):
            rng.shuffle(order)
        return " ".join((known.header, *order))
    raise ValueError(f"unknown text variant {variant!r}")


def lookalike(rng: random.Random, known: KnownText, general: tuple[str, ...]) -> str:
    """A benign text sharing one sentence with ``known`` (it must NOT match as a copy)."""
    return " ".join((*rng.sample(general, 3), known.sentences[0]))
