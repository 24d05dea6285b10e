"""Fictional people's names and handle variations (re-created accounts).

A re-created account keeps its operator's habits: the same display name and
bio, and a handle that differs the way real evaders' handles do: a bumped
counter (``name_1`` to ``name_2``), look-alike characters (``o`` to ``0``, or a
Cyrillic letter in a display name), or another transliteration of the same
name.
"""

from __future__ import annotations

import random

FIRST = {
    "en": ("tamsin", "oliver", "grace", "rowan", "elliot", "maya", "harvey", "nina"),
    "fr": ("lucie", "mathis", "camille", "etienne", "margaux", "basile", "ines", "gaspard"),
    "de": ("jonas", "lena", "matthias", "frieda", "lukas", "greta", "anton", "mila"),
    "ru": ("ilya", "daria", "pavel", "kseniya", "artyom", "vera", "yegor", "alina"),
    "tr": ("emre", "zeynep", "mehmet", "elif", "burak", "selin", "kerem", "ayla"),
    "ar": ("samir", "nour", "yusuf", "leila", "karim", "huda", "tariq", "salma"),
}
LAST = {
    "en": ("ward", "pemberton", "hale", "ashby", "collins", "frost"),
    "fr": ("marel", "dubois", "fontaine", "garnier", "lemoine", "roux"),
    "de": ("keller", "brandt", "vogel", "hartmann", "lorenz", "weber"),
    "ru": ("sorokin", "volkova", "belov", "morozova", "orlov", "zaitseva"),
    "tr": ("kaya", "demir", "yildiz", "aydin", "sahin", "celik"),
    "ar": ("haddad", "mansour", "khalil", "nasser", "saleh", "farouk"),
}
#: Word stems for the organisation's pseudonymous accounts.
STEMS = (
    "lantern",
    "scribe",
    "watch",
    "ember",
    "beacon",
    "courier",
    "vigil",
    "signal",
    "harbor",
    "compass",
    "anvil",
    "quarry",
    "meadow",
    "falcon",
    "cinder",
    "ridge",
)
PREFIXES = ("ashen", "velmor", "meridian", "dawn", "grey", "north")

#: Alternative transliterations of the same name.
TRANSLITERATIONS = {
    "yusuf": "youssef",
    "nour": "noor",
    "ilya": "ilia",
    "kseniya": "ksenia",
    "artyom": "artem",
    "yegor": "egor",
    "mehmet": "mehmed",
    "karim": "kareem",
    "tariq": "tarek",
    "huda": "houda",
    "samir": "sameer",
    "leila": "layla",
    "haddad": "hadad",
    "mansour": "mansur",
    "sorokin": "sorokine",
    "volkova": "wolkowa",
    "orlov": "orloff",
    "yildiz": "yilduz",
    "farouk": "faruq",
}
#: Handle-safe look-alikes (X handles allow only letters, digits and "_").
HANDLE_LOOKALIKES = {"o": "0", "l": "1", "i": "1", "e": "3", "a": "4", "s": "5"}
#: Cyrillic letters that look like Latin ones, for display names.
CYRILLIC_LOOKALIKES = {
    "a": "а",
    "e": "е",
    "o": "о",
    "c": "с",
    "p": "р",
    "x": "х",
    "M": "М",
    "H": "Н",
    "T": "Т",
    "A": "А",
    "E": "Е",
    "O": "О",
    "C": "С",
    "K": "К",
    "B": "В",
}


def person(rng: random.Random, language: str) -> tuple[str, str]:
    """(handle, display name) of a fictional person writing in ``language``."""
    first, last = rng.choice(FIRST[language]), rng.choice(LAST[language])
    # Letters, digits and "_" only: what X and Mastodon allow in a username.
    handle = rng.choice((f"{first}_{last}", f"{first}{last}", f"{first}_{last[:3]}", f"{last}_{first}"))
    return handle, f"{first.title()} {last.title()}"


def pseudonym(rng: random.Random) -> tuple[str, str]:
    prefix, stem = rng.choice(PREFIXES), rng.choice(STEMS)
    return f"{prefix}_{stem}", f"{prefix.title()} {stem.title()}"


def _lookalike(rng: random.Random, text: str, table: dict[str, str], count: int = 1) -> str:
    positions = [i for i, c in enumerate(text) if c in table]
    chars = list(text)
    for i in rng.sample(positions, min(count, len(positions))):
        chars[i] = table[chars[i]]
    return "".join(chars)


def variation(rng: random.Random, handle: str, display: str, kind: str) -> tuple[str, str]:
    """The successor's (handle, display name) for one kind of variation."""
    if kind == "counter":
        stem, _, tail = handle.rpartition("_")
        if tail.isdigit():
            return f"{stem}_{int(tail) + 1}", display
        return f"{handle}_2", display
    if kind == "homoglyph":
        return _lookalike(rng, handle, HANDLE_LOOKALIKES), _lookalike(rng, display, CYRILLIC_LOOKALIKES)
    if kind == "transliteration":
        new = handle
        for a, b in TRANSLITERATIONS.items():
            if a in new:
                new = new.replace(a, b)
                break
        if new == handle:
            new = handle.replace("_", ".") if "_" in handle else handle + "_"
        return new, display
    raise ValueError(kind)


def transliterable(rng: random.Random, language: str) -> tuple[str, str]:
    """A person whose name has a well-known alternative transliteration."""
    firsts = [f for f in FIRST[language] if f in TRANSLITERATIONS] or list(FIRST[language])
    first, last = rng.choice(firsts), rng.choice(LAST[language])
    return f"{first}_{last}", f"{first.title()} {last.title()}"
