"""TCO documents: the Annex I removal order and the voluntary referral notice, to HTML, text, PDF.

Templates are Jinja2 (``referral/templates``) with one label file per
language (``i18n/<lang>.json``: English, French, German).  The PDF is laid
out with fpdf2 from the text rendering; it needs a Unicode TrueType font,
DejaVu Sans from the system where present.  Without it, :func:`render_pdf`
returns ``None`` with a clear message and the HTML is sent alone.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from ..referral.documents import Authority, ReferralNotice, RemovalOrder

TEMPLATES = Path(__file__).resolve().parent.parent / "referral" / "templates"
FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts"),
    Path("/Library/Fonts"),
)


@cache
def _environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        autoescape=select_autoescape(["html.j2"]),
        keep_trailing_newline=True,
    )


def languages() -> list[str]:
    """Languages a document template exists for."""
    return sorted(p.stem for p in (TEMPLATES / "i18n").glob("*.json"))


@cache
def labels(language: str) -> dict[str, str]:
    path = TEMPLATES / "i18n" / f"{language}.json"
    if not path.exists():
        path = TEMPLATES / "i18n" / "en.json"
    data: dict[str, str] = json.loads(path.read_text("utf-8"))
    return data


def authority_from_env() -> Authority:
    """The issuing authority, configured per deployment (fictional defaults for demos)."""
    return Authority(
        member_state=os.environ.get("OPENIRU_MEMBER_STATE", "XX"),
        name=os.environ.get("OPENIRU_AUTHORITY", "OpenIRU demonstration referral unit"),
        contact=os.environ.get("OPENIRU_AUTHORITY_CONTACT", "iru@openiru.invalid"),
    )


@dataclass(slots=True)
class Rendered:
    language: str
    html: str
    text: str
    pdf: bytes | None
    pdf_note: str | None = None


def render_order(order: RemovalOrder, pdf: bool = True) -> Rendered:
    lang = order.language if order.language in languages() else "en"
    env = _environment()
    context = {"o": order, "L": labels(lang), "lang": lang}
    html = env.get_template("removal_order.html.j2").render(context)
    text = env.get_template("removal_order.txt.j2").render(context)
    data, note = render_pdf(text) if pdf else (None, None)
    return Rendered(lang, html, text, data, note)


def render_notice(notice: ReferralNotice, pdf: bool = False) -> Rendered:
    lang = notice.language if notice.language in languages() else "en"
    env = _environment()
    context = {"n": notice, "L": labels(lang), "lang": lang}
    html = env.get_template("referral_notice.html.j2").render(context)
    text = env.get_template("referral_notice.txt.j2").render(context)
    data, note = render_pdf(text) if pdf else (None, None)
    return Rendered(lang, html, text, data, note)


def find_font(name: str = "DejaVuSans.ttf") -> Path | None:
    configured = os.environ.get("OPENIRU_PDF_FONT")
    if configured and Path(configured).exists():
        return Path(configured)
    for folder in FONT_DIRS:
        candidate = folder / name
        if candidate.exists():
            return candidate
    return None


def render_pdf(text: str) -> tuple[bytes | None, str | None]:
    """A PDF of the text rendering (``# `` title, ``## `` section headings)."""
    regular = find_font("DejaVuSans.ttf")
    if regular is None:
        return None, (
            "no Unicode TrueType font found (install fonts-dejavu or set OPENIRU_PDF_FONT): "
            "the document is sent as HTML only"
        )
    from fpdf import FPDF
    from fpdf.enums import XPos, YPos

    bold = find_font("DejaVuSans-Bold.ttf") or regular
    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.add_page()
    for line in text.splitlines():
        if line.startswith("# "):
            pdf.set_font("DejaVu", "B", 16)
            pdf.multi_cell(0, 9, line[2:], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif line.startswith("## "):
            pdf.ln(2)
            pdf.set_font("DejaVu", "B", 11)
            pdf.multi_cell(0, 6, line[3:], new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        elif line.strip():
            pdf.set_font("DejaVu", "", 10)
            pdf.multi_cell(0, 5, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        else:
            pdf.ln(3)
    return bytes(pdf.output()), None
