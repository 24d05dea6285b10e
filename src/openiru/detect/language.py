"""Language identification with lingua, built for the languages a unit works in.

The detector is built once per process for a fixed set of languages (the default:
Arabic, English, French, German, Russian, Turkish, Persian, Urdu and Indonesian;
lingua has no Pashto model) with its models preloaded, so there is no lazy
loading, and nothing is ever downloaded: lingua ships its models in the wheel.
Codes are ISO 639-1 (``"ar"``, ``"en"``...); ``None`` when lingua is not confident.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import cache

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

DEFAULT_LANGUAGES = ("ar", "en", "fr", "de", "ru", "tr", "fa", "ur", "id")
#: Pashto is asked for by units but lingua has no model for it.
UNSUPPORTED = ("ps",)


def _language(code: str) -> Language:
    return Language.from_iso_code_639_1(getattr(IsoCode639_1, code.upper()))


@cache
def detector(codes: tuple[str, ...] = DEFAULT_LANGUAGES) -> LanguageDetector:
    """The (cached) lingua detector for these ISO 639-1 codes, models preloaded."""
    languages = [_language(c) for c in codes if c not in UNSUPPORTED]
    return (
        LanguageDetectorBuilder.from_languages(*languages)
        .with_preloaded_language_models()
        .with_minimum_relative_distance(0.0)
        .build()
    )


#: Links, e-mail addresses and @handles carry no language but are Latin letters: in a short
#: Arabic, Persian or Urdu post they made lingua answer English or Indonesian (6 of 8 errors on
#: benchmarks/data/short_posts_langid.tsv); they are left out of what lingua reads.
_NOT_LANGUAGE = re.compile(r"(?:https?://|www\.)\S+|\S+@\S+\.\w+|(?<!\w)@\w+")


def language_text(text: str) -> str:
    """What of a post says something about its language: without links and @handles."""
    return " ".join(_NOT_LANGUAGE.sub(" ", text).split())


def _code(language: Language | None) -> str | None:
    return language.iso_code_639_1.name.lower() if language is not None else None


def detect_language(text: str, codes: tuple[str, ...] = DEFAULT_LANGUAGES) -> str | None:
    """The ISO 639-1 code of the language of ``text``, or None."""
    text = language_text(text)
    if not text:
        return None
    return _code(detector(codes).detect_language_of(text))


def detect_languages(texts: Sequence[str], codes: tuple[str, ...] = DEFAULT_LANGUAGES) -> list[str | None]:
    """Languages of many texts, using lingua's parallel batch API."""
    if not texts:
        return []
    cleaned = [language_text(t) for t in texts]
    found = detector(codes).detect_languages_in_parallel_of(cleaned)
    return [_code(lang) if text else None for lang, text in zip(found, cleaned, strict=True)]
