"""Text normalisation, lexicon matching, near-duplicates of known texts, language identification."""

from __future__ import annotations

import pytest

from openiru.detect.language import detect_language, detect_languages
from openiru.detect.lexicon import LexiconMatcher, Term
from openiru.detect.neardup import KnownText, KnownTextIndex
from openiru.detect.normalise import normalise, normalise_with_offsets, original_span


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("ＦＵＬＬ ｗｉｄｔｈ ﬁne", "full width fine"),  # NFKC compatibility forms
        ("GROẞE Straße", "grosse strasse"),  # case folding
        ("zero\u200bwidth\u200d joiner\u00adsoft", "zerowidth joinersoft"),  # zero-width, soft hyphen
        ("bidi \u202etext\u202c and \u2066isolate\u2069", "bidi text and isolate"),  # bidi controls
        ("الْعَرَبِيَّةُ", "العربيه"),  # harakat, shadda, sukun removed; taa marbuta folded
        ("الـــعـربـيـة", "العربيه"),  # tatweel removed
        ("أحمد إلى آمال ٱلكتاب", "احمد الي امال الكتاب"),  # alef variants, alef maqsura
        ("کتاب یک ہفتہ", "كتاب يك هفته"),  # Persian/Urdu kaf, yeh, heh
        ("Dаеsh", "daesh"),  # Cyrillic а, е inside a Latin word
        ("Ρrοpaganda", "propaganda"),  # Greek Rho and omicron
        ("d43sh h4ck3r", "daesh hacker"),  # leetspeak inside words
        ("d@esh", "daesh"),
        ("2024 and 42", "2024 and 42"),  # plain numbers stay numbers
        ("d a e s h and d.a.e.s.h", "daesh and daesh"),  # spaced-out letters
        ("Café Ünïcödé", "cafe unicode"),  # Latin accents
        ("hello,   world!!!", "hello world"),
        ("#Tag_Name @user_name", "#tag_name user_name"),  # hashtags and handles stay whole
    ],
)
def test_normaliser_cases(raw: str, expected: str) -> None:
    assert normalise(raw) == expected
    text, offsets = normalise_with_offsets(raw)
    assert text == expected
    assert len(offsets) == len(text)


def test_offsets_point_back_into_the_original() -> None:
    raw = "Breaking: the Dаеsh   bulletin"
    norm, offsets = normalise_with_offsets(raw)
    start = norm.index("daesh")
    span = original_span(offsets, start, start + 5, len(raw))
    assert raw[span[0] : span[1]] == "Dаеsh"


def _terms() -> list[Term]:
    return [
        Term(1, "Ashen Meridian", "en", "outlet", "org"),
        Term(2, "daesh", "", "term"),
        Term(3, "#SilverDawn", "en", "hashtag"),
        Term(4, "пропаганда", "ru", "term"),
        Term(5, "الفجر", "ar", "term"),
        Term(6, "宣传", "zh", "term"),
    ]


@pytest.mark.parametrize(
    "text,found",
    [
        ("News from the Ashen  Meridian today", {1}),
        ("the ashen-meridian channel", {1}),
        ("ashen meridians", set()),  # not a whole word
        ("fakedaesh and daeshfake", set()),  # compound words are not the term
        ("D A E S H returns", {2}),
        ("support #daesh", {2}),  # a term inside a hashtag counts
        ("#silverdawn now", {3}),
        ("silverdawn without the hash", set()),  # a hashtag term needs the hashtag
        ("Это прoпаганда", {4}),  # Latin o inside a Russian word
        ("بيان الفَجْر اليوم", {5}),
        ("这是宣传材料", {6}),  # no word boundaries in Chinese
    ],
)
def test_lexicon_whole_words_any_script(text: str, found: set[int]) -> None:
    matcher = LexiconMatcher(_terms())
    assert {m.term.id for m in matcher.find(normalise(text))} == found


KNOWN = (
    "Bulletin 12 of the Velmor Herald. The assembly will meet again at the northern gate. "
    "Supporters are asked to share the statement widely. The new season of broadcasts begins soon."
)


def _index() -> KnownTextIndex:
    other = "A completely unrelated paragraph about tomato gardens on small balconies during summer."
    return KnownTextIndex([KnownText(1, KNOWN, "item-1"), KnownText(2, other, "item-2")])


@pytest.mark.parametrize(
    "variant",
    [
        KNOWN,
        KNOWN.replace("a", "а").replace("o", "о"),  # homoglyphs
        KNOWN.replace("again ", "").replace("widely", "everywhere widely"),  # small edits
        "Bulletin 12 of the Velmor Herald. The new season of broadcasts begins soon. "
        "The assembly will meet again at the northern gate. Supporters are asked to share the statement widely.",
        "Look at this: " + KNOWN + " (forwarded)",  # inside a longer post
    ],
)
def test_near_duplicates_are_found(variant: str) -> None:
    found = _index().find(normalise(variant))
    assert [m.known.id for m in found] == [1]
    assert found[0].similarity >= 0.8


def test_a_text_sharing_one_sentence_is_not_a_copy() -> None:
    lookalike = (
        "The weather was fine in the city. Our team won the match on Sunday. "
        "Tickets for the concert are on sale. The assembly will meet again at the northern gate."
    )
    assert _index().find(normalise(lookalike)) == []


LANGUAGE_SAMPLES = {
    "en": "The weather is lovely today, let us go to the park.",
    "fr": "Il fait très beau aujourd'hui, allons au parc.",
    "de": "Das Wetter ist heute schön, lass uns in den Park gehen.",
    "ru": "Сегодня прекрасная погода, пойдём в парк.",
    "tr": "Bugün hava çok güzel, hadi parka gidelim.",
    "ar": "الطقس جميل اليوم، لنذهب إلى الحديقة.",
    "fa": "امروز هوا خیلی خوب است، بیایید به پارک برویم.",
    "ur": "آج موسم بہت اچھا ہے، چلو پارک چلتے ہیں۔",
    "id": "Cuaca hari ini sangat bagus, ayo pergi ke taman.",
}


def test_language_identification_on_short_posts() -> None:
    for code, text in LANGUAGE_SAMPLES.items():
        assert len(text) < 100
        assert detect_language(text) == code
    assert detect_languages(list(LANGUAGE_SAMPLES.values())) == list(LANGUAGE_SAMPLES)
    assert detect_language("   ") is None


def test_links_and_handles_are_not_read_as_language() -> None:
    from openiru.detect.language import language_text

    assert language_text("@ali_99 سلام دوستان https://t.co/abc www.x.org a@b.com #خبر") == "سلام دوستان #خبر"
    assert detect_language("@ali_99 https://t.co/x") is None  # nothing left that has a language
    post = "@lantern_news_desk امروز هوا خیلی خوب است https://example.org/a"
    assert detect_languages([post, "  "]) == ["fa", None]
