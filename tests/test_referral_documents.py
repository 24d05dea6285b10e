"""TCO Annex I removal order and referral notice: every section, three languages, PDF and fallback."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from openiru.interop import tco
from openiru.referral.documents import Authority, ContentItem, ReferralNotice, RemovalOrder

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
AUTH = Authority("XX", "Fictional Referral Authority", "contact@authority.invalid")


def _order(language: str = "en", **kw: object) -> RemovalOrder:
    return RemovalOrder(
        reference="IRU-TEST-1",
        issued_at=T0,
        authority=AUTH,
        addressee="Fake Host",
        addressee_legal_name="Fake Host Ltd",
        legal_representative="Rep Ltd",
        contact_point="tco@fake.invalid",
        main_establishment="IE",
        items=[ContentItem("https://fake.invalid/p/1", "fakenet:1")],
        grounds=["a", "d"],
        additional_information="placeholder",
        language=language,
        **kw,
    )  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["en", "fr", "de"])
def test_removal_order_has_every_annex_section(language: str) -> None:
    labels = tco.labels(language)
    rendered = tco.render_order(
        _order(language, refrain_from_informing=True, refrain_reason="public security")
    )
    assert rendered.language == language
    for key in (
        "section_a",
        "section_b",
        "section_c",
        "section_d",
        "section_e",
        "section_f",
        "section_g",
        "one_hour",
        "ground_a",
        "ground_d",
        "refrain_yes",
        "copy_yes",
        "redress",
    ):
        assert labels[key] in rendered.text, key
    assert labels["ground_b"] not in rendered.text
    for value in (
        "IRU-TEST-1",
        "https://fake.invalid/p/1",
        "Rep Ltd",
        "tco@fake.invalid",
        "2026-03-01 12:00:00",
    ):
        assert value in rendered.text and value in rendered.html
    assert rendered.pdf is not None and rendered.pdf.startswith(b"%PDF")


def test_templates_exist_for_three_languages_and_fall_back_to_english() -> None:
    assert tco.languages() == ["de", "en", "fr"]
    assert tco.render_order(_order("pl"), pdf=False).language == "en"


def test_html_is_escaped() -> None:
    order = _order()
    order.additional_information = "<script>alert(1)</script>"
    html = tco.render_order(order, pdf=False).html
    assert "<script>" not in html and "&lt;script&gt;" in html


def test_referral_notice_is_not_a_removal_order() -> None:
    notice = ReferralNotice(
        "IRU-TEST-2",
        T0,
        AUTH,
        "Fake Host",
        [ContentItem(None, "fakenet:@9")],
        "placeholder",
        T0,
        language="de",
    )
    rendered = tco.render_notice(notice, pdf=True)
    assert (
        "Meldung von Inhalten zur Prüfung" in rendered.text and "keine Entfernungsanordnung" in rendered.text
    )
    assert rendered.pdf and rendered.pdf.startswith(b"%PDF")


def test_pdf_falls_back_to_html_only_without_a_unicode_font(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tco, "find_font", lambda name="": None)
    rendered = tco.render_order(_order("fr"))
    assert rendered.pdf is None and "HTML only" in (rendered.pdf_note or "")
    assert "Injonction de retrait" in rendered.html
