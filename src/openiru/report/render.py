"""A report as a plain document (sections of text, tables and SVG charts) written as one
self-contained HTML file, Markdown, or PDF (WeasyPrint printing that HTML when installed, else
fpdf2, which also draws the SVG charts).

Nothing here reads the store: the report services build a :class:`Document`, this module
only lays it out.  The HTML has its style inline and its charts as inline SVG, so it opens
offline and prints as it shows.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

#: Shown where a field the unit fills by hand was not given.
MISSING = "[to be completed by the unit]"


@dataclass(slots=True)
class Table:
    title: str
    columns: list[str]
    rows: list[list[Any]]
    name: str = ""  # file name stem of its CSV

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, r, strict=True)) for r in self.rows]


@dataclass(slots=True)
class Section:
    heading: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    charts: list[str] = field(default_factory=list)  # SVG documents


@dataclass(slots=True)
class Document:
    title: str
    subtitle: str
    sections: list[Section]
    figures: dict[str, Any]  # the JSON written beside the report

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}" if abs(value) < 1 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


CSS = """body{font-family:Helvetica,Arial,sans-serif;max-width:56rem;margin:2rem auto;color:#111;line-height:1.4}
h1{font-size:1.6rem;margin-bottom:0}h2{font-size:1.2rem;border-bottom:1px solid #444;margin-top:2rem}
.sub{color:#444;margin-top:.2rem}table{border-collapse:collapse;margin:.6rem 0 1rem;font-size:.85rem}
th,td{border:1px solid #888;padding:.2rem .5rem;text-align:left}td.n{text-align:right}th{background:#e8e8e8}
caption{text-align:left;font-weight:bold;padding:.2rem 0}.missing{background:#fff3b0;font-style:italic}
svg{max-width:100%;height:auto;display:block;margin:.5rem 0}@media print{h2{page-break-after:avoid}}"""


def _td(v: Any) -> str:
    text = cell(v)
    cls = ' class="missing"' if text == MISSING else (' class="n"' if isinstance(v, int | float) else "")
    return f"<td{cls}>{escape(text)}</td>"


def to_html(doc: Document) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>{escape(doc.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(doc.title)}</h1>",
        f'<p class="sub">{escape(doc.subtitle)}</p>',
    ]
    for s in doc.sections:
        parts.append(f"<h2>{escape(s.heading)}</h2>")
        parts += [f"<p>{escape(p)}</p>" for p in s.paragraphs]
        for t in s.tables:
            parts.append(
                f"<table><caption>{escape(t.title)}</caption><tr>"
                + "".join(f"<th>{escape(c)}</th>" for c in t.columns)
                + "</tr>"
            )
            parts += ["<tr>" + "".join(_td(v) for v in r) + "</tr>" for r in t.rows]
            parts.append("</table>")
        parts += [f"<figure>{svg}</figure>" for svg in s.charts]
    parts.append("</body></html>")
    return "\n".join(parts)


def to_markdown(doc: Document) -> str:
    lines = [f"# {doc.title}", "", doc.subtitle, ""]
    for s in doc.sections:
        lines += [f"## {s.heading}", ""]
        for p in s.paragraphs:
            lines += [p, ""]
        for t in s.tables:
            lines += [
                f"**{t.title}**",
                "",
                "| " + " | ".join(t.columns) + " |",
                "|" + "---|" * len(t.columns),
            ]
            lines += ["| " + " | ".join(cell(v).replace("|", "\\|") for v in r) + " |" for r in t.rows]
            lines.append("")
        if s.charts:
            lines += [f"({len(s.charts)} chart(s) in the HTML and PDF versions)", ""]
    return "\n".join(lines)


def _latin(text: str) -> str:
    """fpdf2's core fonts are Latin-1: other characters are replaced (the HTML keeps them)."""
    return (
        text.replace("\u2013", "-")
        .replace("\u2014", "-")
        .replace("\u2264", "<=")
        .encode("latin-1", "replace")
        .decode("latin-1")
    )


def pdf_engine() -> str:
    """``weasyprint`` when WeasyPrint and its Pango libraries load (``pip install openiru[pdf]``),
    else ``fpdf2``."""
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: libpango missing
        return "fpdf2"
    return "weasyprint"


def to_pdf(doc: Document, engine: str | None = None) -> bytes:
    """The PDF of ``doc``: WeasyPrint prints the self-contained HTML (same layout and inline SVG
    charts as the HTML report) when installed, fpdf2 lays it out otherwise."""
    if (engine or pdf_engine()) == "weasyprint":
        from weasyprint import HTML

        return bytes(HTML(string=to_html(doc)).write_pdf())
    return _fpdf(doc)


def _fpdf(doc: Document) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    pdf = FPDF(format="A4")
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(_latin(doc.title))
    pdf.set_creator("OpenIRU")
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, _latin(doc.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, _latin(doc.subtitle), new_x="LMARGIN", new_y="NEXT")
    for s in doc.sections:
        if pdf.get_y() > 240:
            pdf.add_page()
        pdf.ln(4)
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 7, _latin(s.heading), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for p in s.paragraphs:
            pdf.multi_cell(0, 5, _latin(p), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        for t in s.tables:
            if pdf.get_y() > 245:  # keep a table's title with its first rows
                pdf.add_page()
            pdf.set_font("Helvetica", "B", 10)
            pdf.multi_cell(0, 6, _latin(t.title), new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("Helvetica", "", 8)
            with pdf.table(
                headings_style=FontFace(emphasis="BOLD", fill_color=(232, 232, 232)),
                line_height=4.5,
                text_align="LEFT",
            ) as table:
                table.row([_latin(c) for c in t.columns])
                for r in t.rows:
                    row = table.row()
                    for v in r:
                        text = cell(v)
                        style = (
                            FontFace(emphasis="ITALICS", fill_color=(255, 243, 176))
                            if text == MISSING
                            else None
                        )
                        row.cell(_latin(text), style=style)
            pdf.ln(2)
            pdf.set_font("Helvetica", "", 10)
        for svg in s.charts:
            if pdf.get_y() > 190:
                pdf.add_page()
            pdf.image(io.BytesIO(svg.encode("utf-8")), x=pdf.l_margin, w=pdf.epw)
            pdf.ln(2)
    return bytes(pdf.output())


def write(doc: Document, out: Path, fmt: str | None = None) -> list[Path]:
    """Write the report in the format its suffix names (``.html``, ``.md``, ``.pdf``), the
    figures as JSON beside it (``NAME.json``) and each table as ``NAME.TABLE.csv``."""
    import csv
    import json

    fmt = fmt or out.suffix.lower().lstrip(".") or "html"
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "pdf":
        out.write_bytes(to_pdf(doc))
    elif fmt in ("md", "markdown"):
        out.write_text(to_markdown(doc), "utf-8")
    else:
        out.write_text(to_html(doc), "utf-8")
    written = [out]
    stem = out.with_suffix("")
    side = stem.with_name(stem.name + ".json")
    side.write_text(json.dumps(doc.figures, indent=2, ensure_ascii=False, default=str) + "\n", "utf-8")
    written.append(side)
    for i, t in enumerate(doc.tables()):
        path = stem.with_name(f"{stem.name}.{t.name or f'table{i + 1}'}.csv")
        with path.open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh)
            w.writerow(t.columns)
            w.writerows([["" if v is None else v for v in r] for r in t.rows])
        written.append(path)
    return written
