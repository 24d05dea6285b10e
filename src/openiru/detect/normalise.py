"""One text normaliser for every text matcher (lexicons, known texts, classifier).

Steps, in order:

1. Unicode compatibility decomposition (NFKD; NFKC's folding of full-width forms,
   ligatures, super/subscripts and presentation forms) and case folding;
2. one translation table that deletes combining marks (Latin accents, Arabic
   harakat, shadda, sukun, superscript alef, Quranic marks), format characters
   (zero-width spaces and joiners, soft hyphen, bidi controls and isolates, the
   Arabic letter mark) and tatweel, folds Arabic alef / yaa / taa marbuta variants
   and Persian and Urdu letter forms onto one letter, and folds Cyrillic and Greek
   homoglyphs onto the Latin letters they imitate (a *skeleton*, in the sense of
   Unicode TS #39: both sides of every comparison go through it, so Russian terms
   still match Russian text);
3. leetspeak inside words that mix letters with digits or symbols (``d43sh``);
4. punctuation and symbols become spaces (``#`` and ``_`` are kept: hashtags and
   handles stay whole);
5. spaced-out letters are joined (``d a e s h`` -> ``daesh``);
6. runs of white space become one space.

:func:`normalise` is the fast path (a few C-level passes); :func:`normalise_with_offsets`
gives the same string plus, for every output character, its offset in the input,
so that a match can be reported as a span of the original text.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from functools import lru_cache

# Cyrillic and Greek letters that look like Latin ones (lower case, after case folding).
_HOMOGLYPHS = {
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "һ": "h",
    "ӏ": "l",
    "ь": "b",
    "ɡ": "g",
    "ɑ": "a",
    "ı": "i",
    "α": "a",
    "β": "b",
    "γ": "y",
    "ε": "e",
    "ζ": "z",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "ϲ": "c",
    "ϳ": "j",
}
# Arabic-script letter variants folded onto one form (Arabic, Persian, Urdu, Pashto).
_ARABIC_FOLDS = {
    "أ": "ا",
    "إ": "ا",
    "آ": "ا",
    "ٱ": "ا",
    "ٲ": "ا",
    "ٳ": "ا",
    "ء": "",
    "ى": "ي",
    "ی": "ي",
    "ې": "ي",
    "ۍ": "ي",
    "ئ": "ي",
    "ے": "ي",
    "ۓ": "ي",
    "ة": "ه",
    "ۃ": "ه",
    "ہ": "ه",
    "ە": "ه",
    "ھ": "ه",
    "ۀ": "ه",
    "ک": "ك",
    "ڪ": "ك",
    "گ": "ك",
    "ؤ": "و",
    "ۇ": "و",
    "٠": "0",
    "١": "1",
    "٢": "2",
    "٣": "3",
    "٤": "4",
    "٥": "5",
    "٦": "6",
    "٧": "7",
    "٨": "8",
    "٩": "9",
    "۰": "0",
    "۱": "1",
    "۲": "2",
    "۳": "3",
    "۴": "4",
    "۵": "5",
    "۶": "6",
    "۷": "7",
    "۸": "8",
    "۹": "9",
}
_LEET = str.maketrans(
    {
        "0": "o",
        "1": "i",
        "3": "e",
        "4": "a",
        "5": "s",
        "7": "t",
        "8": "b",
        "@": "a",
        "$": "s",
        "!": "i",
        "|": "l",
        "€": "e",
    }
)
_LEET_CHARS = "0134578@$!|€"
# A word made of letters and leet characters, with at least one letter and one leet character.
_LEET_WORD = re.compile(r"(?<![\w@$!|€])[\w@$!|€]*?[0-9@$!|€][\w@$!|€]*")
_LEET_ANY = re.compile(r"[0-9@$!|€]")
_SPACED = re.compile(r"(?<!\S)(?:[^\W\d_] ){2,}[^\W\d_](?!\S)")
_SPACES = re.compile(r"\s+")
_KEEP = {"#", "_"}  # hashtags stay hashtags; "_" joins words as in handles and hashtags


def _build_tables() -> tuple[dict[int, str | None], dict[int, str | None]]:
    """Table 1 (marks, format characters, letter folds) and table 4 (punctuation -> space)."""
    fold: dict[int, str | None] = {}
    punct: dict[int, str | None] = {}
    for code in range(0x30000):
        ch = chr(code)
        cat = unicodedata.category(ch)
        if cat in ("Mn", "Me", "Cf"):
            fold[code] = None
        elif cat[0] in "PS" and ch not in _KEEP and ch not in _LEET_CHARS:
            punct[code] = " "
        elif cat[0] == "Z" or ch in "\t\n\r\x0b\x0c":
            punct[code] = " "
    fold[0x0640] = None  # tatweel
    for src, dst in {**_HOMOGLYPHS, **_ARABIC_FOLDS}.items():
        fold[ord(src)] = dst or None
    for ch in _LEET_CHARS:
        if unicodedata.category(ch)[0] in "PS":
            punct[ord(ch)] = " "
    return fold, punct


_FOLD, _PUNCT = _build_tables()
# leet characters outside words become spaces in step 4, but only after step 3 used them
_PUNCT_AFTER_LEET = _PUNCT


_SYMBOLS = "@$!|€"


def _leet(match: re.Match[str]) -> str:
    """Leet characters inside a word become letters; symbols at its edges stay punctuation."""
    return _leet_word(match.group(0))


@lru_cache(maxsize=1 << 16)
def _leet_word(word: str) -> str:
    """:func:`_leet` of one word (cached: texts repeat their words, and a store whose words mix
    letters and digits sends every word here)."""
    if word.isalpha() or not any(c.isalpha() for c in word):
        return word
    core = word.strip(_SYMBOLS)
    if not core:
        return word
    start = word.index(core)
    return word[:start] + core.translate(_LEET) + word[start + len(core) :]


def _join_spaced(match: re.Match[str]) -> str:
    return match.group(0).replace(" ", "")


#: Texts up to this long are cached (a few MB at most): a scan normalises each post's text and
#: hashtags in the matchers and again for its token index (services/detect/tokens.py), and posts
#: repeat hashtags; a batch of the ingest hook is 10,000 posts, so the cache holds more.
CACHED_CHARS = 1000


def normalise(text: str) -> str:
    """The matching form of ``text`` (see the module docstring)."""
    return _normalise_cached(text) if len(text) <= CACHED_CHARS else _normalise(text)


@lru_cache(maxsize=1 << 14)
def _normalise_cached(text: str) -> str:
    return _normalise(text)


def _normalise(text: str) -> str:
    if text.isascii():  # NFKD is the identity, case folding is lower-casing, table 1 has no ASCII entry
        text = text.lower()
    else:
        text = unicodedata.normalize("NFKD", text).casefold().translate(_FOLD)
    if _LEET_ANY.search(text):
        text = _LEET_WORD.sub(_leet, text)
    text = text.translate(_PUNCT_AFTER_LEET)
    text = _SPACED.sub(_join_spaced, text)
    return " ".join(text.split())


@lru_cache(maxsize=1 << 16)
def _piece(ch: str) -> str:
    """Step 1 for one character (cached: posts repeat the same few hundred characters)."""
    return unicodedata.normalize("NFKD", ch).casefold().translate(_FOLD)


def normalise_with_offsets(text: str) -> tuple[str, list[int]]:
    """The same string as :func:`normalise` and each character's offset in ``text``."""
    chars: list[str] = []
    offsets: list[int] = []
    for i, ch in enumerate(text):
        if ch < "\x80":  # ASCII: NFKD is the identity, case folding is lower-casing
            chars.append(ch.lower())
            offsets.append(i)
            continue
        for out in _piece(ch):
            chars.append(out)
            offsets.append(i)
    current = "".join(chars)
    if _LEET_ANY.search(current):
        current = _LEET_WORD.sub(_leet, current)  # same length: leet maps one character to one
    current = current.translate(_PUNCT_AFTER_LEET)
    # join spaced letters (drop the spaces inside each run), collapse white space, strip
    drop: set[int] = set()
    for m in _SPACED.finditer(current):
        drop.update(j for j in range(m.start(), m.end()) if current[j] == " ")
    out_chars: list[str] = []
    out_offsets: list[int] = []
    previous_space = True
    for j, ch in enumerate(current):
        if j in drop:
            continue
        is_space = ch.isspace()
        if is_space and previous_space:
            continue
        previous_space = is_space
        out_chars.append(" " if is_space else ch)
        out_offsets.append(offsets[j])
    if out_chars and out_chars[-1] == " ":
        out_chars.pop()
        out_offsets.pop()
    return "".join(out_chars), out_offsets


def original_span(offsets: list[int], start: int, end: int, text_length: int) -> tuple[int, int]:
    """The span of the original text behind ``normalised[start:end]``."""
    if not offsets or start >= len(offsets):
        return (0, 0)
    last = offsets[min(end, len(offsets)) - 1]
    return offsets[start], min(last + 1, text_length)


# Scripts written without spaces between words: no whole-word rule there.
_NO_SPACE_RANGES = (
    (0x0E00, 0x0EFF),
    (0x1000, 0x109F),
    (0x1780, 0x17FF),
    (0x3040, 0x30FF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x2FFFF),
)


def has_word_boundaries(ch: str) -> bool:
    """Whether the script of ``ch`` separates words with spaces."""
    code = ord(ch)
    return not any(lo <= code <= hi for lo, hi in _NO_SPACE_RANGES)


assert sys.maxunicode >= 0x2FFFF
