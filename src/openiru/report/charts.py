"""SVG charts for reports: grouped bars and lines, titled, with labelled axes and a legend.

Hand-written rather than through a plotting library because the same SVG has to be inlined
in a self-contained HTML file and drawn by fpdf2's SVG renderer in the PDF (which handles
rectangles, lines, polylines and text, not a plotting library's clip paths and fonts).
Colours come from the Okabe-Ito palette ordered by lightness, bars are outlined and lines
dashed differently, so the series stay apart when printed in grey.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape

#: Okabe-Ito colours, dark to light (distinct in grey-scale too).
PALETTE = ("#0b3d91", "#e69f00", "#009e73", "#56b4e9", "#cc79a7", "#d55e00", "#f0e442", "#999999")
DASHES = ("", "6 3", "2 2", "8 3 2 3", "4 4", "1 3", "10 2", "3 1")
W, H = 640, 320
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 44, 72


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    exp: float = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * exp >= value:
            return step * exp
    return 10 * exp  # pragma: no cover


def _fmt(v: float) -> str:
    return f"{v:.0f}" if float(v).is_integer() else f"{v:.3g}"


def _frame(title: str, x_label: str, y_label: str, top: float, names: list[str]) -> list[str]:
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>',
        f'<text x="{W / 2}" y="18" font-size="14" font-family="Helvetica" font-weight="bold" '
        f'text-anchor="middle">{escape(title)}</text>',
        f'<text x="8" y="36" font-size="10" font-family="Helvetica">{escape(y_label)}</text>',
        f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 8}" font-size="10" font-family="Helvetica" '
        f'text-anchor="middle">{escape(x_label)}</text>',
    ]
    y0, y1 = H - BOTTOM, TOP
    for i in range(5):
        v = top * i / 4
        y = y0 - (y0 - y1) * i / 4
        out.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{W - RIGHT}" y2="{y:.1f}" stroke="#dddddd" '
            'stroke-width="0.5"/>'
        )
        out.append(
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" font-size="9" font-family="Helvetica" '
            f'text-anchor="end">{_fmt(v)}</text>'
        )
    out.append(f'<line x1="{LEFT}" y1="{y0}" x2="{W - RIGHT}" y2="{y0}" stroke="#000000" stroke-width="1"/>')
    out.append(f'<line x1="{LEFT}" y1="{y0}" x2="{LEFT}" y2="{y1}" stroke="#000000" stroke-width="1"/>')
    x = LEFT
    for i, name in enumerate(names if len(names) > 1 else []):
        out.append(
            f'<rect x="{x}" y="{H - 34}" width="10" height="10" fill="{PALETTE[i % len(PALETTE)]}" '
            'stroke="#000000" stroke-width="0.5"/>'
        )
        out.append(
            f'<text x="{x + 14}" y="{H - 25}" font-size="9" font-family="Helvetica">{escape(name)}</text>'
        )
        x += 24 + 6 * len(name)
    return out


def _tick_labels(labels: list[str], xs: list[float]) -> list[str]:
    every = max(1, math.ceil(len(labels) / 12))
    return [
        f'<text x="{x:.1f}" y="{H - BOTTOM + 13}" font-size="9" font-family="Helvetica" '
        f'text-anchor="middle">{escape(lab[:14])}</text>'
        for i, (lab, x) in enumerate(zip(labels, xs, strict=True))
        if i % every == 0
    ]


def bar_chart(
    title: str, categories: list[str], series: Mapping[str, Sequence[float]], x_label: str, y_label: str
) -> str:
    """Grouped bars: one group per category, one bar per series."""
    names = list(series)
    top = _nice_max(max((v for vals in series.values() for v in vals), default=0))
    out = _frame(title, x_label, y_label, top, names)
    if not categories:
        out.append(
            f'<text x="{W / 2}" y="{H / 2}" font-size="11" font-family="Helvetica" '
            'text-anchor="middle">no data</text>'
        )
        return "\n".join([*out, "</svg>"])
    span = (W - RIGHT - LEFT) / len(categories)
    bar = span * 0.8 / max(1, len(names))
    y0, height = H - BOTTOM, H - BOTTOM - TOP
    centres = []
    for c in range(len(categories)):
        gx = LEFT + c * span + span * 0.1
        centres.append(LEFT + (c + 0.5) * span)
        for s, name in enumerate(names):
            v = series[name][c]
            h = height * v / top
            out.append(
                f'<rect x="{gx + s * bar:.1f}" y="{y0 - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}" stroke="#000000" stroke-width="0.5">'
                f"<title>{escape(name)} {escape(categories[c])}: {_fmt(v)}</title></rect>"
            )
    out += _tick_labels(categories, centres)
    return "\n".join([*out, "</svg>"])


def line_chart(
    title: str,
    labels: list[str],
    series: Mapping[str, Sequence[float]],
    x_label: str,
    y_label: str,
    y_max: float | None = None,
) -> str:
    """One line per series over the labels (time on the x axis), each dashed differently; the
    y axis runs to ``y_max`` when given (100 for percentages), else to a round value above the data."""
    names = list(series)
    top = y_max or _nice_max(max((v for vals in series.values() for v in vals), default=0))
    out = _frame(title, x_label, y_label, top, names)
    n = len(labels)
    if n == 0:
        out.append(
            f'<text x="{W / 2}" y="{H / 2}" font-size="11" font-family="Helvetica" '
            'text-anchor="middle">no data</text>'
        )
        return "\n".join([*out, "</svg>"])
    step = (W - RIGHT - LEFT) / max(1, n - 1) if n > 1 else 0
    xs = [LEFT + i * step if n > 1 else (LEFT + W - RIGHT) / 2 for i in range(n)]
    y0, height = H - BOTTOM, H - BOTTOM - TOP
    for s, name in enumerate(names):
        pts = " ".join(f"{x:.1f},{y0 - height * v / top:.1f}" for x, v in zip(xs, series[name], strict=True))
        dash = f' stroke-dasharray="{DASHES[s % len(DASHES)]}"' if DASHES[s % len(DASHES)] else ""
        out.append(
            f'<polyline points="{pts}" fill="none" stroke="{PALETTE[s % len(PALETTE)]}" '
            f'stroke-width="2"{dash}/>'
        )
    out += _tick_labels(labels, xs)
    return "\n".join([*out, "</svg>"])


def flow_chart(
    title: str,
    columns: list[str],
    stacks: Sequence[Mapping[str, float]],
    flows: Sequence[Mapping[tuple[str, str], float]],
    x_label: str,
    unit: str,
) -> str:
    """Alluvial flows: one column of stacked blocks per label (``stacks[i]``: value per name),
    and between columns ``i`` and ``i + 1`` one band per ``(from, to)`` of ``flows[i]``, as wide
    as its value on the same scale as the blocks, coloured by where it comes from."""
    names = sorted({n for s in stacks for n in s}, key=lambda n: -sum(s.get(n, 0) for s in stacks))
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
        f'role="img" aria-label="{escape(title)}">',
        f'<rect x="0" y="0" width="{W}" height="{H}" fill="#ffffff"/>',
        f'<text x="{W / 2}" y="18" font-size="14" font-family="Helvetica" font-weight="bold" '
        f'text-anchor="middle">{escape(title)}</text>',
        f'<text x="{(LEFT + W - RIGHT) / 2}" y="{H - 8}" font-size="10" font-family="Helvetica" '
        f'text-anchor="middle">{escape(x_label)}</text>',
    ]
    if not columns:
        out.append(
            f'<text x="{W / 2}" y="{H / 2}" font-size="11" font-family="Helvetica" '
            'text-anchor="middle">no data</text>'
        )
        return "\n".join([*out, "</svg>"])
    colour = {n: PALETTE[i % len(PALETTE)] for i, n in enumerate(names)}
    gap, block = 4.0, 10.0
    y0, height = TOP, H - BOTTOM - TOP
    total = max((sum(s.values()) for s in stacks), default=0) or 1.0
    scale = (height - gap * max(0, len(names) - 1)) / total  # pixels per unit
    step = (W - RIGHT - LEFT - block) / max(1, len(columns) - 1)
    xs = [LEFT + i * step if len(columns) > 1 else (LEFT + W - RIGHT) / 2 for i in range(len(columns))]
    tops: list[dict[str, float]] = []
    for x, stack in zip(xs, stacks, strict=True):
        y, col = float(y0), {}
        for n in names:
            v = stack.get(n, 0)
            if v <= 0:
                continue
            col[n] = y
            out.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{block}" height="{v * scale:.1f}" '
                f'fill="{colour[n]}" stroke="#000000" stroke-width="0.5">'
                f"<title>{escape(n)}: {_fmt(v)} {escape(unit)}</title></rect>"
            )
            y += v * scale + gap
        tops.append(col)
    for i, between in enumerate(flows):
        out_at, in_at = dict(tops[i]), dict(tops[i + 1])
        for (a, b), v in sorted(
            between.items(), key=lambda kv: (names.index(kv[0][0]), names.index(kv[0][1]))
        ):
            if v <= 0 or a not in out_at or b not in in_at:
                continue
            w = v * scale
            ya, yb = out_at[a] + w / 2, in_at[b] + w / 2
            out_at[a] += w
            in_at[b] += w
            x1, x2 = xs[i] + block, xs[i + 1]
            mid = (x1 + x2) / 2
            out.append(
                f'<path d="M{x1:.1f},{ya:.1f} C{mid:.1f},{ya:.1f} {mid:.1f},{yb:.1f} {x2:.1f},{yb:.1f}" '
                f'fill="none" stroke="{colour[a]}" stroke-opacity="0.45" stroke-width="{w:.2f}" '
                f'data-flow="{escape(a)}|{escape(b)}|{i}"><title>{escape(columns[i])} to '
                f"{escape(columns[i + 1])}: {escape(a)} to {escape(b)}, {_fmt(v)} {escape(unit)}</title></path>"
            )
    out += _tick_labels(columns, [x + block / 2 for x in xs])
    x = LEFT
    for n in names:
        out.append(
            f'<rect x="{x}" y="{H - 34}" width="10" height="10" fill="{colour[n]}" '
            'stroke="#000000" stroke-width="0.5"/>'
        )
        out.append(
            f'<text x="{x + 14}" y="{H - 25}" font-size="9" font-family="Helvetica">{escape(n)}</text>'
        )
        x += 24 + 6 * len(n)
    return "\n".join([*out, "</svg>"])
