"""A waterfall chart of one family's score contributions, drawn server-side as inline SVG.

Contributions are TreeSHAP values in log-odds: the chart starts at the model's base value (the
average family), adds each feature's contribution in order of size, and ends at the family's raw
score. Features beyond `top` are summed into one bar so the chart stays readable; the sum of the
bars therefore always equals raw score minus base value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from markupsafe import Markup

LABEL_W = 380
BAR_W = 380
VALUE_W = 70
ROW_H = 26
PAD = 8


@dataclass(frozen=True)
class Bar:
    """One contribution: the text shown next to it and its value in log-odds."""

    label: str
    contribution: float


@dataclass(frozen=True)
class WaterfallLabels:
    """Translated texts of the chart (the caller translates; this module only draws)."""

    title: str
    base: str
    final: str
    other: str


def _shorten(text: str, limit: int = 58) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def waterfall_bars(bars: Sequence[Bar], *, top: int = 10, other_label: str) -> list[Bar]:
    """The `top` largest contributions by size, plus one bar summing all the others."""
    ordered = sorted(bars, key=lambda bar: abs(bar.contribution), reverse=True)
    shown = [bar for bar in ordered[:top] if bar.contribution != 0.0]
    rest = sum(bar.contribution for bar in ordered[top:])
    rest += sum(bar.contribution for bar in ordered[:top] if bar.contribution == 0.0)
    if len(ordered) > top and rest != 0.0:
        shown.append(Bar(other_label, rest))
    return shown


def waterfall_svg(
    bars: Sequence[Bar], *, base_value: float, labels: WaterfallLabels, top: int = 10
) -> Markup:
    """An accessible inline SVG (role img, title, description) of the waterfall."""
    shown = waterfall_bars(bars, top=top, other_label=labels.other)
    final = base_value + sum(bar.contribution for bar in shown)
    # Running totals decide the horizontal scale: every step must fit.
    points = [base_value]
    for bar in shown:
        points.append(points[-1] + bar.contribution)
    low, high = min([*points, 0.0]), max([*points, 0.0])
    if high - low < 1e-9:
        high = low + 1.0
    span = high - low

    def x(value: float) -> float:
        return LABEL_W + PAD + (value - low) / span * BAR_W

    rows = len(shown) + 2
    width = LABEL_W + BAR_W + VALUE_W + 3 * PAD
    height = rows * ROW_H + 2 * PAD
    out: list[str] = [
        f'<svg class="waterfall" role="img" aria-labelledby="wf-title wf-desc" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="wf-title">{escape(labels.title)}</title>',
        f'<desc id="wf-desc">{escape(labels.base)} {base_value:+.3f}; '
        + "; ".join(f"{escape(bar.label)} {bar.contribution:+.3f}" for bar in shown)
        + f"; {escape(labels.final)} {final:+.3f}</desc>",
    ]

    def row_text(row: int, text: str, value: float) -> None:
        y = PAD + row * ROW_H + ROW_H * 0.65
        out.append(
            f'<text x="{LABEL_W}" y="{y:.1f}" text-anchor="end">{escape(_shorten(text))}</text>'
        )
        out.append(f'<text x="{LABEL_W + BAR_W + 2 * PAD}" y="{y:.1f}">{value:+.3f}</text>')

    def marker(row: int, value: float) -> None:
        y = PAD + row * ROW_H
        out.append(
            f'<rect class="axis" x="{x(value) - 1.5:.1f}" y="{y + 3}" '
            f'width="3" height="{ROW_H - 6}"/>'
        )

    row_text(0, labels.base, base_value)
    marker(0, base_value)
    running = base_value
    for index, bar in enumerate(shown, start=1):
        start, end = running, running + bar.contribution
        left, right = sorted((x(start), x(end)))
        y = PAD + index * ROW_H
        kind = "up" if bar.contribution > 0 else "down"
        out.append(
            f'<rect class="{kind}" x="{left:.1f}" y="{y + 4}" '
            f'width="{max(right - left, 1.0):.1f}" height="{ROW_H - 8}"/>'
        )
        row_text(index, bar.label, bar.contribution)
        running = end
    row_text(rows - 1, labels.final, final)
    marker(rows - 1, final)
    zero = x(0.0)
    out.append(
        f'<line class="guide" x1="{zero:.1f}" x2="{zero:.1f}" y1="{PAD}" y2="{height - PAD}"/>'
    )
    out.append("</svg>")
    return Markup("".join(out))
