"""Handle and display-name schemes per platform, and the edits ban evaders make to them.

Schemes vary by world: ``first_last``, ``firstlast99``, ``first.last`` (Rocket.Chat), word handles
(``kesselvoice``).  Telegram users have no handle in a Desktop export (only a display name).  Ban
evasion edits: suffix digits, leetspeak, swapped or dropped letters, or a new name entirely (then
the avatar and bio stay the same).
"""

from __future__ import annotations

import random

from .text import LEET, person_name, word

EDIT_KINDS = ("suffix", "leet", "swap", "drop", "rename")


class Handles:
    """Unique handles per platform in one world's scheme."""

    def __init__(self, rng: random.Random, scheme: str) -> None:
        self.rng = rng
        self.scheme = scheme
        self._used: dict[str, set[str]] = {}

    def _unique(self, platform: str, base: str) -> str:
        used = self._used.setdefault(platform, set())
        handle, n = base, 1
        while handle.lower() in used:
            n += 1
            handle = f"{base}{n}"
        used.add(handle.lower())
        return handle

    def claim(self, platform: str, handle: str) -> str:
        """Take a given handle (the same actor's name on another platform); made unique if taken."""
        return self._unique(platform, handle)

    def person(self, platform: str, first: str, last: str) -> str:
        f, last_ = first.lower(), last.lower()
        if platform == "rocketchat":
            base = f"{f}.{last_}" if self.scheme != "word" else f"{f}{last_[0]}"
        elif self.scheme == "first_last":
            base = f"{f}_{last_}"
        elif self.scheme == "digits":
            base = f"{f}{last_}{self.rng.randint(10, 99)}"
        else:
            base = f"{f}{word(self.rng, 1)}"
        return self._unique(platform, base)

    def word_handle(self, platform: str, stem: str) -> str:
        return self._unique(
            platform, stem.lower() + self.rng.choice(["", "_", "."]).strip(".") + word(self.rng, 1)
        )

    def random_person(self, platform: str) -> tuple[str, str]:
        """(handle, display name) of a new fictional person."""
        first, last = person_name(self.rng)
        return self.person(platform, first, last), f"{first} {last}"


def evade(rng: random.Random, handle: str, kind: str) -> str:
    """The successor's handle after a ban, by edit kind (``rename`` is handled by the caller)."""
    h = handle
    if kind == "suffix" and " " in h:  # a display name (Telegram users have no handle)
        return h + rng.choice([" 2", "2", " (new)", " II"])
    if kind == "suffix":
        digits = "".join(c for c in h if c.isdigit())
        if digits and h.endswith(digits):
            return h[: -len(digits)] + str(int(digits) + rng.randint(1, 3))
        return h + rng.choice(["2", "_2", "01", "_back", "1"])
    if kind == "leet":
        spots = [i for i, c in enumerate(h) if c.lower() in LEET]
        if not spots:
            return h + "0"
        for i in rng.sample(spots, min(len(spots), rng.choice([1, 2]))):
            h = h[:i] + LEET[h[i].lower()] + h[i + 1 :]
        return h
    if kind == "swap":
        letters = [
            i for i in range(1, len(h) - 1) if h[i].islower() and h[i + 1].islower() and h[i] != h[i + 1]
        ]
        if not letters:
            return h + "x"
        i = rng.choice(letters)
        return h[:i] + h[i + 1] + h[i] + h[i + 2 :]
    if kind == "drop":
        letters = [i for i in range(1, len(h)) if h[i].isalpha()]
        i = rng.choice(letters) if letters else len(h) - 1
        return h[:i] + h[i + 1 :]
    raise ValueError(f"unknown edit kind {kind}")


def evade_name(rng: random.Random, name: str, kind: str) -> str:
    """The successor's display name: usually the same, sometimes with a marker."""
    if kind in ("leet", "swap", "drop") and rng.random() < 0.5:
        return evade(rng, name, kind)
    return rng.choice([name, name, f"{name} (back)", f"{name} II", f"{name} \u2728"])


def lookalike(rng: random.Random, handle: str) -> str:
    """A benign look-alike of a handle: numbered second account or a near-identical name."""
    return rng.choice([f"{handle}2", f"{handle}_alt", f"{handle}_backup", handle.replace("_", "") + "_"])
