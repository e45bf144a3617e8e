"""Bar charts as inline SVG, drawn on the server: readable without JavaScript."""

from __future__ import annotations

from markupsafe import Markup, escape

__all__ = ["bar_chart"]

WIDTH, LABEL_W, ROW_H, VALUE_W = 600, 170, 26, 70
PALETTE = ("#8c1c13", "#2f6b2f", "#1f4e79", "#b8860b", "#5b2c6f")


def _fit(label: str) -> str:
    """A label short enough for its column: Chinese characters are about twice as wide."""
    room, out = 26, ""
    for char in label:
        room -= 2 if ord(char) > 0x2E80 else 1
        if room < 0:
            return out.rstrip() + "…"
        out += char
    return out


def bar_chart(
    title: str, bars: list[tuple[str, float | None, str]], *, scale: float | None = None
) -> Markup:
    """One horizontal bar per (label, value, shown text); ``scale`` is the full-width value
    (100 for percentages, 5 for ratings), else the largest value."""
    top = scale or max((v for _, v, _ in bars if v), default=1.0) or 1.0
    span = WIDTH - LABEL_W - VALUE_W
    height = ROW_H * len(bars) + 34
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" height="{height}"'
        f' viewBox="0 0 {WIDTH} {height}" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<text x="0" y="16" font-weight="bold" font-size="14">{escape(title)}</text>',
    ]
    for i, (label, value, shown) in enumerate(bars):
        y = 28 + i * ROW_H
        length = 0 if not value or value < 0 else round(span * min(value, top) / top, 1)
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<text x="0" y="{y + 15}" font-size="12">{escape(_fit(label))}</text>'
            f'<rect x="{LABEL_W}" y="{y + 3}" width="{length}" height="{ROW_H - 8}"'
            f' fill="{colour}"><title>{escape(label)}: {escape(shown)}</title></rect>'
            f'<text x="{LABEL_W + length + 6}" y="{y + 15}" font-size="12"'
            f' data-value="{escape(shown)}">{escape(shown)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
