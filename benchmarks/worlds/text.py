"""Names and neutral placeholder text of the evaluation worlds, and the edits copypasta rings make.

The organisation is fictional and its statements are placeholders ("communique 12 of the Kessel
Ridge Circle: notice about the spring schedule"): the worlds test ranking and linking logic, so
nothing in them is real propaganda.  The vocabulary is separate from ``openiru demo``'s.
"""

from __future__ import annotations

import random
import unicodedata

SYLLABLES = [
    "kes",
    "sel",
    "ori",
    "vand",
    "tal",
    "mur",
    "eth",
    "bray",
    "lun",
    "dor",
    "qua",
    "rim",
    "sol",
    "ven",
    "ash",
    "tor",
    "mel",
    "cai",
    "pell",
    "nox",
    "ryn",
    "gal",
    "fen",
    "zu",
]
ORG_NOUNS = ["Circle", "Front", "Assembly", "Compact", "League", "Brotherhood", "Council", "Vanguard"]
PLACES = ["Ridge", "Vale", "Marsh", "Harbour", "Steppe", "Delta", "Highlands", "Basin"]
TOPICS = [
    "the spring schedule",
    "the new audio series",
    "the weekly notice",
    "the archive update",
    "the translated pamphlet",
    "the regional bulletin",
    "the anniversary notice",
    "the podcast",
    "the statement on the old dispute",
    "the list of readings",
]
ARABIC_TOPICS = ["النشرة الأسبوعية", "السلسلة الصوتية الجديدة", "بيان التحديث", "الإصدار المترجم"]
BENIGN_TOPICS = [
    "the football match",
    "rain tomorrow",
    "the bakery on the corner",
    "a new bike lane",
    "the school concert",
    "train delays",
    "the book club",
    "garden tomatoes",
    "a film night",
    "the marathon",
    "a lost cat",
    "the farmers market",
    "exam results",
    "a quiz night",
]
FIRST = [
    "Amira",
    "Bo",
    "Chen",
    "Dana",
    "Eli",
    "Farah",
    "Goran",
    "Hana",
    "Ivo",
    "Jonas",
    "Kemal",
    "Lea",
    "Mira",
    "Nadia",
    "Omar",
    "Petra",
    "Rami",
    "Sina",
    "Tomas",
    "Uma",
    "Vera",
    "Wim",
    "Yara",
    "Zeno",
    "Idris",
    "Lina",
    "Malik",
    "Noor",
    "Sami",
    "Tarek",
    "Anja",
    "Basil",
]
LAST = [
    "Adler",
    "Brandt",
    "Costa",
    "Duval",
    "Erdem",
    "Falk",
    "Haddad",
    "Ilves",
    "Jansen",
    "Kovac",
    "Lund",
    "Moreau",
    "Novak",
    "Okafor",
    "Petrov",
    "Quist",
    "Rahal",
    "Sauer",
    "Tamm",
    "Varga",
]
NEWS_WORDS = ["Ledger", "Dispatch", "Courier", "Monitor", "Herald", "Gazette", "Observer", "Wire"]
EMOJI = ["\U0001f4e2", "\U0001f525", "\u2705", "\U0001f4cc", "\u26a0\ufe0f"]
INSERTS = ["now", "today", "please", "shared", "again", "important", "all"]
HOMOGLYPHS = {
    "a": "\u0430",
    "e": "\u0435",
    "o": "\u043e",
    "p": "\u0440",
    "c": "\u0441",
    "x": "\u0445",
    "i": "\u0456",
    "y": "\u0443",
}
LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}
ARABIC_DIACRITICS = ["\u064e", "\u064f", "\u0650", "\u0651", "\u0652"]
TATWEEL = "\u0640"


def word(rng: random.Random, parts: int = 2) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts))


class Organisation:
    """The fictional organisation of one world: names, hashtags, own domain, statement texts."""

    def __init__(self, rng: random.Random) -> None:
        self.stem = word(rng, 2).capitalize()
        self.name = f"{self.stem} {rng.choice(PLACES)} {rng.choice(ORG_NOUNS)}"
        self.short = "".join(w[0] for w in self.name.split()).upper()
        self.media_name = f"{self.stem} {rng.choice(['Media', 'Voice', 'Foundation', 'Studio'])}"
        self.hashtags = [
            self.stem + rng.choice(["Notice", "News", "Voice"]),
            self.short + "bulletin",
            self.stem + "Archive",
        ]
        self.domain = f"{self.stem.lower()}-{rng.choice(['releases', 'library', 'press'])}.example"
        self.mirror = f"{word(rng, 2)}-mirror.example"
        self.rng = rng

    def statement(self, n: int, arabic: bool = False) -> tuple[str, str]:
        """Release text n (with a link to the own domain) and its language."""
        if arabic:
            topic = self.rng.choice(ARABIC_TOPICS)
            return (f"إصدار رقم {n} من {self.media_name}: {topic} متاح الآن على الموقع", "ar")
        topic = self.rng.choice(TOPICS)
        return (
            f"Release {n} of the {self.name}: a placeholder notice about {topic}, read it in full "
            f"and pass it on",
            "en",
        )

    def comment(self) -> str:
        return self.rng.choice(
            [
                f"Everyone should read the latest from the {self.short} office",
                f"Placeholder support message for the {self.name}",
                f"The {self.media_name} series continues, share it widely",
                f"Another placeholder statement from {self.stem} supporters",
            ]
        )

    def link(self, n: int) -> str:
        return f"https://{self.domain}/release/{n}"


def person_name(rng: random.Random) -> tuple[str, str]:
    """(first, last) of a fictional person."""
    return rng.choice(FIRST), rng.choice(LAST)


def benign_text(rng: random.Random) -> str:
    topic = rng.choice(BENIGN_TOPICS)
    return rng.choice(
        [
            f"Anyone else thinking about {topic}?",
            f"Quick note on {topic}, placeholder text",
            f"Loved {topic} this week",
            f"Reminder: {topic} is on the agenda",
            f"Photos from {topic} coming soon",
        ]
    )


def news_text(rng: random.Random, org: Organisation, outlet: str) -> str:
    """Reporting on the organisation: its names and hashtags, critical or neutral framing."""
    return rng.choice(
        [
            f"Analysis: how the {org.name} uses placeholder releases to recruit, by the {outlet} desk",
            f"Report: accounts linked to the {org.short} keep posting #{org.hashtags[0]}, researchers say",
            f"Our investigation into the {org.media_name} network and its {org.stem} channels",
            f"Fact check: the latest {org.short} statement is misleading (placeholder)",
            f"Thread: tracking #{org.hashtags[1]} activity this week and why it matters",
            f"The {org.name} released another statement; experts urge platforms to act",
        ]
    )


def homoglyphs(rng: random.Random, text: str, share: float = 0.3) -> str:
    return "".join(HOMOGLYPHS[c] if c in HOMOGLYPHS and rng.random() < share else c for c in text)


def arabic_marks(rng: random.Random, text: str) -> str:
    """Diacritics and tatweel inside Arabic words (latin text gets combining accents instead)."""
    out = []
    for c in text:
        out.append(c)
        if "\u0621" <= c <= "\u064a":
            roll = rng.random()
            if roll < 0.2:
                out.append(rng.choice(ARABIC_DIACRITICS))
            elif roll < 0.3 and c not in "اأإآدذرزوؤة":
                out.append(TATWEEL)
        elif c.isalpha() and rng.random() < 0.08:
            out.append("\u0301")
    return unicodedata.normalize("NFC", "".join(out))


def insert_token(rng: random.Random, text: str) -> str:
    words = text.split()
    token = rng.choice(EMOJI) if rng.random() < 0.5 else rng.choice(INSERTS)
    words.insert(rng.randrange(len(words) + 1), token)
    return " ".join(words)


def edit_copy(rng: random.Random, text: str) -> str:
    """One copypasta edit: homoglyphs, marks (diacritics/tatweel), or an inserted word/emoji."""
    kind = rng.choice(["homoglyph", "marks", "insert", "insert+homoglyph"])
    if kind == "homoglyph":
        return homoglyphs(rng, text)
    if kind == "marks":
        return arabic_marks(rng, text)
    if kind == "insert":
        return insert_token(rng, text)
    return homoglyphs(rng, insert_token(rng, text), 0.15)
