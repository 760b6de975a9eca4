"""Charts as inline SVG, drawn on the server: no script, no CDN, crisp on any screen and
in print, readable by screen readers (a title, and every figure written beside its bar).

    horizontal_bars([Bar("Thôn 1", 120, 320, "120/320")], title="…", marks=[(0.5, "50%")])
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

ROW = 28
LABEL = 150
WIDTH = 560
FIGURE = 90


@dataclass(frozen=True)
class Bar:
    """One row: `value` of `whole` (a share; with no whole, of the chart's largest value),
    with an optional second, darker part (`inner`, e.g. those who stopped there)."""

    label: str
    value: float
    whole: float | None = None
    text: str = ""
    inner: float = 0.0


def horizontal_bars(
    bars: list[Bar], *, title: str, marks: list[tuple[float, str]] | None = None
) -> str:
    """An SVG of horizontal bars, one a row; `marks` are vertical lines at shares of the
    whole (the 50% and 100% targets)."""
    if not bars:
        return ""
    largest = max((bar.value for bar in bars if bar.whole is None), default=0.0) or 1.0
    track = WIDTH - LABEL - FIGURE
    height = ROW * len(bars) + 24
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'xmlns="http://www.w3.org/2000/svg" width="100%" preserveAspectRatio="xMinYMin meet">',
        f"<title>{escape(title)}</title>",
    ]
    for row, bar in enumerate(bars):
        whole = bar.whole if bar.whole else largest
        share = max(0.0, min(1.0, bar.value / whole)) if whole else 0.0
        inner = max(0.0, min(share, bar.inner / whole)) if whole else 0.0
        y = row * ROW + 4
        parts.append(
            f'<text x="{LABEL - 8}" y="{y + 15}" text-anchor="end" class="label">'
            f"{escape(_short(bar.label))}</text>"
        )
        parts.append(f'<rect x="{LABEL}" y="{y}" width="{track}" height="20" class="track"/>')
        parts.append(
            f'<rect x="{LABEL}" y="{y}" width="{share * track:.1f}" height="20" class="bar"/>'
        )
        if inner:
            parts.append(
                f'<rect x="{LABEL}" y="{y}" width="{inner * track:.1f}" height="20" class="inner"/>'
            )
        parts.append(
            f'<text x="{LABEL + track + 6}" y="{y + 15}" class="figure">'
            f"{escape(bar.text or _number(bar.value))}</text>"
        )
    bottom = ROW * len(bars) + 4
    for share, label in marks or []:
        x = LABEL + share * track
        parts.append(
            f'<line x1="{x:.1f}" y1="0" x2="{x:.1f}" y2="{bottom}" class="mark"/>'
            f'<text x="{x:.1f}" y="{bottom + 14}" text-anchor="middle" class="mark-label">'
            f"{escape(label)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _short(label: str, most: int = 22) -> str:
    return label if len(label) <= most else label[: most - 1] + "…"


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")  # 1.800, as Vietnamese writes it
