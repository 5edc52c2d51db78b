"""Small server-side SVG charts: horizontal bars (grouped or stacked) and lines.

Why our own and not a package: the charts are drawn on the server as inline SVG, so they need no
JavaScript, no internet and no extra dependency; they print like the rest of the page, every label is
text we translate with gettext before drawing, and a bar or a point can be a link into the diagnosis
table. pygal (server-side SVG) is LGPL and loads its tooltip script from the internet by default; the
JavaScript libraries would draw in the browser, so printing and link-through need extra work there.

A chart is data first: categories (rows) with one cell per series. The same cells feed the picture and
the numbers table beside it (``templates/toolkit/_chart.html``), so the two can never disagree.
Accessibility: the SVG is ``role="img"`` with a ``<title>`` and ``<desc>``; the table carries the numbers
for screen readers and for reading exact values.
"""

import math
import unicodedata
from dataclasses import dataclass, field
from functools import cached_property

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies, and in grey print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
WIDTH = 560  # default drawing width; a chart for a narrow column draws narrower so its text stays readable
FONT_SIZE = 12
LABEL_MAX_UNITS = 24  # a label longer than this (in half-width units) is cut with "…"


@dataclass(frozen=True)
class Cell:
    """One number: its value (for the picture), its text (as shown) and where it links (or "")."""

    value: float | None
    text: str = ""
    url: str = ""

    @property
    def shown(self) -> str:
        if self.text:
            return self.text
        if self.value is None:
            return "—"
        return f"{self.value:g}"


@dataclass(frozen=True)
class Category:
    label: str
    cells: tuple[Cell, ...]
    url: str = ""


@dataclass
class Chart:
    """kind is "bar" (grouped horizontal bars), "stacked" (one stacked bar per category) or "line"."""

    slug: str
    title: str
    kind: str
    series: list[str]
    categories: list[Category]
    description: str = ""
    unit: str = ""
    value_max: float | None = None
    # Extra table columns after the series (e.g. a count behind a rate): cells past the series are
    # shown in the table only, not drawn.
    extra_columns: list[str] = field(default_factory=list)
    # One colour per series (default: the palette in order), e.g. red for P0.
    colours: list[str] = field(default_factory=list)
    width: int = WIDTH

    @property
    def is_empty(self) -> bool:
        """Nothing to draw: no value at all (a line), or no value above zero (bars)."""
        values = [cell.value for category in self.categories for cell in self.drawn(category)]
        if self.kind == "line":
            return all(value is None for value in values)
        return not any(values)

    def colour(self, index: int) -> str:
        if index < len(self.colours):
            return self.colours[index]
        return PALETTE[index % len(PALETTE)]

    def drawn(self, category: Category) -> tuple[Cell, ...]:
        return category.cells[: max(len(self.series), 1)]

    @property
    def column_count(self) -> int:
        """Columns of the numbers table: the label, one per series, the extra columns."""
        return 1 + len(self.series) + len(self.extra_columns)

    @property
    def legend(self) -> list[tuple[str, str]]:
        return [(name, self.colour(index)) for index, name in enumerate(self.series)]

    @cached_property
    def svg(self) -> SafeString:
        drawers = {"bar": _bars, "stacked": _stacked, "line": _line}
        return drawers[self.kind](self)


# ---------------------------------------------------------------- helpers


def text_units(text: str) -> int:
    """Width in half-width units: a CJK character counts two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


def shorten(text: str, units: int = LABEL_MAX_UNITS) -> str:
    if text_units(text) <= units:
        return text
    kept, used = [], 0
    for char in text:
        width = text_units(char)
        if used + width > units - 1:
            break
        kept.append(char)
        used += width
    return "".join(kept) + "…"


def nice_max(value: float) -> float:
    """A round upper bound for the scale (1, 2, 2.5 or 5 × 10ⁿ)."""
    if value <= 0:
        return 1
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _px(units: int) -> float:
    return units * FONT_SIZE * 0.55


def _open(chart: Chart, height: float) -> list[str]:
    title_id, desc_id = f"chart-{chart.slug}-title", f"chart-{chart.slug}-desc"
    return [
        f'<svg class="chart-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {chart.width} {height:.0f}" '
        f'width="100%" style="max-width: {chart.width * 1.25:.0f}px" role="img" '
        f'aria-labelledby="{title_id} {desc_id}" font-size="{FONT_SIZE}" '
        f'data-chart="{escape(chart.slug)}">',
        f'<title id="{title_id}">{escape(chart.title)}</title>',
        f'<desc id="{desc_id}">{escape(chart.description or chart.title)}</desc>',
    ]


def _legend(chart: Chart, y: float) -> list[str]:
    if len(chart.series) < 2:
        return []
    parts, x = [], 4.0
    for name, colour in chart.legend:
        parts.append(f'<rect x="{x:.1f}" y="{y - 9:.1f}" width="10" height="10" fill="{colour}"/>')
        parts.append(f'<text x="{x + 14:.1f}" y="{y:.1f}">{escape(name)}</text>')
        x += 28 + _px(text_units(name))
    return parts


def _link(url: str, inner: str, label: str) -> str:
    if not url:
        return inner
    return f'<a href="{escape(url)}" aria-label="{escape(label)}">{inner}</a>'


def _label_width(chart: Chart) -> float:
    longest = max((text_units(shorten(c.label)) for c in chart.categories), default=4)
    return min(_px(longest) + 10, chart.width * 0.4)


def _scale_max(chart: Chart, values, *, nice: bool = False) -> float:
    """The value at the full length. Bars carry their numbers, so the longest bar may fill the width;
    a line's scale is rounded up for its grid labels."""
    if chart.value_max:
        return chart.value_max
    highest = max(values, default=0)
    if nice:
        return nice_max(highest)
    return highest or 1


# ---------------------------------------------------------------- bars


def _bars(chart: Chart) -> SafeString:
    """Horizontal bars, one per series within each category, each labelled with its number."""
    series_count = max(len(chart.series), 1)
    bar_height = 16 if series_count == 1 else 12
    row_height = bar_height * series_count + 10
    top = 20 if series_count > 1 else 4
    height = top + row_height * max(len(chart.categories), 1) + 4
    label_width = _label_width(chart)
    value_room = 64
    plot_width = chart.width - label_width - value_room
    scale = _scale_max(chart, [cell.value or 0 for c in chart.categories for cell in chart.drawn(c)])

    parts = _open(chart, height) + _legend(chart, 12)
    axis_x = label_width + 4
    for row, category in enumerate(chart.categories):
        y0 = top + row * row_height + 5
        label_y = y0 + bar_height * series_count / 2 + 4
        label = (
            f'<text x="{label_width:.1f}" y="{label_y:.1f}" text-anchor="end">'
            f"{escape(shorten(category.label))}</text>"
        )
        parts.append(_link(category.url, label, category.label))
        for index, cell in enumerate(chart.drawn(category)):
            value = cell.value or 0
            width = max(plot_width * value / scale, 0) if scale else 0
            y = y0 + index * bar_height
            colour = chart.colour(index)
            series_name = chart.series[index] if index < len(chart.series) else ""
            tooltip = f"{category.label} {series_name}: {cell.shown}".strip()
            bar = (
                f'<rect x="{axis_x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{bar_height - 2}" '
                f'fill="{colour}"><title>{escape(tooltip)}</title></rect>'
                f'<text x="{axis_x + width + 4:.1f}" y="{y + bar_height - 5:.1f}">{escape(cell.shown)}</text>'
            )
            parts.append(_link(cell.url, bar, tooltip))
    parts.append(
        f'<line x1="{axis_x:.1f}" y1="{top:.1f}" x2="{axis_x:.1f}" y2="{height - 4:.1f}" stroke="#6c757d"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text and URL above went through escape()


def _stacked(chart: Chart) -> SafeString:
    """One bar per category, its series stacked; the total is written at the end, each part inside
    its segment when there is room."""
    bar_height = 18
    row_height = bar_height + 10
    top = 20 if len(chart.series) > 1 else 4
    height = top + row_height * max(len(chart.categories), 1) + 4
    label_width = _label_width(chart)
    plot_width = chart.width - label_width - 56
    totals = [sum(cell.value or 0 for cell in chart.drawn(c)) for c in chart.categories]
    scale = _scale_max(chart, totals)

    parts = _open(chart, height) + _legend(chart, 12)
    axis_x = label_width + 4
    for row, (category, total) in enumerate(zip(chart.categories, totals, strict=True)):
        y = top + row * row_height + 5
        label = (
            f'<text x="{label_width:.1f}" y="{y + bar_height - 5:.1f}" text-anchor="end">'
            f"{escape(shorten(category.label))}</text>"
        )
        parts.append(_link(category.url, label, category.label))
        x = axis_x
        for index, cell in enumerate(chart.drawn(category)):
            value = cell.value or 0
            if value <= 0:
                continue
            width = plot_width * value / scale
            colour = chart.colour(index)
            series_name = chart.series[index] if index < len(chart.series) else ""
            tooltip = f"{category.label} {series_name}: {cell.shown}"
            segment = (
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{width:.1f}" height="{bar_height}" fill="{colour}">'
                f"<title>{escape(tooltip)}</title></rect>"
            )
            if width >= _px(len(cell.shown)) + 4:
                segment += (
                    f'<text x="{x + width / 2:.1f}" y="{y + bar_height - 5:.1f}" text-anchor="middle" '
                    f'fill="#fff">{escape(cell.shown)}</text>'
                )
            parts.append(_link(cell.url, segment, tooltip))
            x += width
        parts.append(
            f'<text x="{x + 4:.1f}" y="{y + bar_height - 5:.1f}" font-weight="bold">{total:g}</text>'
        )
    parts.append(
        f'<line x1="{axis_x:.1f}" y1="{top:.1f}" x2="{axis_x:.1f}" y2="{height - 4:.1f}" stroke="#6c757d"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text and URL above went through escape()


# ---------------------------------------------------------------- lines


def _line(chart: Chart) -> SafeString:
    """A line per series over the categories (left to right), each point labelled with its number.
    A missing value (None) leaves a gap."""
    height = 220
    top = 30 if len(chart.series) > 1 else 20
    left, right, bottom = 44, 32, 24
    plot_width, plot_height = chart.width - left - right, height - top - bottom
    scale = _scale_max(
        chart, [cell.value or 0 for c in chart.categories for cell in chart.drawn(c)], nice=True
    )
    count = len(chart.categories)
    step = plot_width / max(count - 1, 1)

    def x_of(index):
        return left + (index * step if count > 1 else plot_width / 2)

    def y_of(value):
        return top + plot_height * (1 - value / scale)

    parts = _open(chart, height) + _legend(chart, 12)
    for fraction in (0, 0.5, 1):
        y = y_of(scale * fraction)
        tick = f"{scale * fraction:g}{chart.unit}"
        parts.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{chart.width - right}" y2="{y:.1f}" stroke="#dee2e6"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#6c757d">{escape(tick)}</text>'
        )
    for index, category in enumerate(chart.categories):
        parts.append(
            f'<text x="{x_of(index):.1f}" y="{height - 6}" text-anchor="middle">'
            f"{escape(shorten(category.label, 12))}</text>"
        )
    for series_index, name in enumerate(chart.series or [""]):
        colour = chart.colour(series_index)
        points = [
            (index, category.cells[series_index])
            for index, category in enumerate(chart.categories)
            if series_index < len(category.cells)
        ]
        runs, run = [], []
        for index, cell in points:
            if cell.value is None:
                if run:
                    runs.append(run)
                run = []
            else:
                run.append((x_of(index), y_of(cell.value)))
        if run:
            runs.append(run)
        for run in runs:
            coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in run)
            parts.append(f'<polyline points="{coordinates}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for index, cell in points:
            if cell.value is None:
                continue
            x, y = x_of(index), y_of(cell.value)
            tooltip = f"{chart.categories[index].label} {name}: {cell.shown}".strip()
            label_y = y - 7 if series_index % 2 == 0 else y + 15
            point = (
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
                f"<title>{escape(tooltip)}</title></circle>"
                f'<text x="{x:.1f}" y="{label_y:.1f}" text-anchor="middle">{escape(cell.shown)}</text>'
            )
            parts.append(_link(cell.url, point, tooltip))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text and URL above went through escape()
