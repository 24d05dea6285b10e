"""The report's PDF through WeasyPrint (when installed, printing the self-contained HTML) and
through fpdf2: both carry the title, the table's cells and the chart's text."""

from __future__ import annotations

import io

import pytest

from openiru.report.charts import bar_chart
from openiru.report.render import Document, Section, Table, pdf_engine, to_pdf


def _doc() -> Document:
    chart = bar_chart("Items referred per platform", ["x", "gab"], {"referred": [7, 3]}, "platform", "items")
    return Document(
        "Annual report 2026",
        "Fictional unit",
        [
            Section(
                "Referrals",
                ["Items referred by the unit."],
                [Table("Per platform", ["platform", "referred"], [["x", 7], ["gab", 3]], "per_platform")],
                [chart],
            )
        ],
        {},
    )


def _text(pdf: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)


@pytest.mark.parametrize("engine", ["weasyprint", "fpdf2"])
def test_pdf_engines(engine: str) -> None:
    if engine == "weasyprint" and pdf_engine() != "weasyprint":
        pytest.skip("WeasyPrint is not installed (pip install openiru[pdf])")
    pdf = to_pdf(_doc(), engine)
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in ("Annual report 2026", "Per platform", "gab", "Items referred per platform"):
        assert expected in text, (engine, expected)


def test_default_engine_is_the_installed_one() -> None:
    assert pdf_engine() in ("weasyprint", "fpdf2")
    assert to_pdf(_doc()).startswith(b"%PDF")
