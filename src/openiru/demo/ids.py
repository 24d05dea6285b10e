"""Native identifiers in each platform's own shape, drawn from the seeded RNG.

X ids are snowflakes (``(ms - 1288834974657) << 22 | bits``) so the id and
``created_at`` agree, as they do on the real platform; Mastodon ids are its
snowflakes (``ms << 16 | sequence``); Rocket.Chat ids are Meteor's 17-character
random ids; Telegram ids are plain integers (``from_id`` "channel<id>" /
"user<id>").  Every generator remembers what it issued so ids never repeat.
"""

from __future__ import annotations

import random
from datetime import datetime

X_EPOCH_MS = 1288834974657
METEOR_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz"


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


class IdMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.issued: set[str] = set()

    def _unique(self, make: object) -> str:
        while True:
            value = make()  # type: ignore[operator]
            if value not in self.issued:
                self.issued.add(value)
                return str(value)

    def x_snowflake(self, when: datetime) -> str:
        base = (ms(when) - X_EPOCH_MS) << 22
        return self._unique(lambda: str(base | self.rng.getrandbits(22)))

    def x_legacy_user(self) -> str:
        """A pre-2013 numeric user id (8 to 10 digits)."""
        return self._unique(lambda: str(self.rng.randrange(10_000_000, 3_000_000_000)))

    def mastodon(self, when: datetime) -> str:
        return self._unique(lambda: str((ms(when) << 16) | self.rng.getrandbits(16)))

    def telegram_channel(self) -> int:
        return int(self._unique(lambda: str(self.rng.randrange(1_100_000_000, 2_300_000_000))))

    def telegram_user(self) -> int:
        return int(self._unique(lambda: str(self.rng.randrange(100_000_000, 7_900_000_000))))

    def meteor(self) -> str:
        return self._unique(lambda: "".join(self.rng.choice(METEOR_ALPHABET) for _ in range(17)))

    def t_co(self) -> str:
        alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
        return self._unique(lambda: "https://t.co/" + "".join(self.rng.choice(alphabet) for _ in range(10)))

    def token(self, length: int = 10) -> str:
        alphabet = "abcdefghijkmnopqrstuvwxyz23456789"
        return self._unique(lambda: "".join(self.rng.choice(alphabet) for _ in range(length)))
