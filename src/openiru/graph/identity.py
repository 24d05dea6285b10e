"""Name similarity for linking accounts run by one operator: handles, display names, bios, avatars.

Handles of re-created accounts follow patterns (``name_1`` -> ``name_2``, ``name`` -> ``name_official``,
Cyrillic or Greek look-alike letters, transliteration, accents).  Names are folded to an ASCII
skeleton with ``anyascii`` (homoglyphs, transliteration, accents), then compared with ``rapidfuzz``.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii
from rapidfuzz import fuzz

_SEPARATORS = re.compile(r"[\s_\-.·|]+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
#: Suffixes and prefixes operators add to a re-created handle.
_AFFIXES = ("official", "offical", "new", "backup", "bak", "real", "the", "channel", "chan", "news",
            "media", "v", "ii", "iii", "reborn", "back", "again", "mirror", "alt")
#: Digits used as letters in handles (leet-speak); applied only to the skeleton.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


def fold(text: str | None) -> str:
    """Lower-case ASCII form: accents dropped, homoglyphs and other scripts transliterated."""
    if not text:
        return ""
    return anyascii(unicodedata.normalize("NFKC", text)).casefold().strip()


def handle_skeleton(handle: str | None) -> str:
    """The stable core of a handle: no separators, trailing numbering, common affixes or leet digits."""
    words = [w for w in _SEPARATORS.split(fold(handle).lstrip("@")) if w]
    while len(words) > 1 and (words[-1].isdigit() or words[-1] in _AFFIXES):
        words.pop()
    while len(words) > 1 and words[0] in _AFFIXES:
        words.pop(0)
    text = _NON_ALNUM.sub("", "".join(words))
    text = re.sub(r"\d+$", "", text) or text
    for affix in _AFFIXES:
        if len(affix) > 2 and text.endswith(affix) and len(text) - len(affix) >= 4:
            text = text[: -len(affix)]
        if len(affix) > 2 and text.startswith(affix) and len(text) - len(affix) >= 4:
            text = text[len(affix):]
    return text.translate(_LEET)


#: Similarity of handles that agree once numbering, affixes and look-alikes are folded away
#: (``name_1``/``name_2``); identical folded handles score 1.
SKELETON_MATCH = 0.95


def handle_similarity(a: str | None, b: str | None) -> float:
    """0..1: 1 for the same folded handle, 0.95 for the same skeleton, else the best fuzzy ratio."""
    if not a or not b:
        return 0.0
    fa, fb = _NON_ALNUM.sub("", fold(a)), _NON_ALNUM.sub("", fold(b))
    if fa and fa == fb:
        return 1.0
    sa, sb = handle_skeleton(a), handle_skeleton(b)
    if len(sa) >= 3 and sa == sb:
        return SKELETON_MATCH
    return max(fuzz.ratio(fa, fb), fuzz.ratio(sa, sb)) / 100.0 * SKELETON_MATCH


def name_similarity(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 0.0
    return fuzz.token_sort_ratio(fold(a), fold(b)) / 100.0


def text_similarity(a: str | None, b: str | None) -> float:
    if not a or not b:
        return 0.0
    return fuzz.token_set_ratio(fold(a), fold(b)) / 100.0


def pdq_distance(a: str | None, b: str | None) -> int | None:
    """Hamming distance of two hex PDQ hashes (256 bits), or None when either is missing."""
    if not a or not b or len(a) != len(b):
        return None
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        return None


def avatar_similarity(a: str | None, b: str | None) -> float | None:
    """1 for the same avatar, falling to 0 at the PDQ match limit (31 bits); None if unknown."""
    d = pdq_distance(a, b)
    if d is None:
        return None
    return max(0.0, 1.0 - d / 32.0)
