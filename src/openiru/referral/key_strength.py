"""A strength check for secret keys typed or pasted by people (not only their length).

``OPENIRU_SECRET_KEY`` (seals delivery secrets), ``OPENIRU_AUDIT_KEY`` (signs the
audit anchor) and providers' webhook keys are checked with :func:`check_key`.
A key is refused when any of these holds:

- it is shorter than ``min_chars`` characters (32 by default);
- it has fewer than :data:`MIN_DISTINCT` different characters;
- its Shannon estimate is below :data:`MIN_BITS`: the entropy of the string's own
  character frequencies, ``H = -sum(p_c * log2 p_c)`` bits per character, times its
  length (40 identical characters: 0 bits; ``abab...``: 1 bit a character);
- it repeats one pattern of at most half its length (``abcdefgh`` four times).

This is an estimate, deliberately simple and documented: it refuses keys that are
plainly not random, not every weak key (a long dictionary phrase passes).  A random
key such as ``python -c 'import secrets; print(secrets.token_urlsafe(32))'``
(about 200 bits by this estimate) or ``secrets.token_hex(32)`` always passes.
Written by hand: a few lines of the standard library; password-strength
libraries estimate human passwords, not machine keys.
"""

from __future__ import annotations

import math
from collections import Counter

from ..errors import ConfigError

MIN_CHARS = 32
MIN_DISTINCT = 10
MIN_BITS = 80.0
HOW = "generate one with python -c 'import secrets; print(secrets.token_urlsafe(32))'"


class WeakKeyError(ConfigError):
    """A key too short, or too regular to be random."""


def shannon_bits(value: str) -> float:
    """Length times the Shannon entropy (bits a character) of the string's character frequencies."""
    if not value:
        return 0.0
    n = len(value)
    return n * -sum((c / n) * math.log2(c / n) for c in Counter(value).values())


def _period(value: str) -> int | None:
    """The shortest pattern of at most half the length that the whole value repeats, if any."""
    n = len(value)
    for p in range(1, n // 2 + 1):
        if all(value[i] == value[i - p] for i in range(p, n)):
            return p
    return None


def weakness(value: str, min_chars: int = MIN_CHARS) -> str | None:
    """Why ``value`` is not acceptable as a key, or None."""
    if len(value) < min_chars:
        return f"too short ({len(value)} characters; at least {min_chars})"
    distinct = len(set(value))
    if distinct < MIN_DISTINCT:
        return f"too regular ({distinct} different characters; at least {MIN_DISTINCT})"
    period = _period(value)
    if period is not None:
        return f"too regular (it repeats a pattern of {period} characters)"
    bits = shannon_bits(value)
    if bits < MIN_BITS:
        return f"too regular (about {bits:.0f} bits by its character frequencies; at least {MIN_BITS:.0f})"
    return None


def check_key(value: str, what: str, min_chars: int = MIN_CHARS) -> str:
    """``value`` if strong enough, else :class:`WeakKeyError` naming ``what`` and the reason."""
    why = weakness(value, min_chars)
    if why is not None:
        raise WeakKeyError(f"{what} is {why}: {HOW}")
    return value
