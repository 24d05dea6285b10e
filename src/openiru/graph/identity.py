"""Name similarity for linking accounts run by one operator: handles, display names, bios, avatars.

Handles of re-created accounts follow patterns (``name_1`` -> ``name_2``, ``name`` -> ``name_official``,
Cyrillic or Greek look-alike letters, transliteration, accents).  Names are folded to an ASCII
skeleton with ``anyascii`` (homoglyphs, transliteration, accents), then compared with ``rapidfuzz``.

Platform ids are not names: a Telegram ``user123456``, a numeric X id, a Rocket.Chat (Meteor) id
or an actor URL says nothing about who runs an account, and two ids that look alike (``user1001``,
``user1002``) are consecutive numbers, not one operator.  :func:`real_name` drops such values, and
every comparison here works on real handles and display names only.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict

from anyascii import anyascii
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from .data import GraphData

_SEPARATORS = re.compile(r"[\s_\-.·|]+")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
#: Suffixes and prefixes operators add to a re-created handle.
_AFFIXES = (
    "official",
    "offical",
    "new",
    "backup",
    "bak",
    "real",
    "the",
    "channel",
    "chan",
    "news",
    "media",
    "v",
    "ii",
    "iii",
    "reborn",
    "back",
    "again",
    "mirror",
    "alt",
)
#: Digits used as letters in handles (leet-speak); applied only to the skeleton.
_LEET = str.maketrans({"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"})


#: Values that are platform ids or addresses rather than names a person chose.
_ID_LIKE = re.compile(
    r"^(?:(?:user|channel|chat|peer|id|uid)[_-]?\d+|\d+|[0-9a-f]{16,}|[A-Za-z0-9]{17}|https?://\S+)$", re.I
)
_MIXED = re.compile(r"(?=.*\d)(?=.*[A-Z])(?=.*[a-z])")


def is_platform_id(value: str | None, account_id: str | None = None) -> bool:
    """Whether ``value`` is a platform id (or the account's own id) rather than a chosen name."""
    if not value:
        return True
    text = value.strip().lstrip("@")
    if account_id and text.casefold() == account_id.strip().lstrip("@").casefold():
        return True
    if not _ID_LIKE.match(text):
        return False
    # 17 letters and digits are a Meteor id only when they mix digits and both cases
    return not (len(text) == 17 and text.isalnum() and not _MIXED.match(text))


def real_name(value: str | None, account_id: str | None = None) -> str | None:
    """``value`` when it is a name a person chose, else None; ``name@host`` keeps its local part."""
    if not value or is_platform_id(value, account_id):
        return None
    text = value.strip()
    if "@" in text.lstrip("@"):  # acct@domain (ActivityPub): the domain is the server, not the name
        text = text.lstrip("@").split("@", 1)[0]
    return None if is_platform_id(text, account_id) else text


def fold(text: str | None) -> str:
    """Lower-case ASCII form: accents dropped, homoglyphs and other scripts transliterated."""
    if not text:
        return ""
    return anyascii(unicodedata.normalize("NFKC", text)).casefold().strip()


def _core_words(handle: str | None) -> list[str]:
    """The words of a handle or title, without trailing numbering and common affixes."""
    words = [w for w in _SEPARATORS.split(fold(handle).lstrip("@")) if w]
    while len(words) > 1 and (words[-1].isdigit() or words[-1] in _AFFIXES):
        words.pop()
    while len(words) > 1 and words[0] in _AFFIXES:
        words.pop(0)
    return words


def handle_skeleton(handle: str | None) -> str:
    """The stable core of a handle: no separators, trailing numbering, common affixes or leet digits."""
    text = _NON_ALNUM.sub("", "".join(_core_words(handle)))
    text = re.sub(r"\d+$", "", text) or text
    for affix in _AFFIXES:
        if len(affix) > 2 and text.endswith(affix) and len(text) - len(affix) >= 4:
            text = text[: -len(affix)]
        if len(affix) > 2 and text.startswith(affix) and len(text) - len(affix) >= 4:
            text = text[len(affix) :]
    return text.translate(_LEET)


#: Similarity of handles that agree once numbering, affixes and look-alikes are folded away
#: (``name_1``/``name_2``); identical folded handles score 1.
SKELETON_MATCH = 0.95
#: Similarity of handles one character edit apart once folded (a letter swapped, dropped, doubled
#: or replaced: ``nrothwind``/``northwind``; digits for letters are folded before): two edits
#: for skeletons of ten characters or more.
EDIT_MATCH = 0.9


#: Skeletons shorter than this are too short for one edit to say anything (``ivan``/``ivar``) ...
MIN_EDIT_LENGTH = 5
#: ... except a swap of two neighbouring letters from this length: it keeps every letter of the
#: handle (``uman``/``umna``), a deliberate edit rather than another short name.
MIN_SWAP_LENGTH = 4


def _swapped(a: str, b: str) -> bool:
    """Whether ``b`` is ``a`` with two different neighbouring letters swapped."""
    if len(a) != len(b) or a == b:
        return False
    diff = [k for k in range(len(a)) if a[k] != b[k]]
    return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]


def _short_words_edited_once(a: str | None, b: str | None) -> bool:
    """Whether two names written in the same number of words (``Hana Okafor``/``Anja Okafor``,
    ``kemal.moreau``/``keal.moreau``) differ by at most one edit in each word shorter than
    :data:`MIN_EDIT_LENGTH` letters; names without the same word structure pass.  Two edits inside a
    short word rewrite it: another first name of the same family, not an edited copy of the name
    (a longer word may take two: ``Orlov``/``Orloff``)."""
    wa, wb = _core_words(a), _core_words(b)
    if len(wa) < 2 or len(wa) != len(wb):
        return True
    for x, y in zip(wa, wb, strict=True):
        x, y = _NON_ALNUM.sub("", x).translate(_LEET), _NON_ALNUM.sub("", y).translate(_LEET)
        if min(len(x), len(y)) < MIN_EDIT_LENGTH and OSA.distance(x, y, score_cutoff=1) > 1:
            return False
    return True


def handle_edit(a: str | None, b: str | None) -> bool:
    """Whether two handles' skeletons are at most one edit (two from ten characters) apart, counting
    a swap of neighbouring letters as one edit (optimal string alignment distance); skeletons of
    :data:`MIN_SWAP_LENGTH` characters only by such a swap.  Handles or titles of several words
    take at most one edit in each short word (:func:`_short_words_edited_once`)."""
    sa, sb = handle_skeleton(a), handle_skeleton(b)
    if min(len(sa), len(sb)) < MIN_EDIT_LENGTH:
        return min(len(sa), len(sb)) >= MIN_SWAP_LENGTH and _swapped(sa, sb)
    limit = 2 if min(len(sa), len(sb)) >= 10 else 1
    return OSA.distance(sa, sb, score_cutoff=limit) <= limit and _short_words_edited_once(a, b)


def handle_similarity(a: str | None, b: str | None) -> float:
    """0..1: 1 for the same folded handle, 0.95 for the same skeleton, 0.9 for skeletons one edit
    apart, else the best fuzzy ratio (scaled below the skeleton match)."""
    if not a or not b:
        return 0.0
    fa, fb = _NON_ALNUM.sub("", fold(a)), _NON_ALNUM.sub("", fold(b))
    if fa and fa == fb:
        return 1.0
    sa, sb = handle_skeleton(a), handle_skeleton(b)
    if len(sa) >= 3 and sa == sb:
        return SKELETON_MATCH
    if handle_edit(a, b):
        return EDIT_MATCH
    # rounded: 8/9 alike (a letter dropped from five) scaled by 0.9 is 0.8, not 0.7999999999999999
    return round(max(fuzz.ratio(fa, fb), fuzz.ratio(sa, sb)) / 100.0 * EDIT_MATCH, 6)


def name_similarity(a: str | None, b: str | None) -> float:
    """0..1: the better of the names' fuzzy ratio with their words sorted (``Novak Uma``/``Uma
    Novak``) and as written (an edit inside one word can move it in the sorted order: ``Noor
    Costa``/``Noor osta``)."""
    if not a or not b:
        return 0.0
    fa, fb = fold(a), fold(b)
    return max(fuzz.token_sort_ratio(fa, fb), fuzz.ratio(fa, fb)) / 100.0


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


#: An avatar file this many accounts use is a default picture: no evidence of who runs them.
COMMON_AVATAR_ACCOUNTS = 5


def avatar_files(data: GraphData) -> dict[str, int]:
    """How many accounts use each avatar file."""
    count: dict[str, int] = defaultdict(int)
    for key in data.accounts.avatar_key or ():
        if key:
            count[key] += 1
    return count


def avatar_distance(data: GraphData, i: int, j: int, files: dict[str, int]) -> int | None:
    """PDQ distance of two accounts' avatars; where either has no PDQ hash, 0 when both use the
    same avatar file (the same content hash or media key: the same image), unless that file is
    one :data:`COMMON_AVATAR_ACCOUNTS` or more accounts use (a platform's default picture); else None."""
    a = data.accounts
    d = pdq_distance(a.avatar_pdq[i], a.avatar_pdq[j])
    if d is not None or a.avatar_key is None:
        return d
    key = a.avatar_key[i]
    if key and key == a.avatar_key[j] and files.get(key, 0) < COMMON_AVATAR_ACCOUNTS:
        return 0
    return None
