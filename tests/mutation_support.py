"""Random mutation of JSON records for the importers' robustness tests."""

from __future__ import annotations

import random

#: Values of the wrong type or out of range, put in place of fields by the robustness test
#: (integers stay within 64 bits: ijson's C parser stops a document at a larger one).
ODD_VALUES = [
    None,
    True,
    0,
    -1,
    2**62,
    1e300,
    "",
    "2026-13-45",
    [],
    [1, None],
    {},
    {"$date": "x"},
    {"id": None},
    "\x00",
    "99999999999999999999",
]


def mutated(value: object, rng: random.Random) -> object:
    """A copy of a JSON value with some fields replaced by odd values or dropped."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            roll = rng.random()
            if roll < 0.15:
                out[key] = rng.choice(ODD_VALUES)
            elif roll >= 0.2:
                out[key] = mutated(item, rng)
        return out
    if isinstance(value, list):
        return [mutated(v, rng) for v in value] if rng.random() > 0.1 else rng.choice(ODD_VALUES)
    return value
