"""Small server-side SVG charts: horizontal bars (grouped or stacked) and lines.

Why our own and not a package: the charts are drawn on the server as inline SVG, so they need no
JavaScript, no internet and no extra dependency; they print like the rest of the page, every label is
text we translate with gettext before drawing, and a bar or a point can be a link into the diagnosis
table. pygal (server-side SVG) is LGPL and loads its tooltip script from the internet by default; the
JavaScript libraries would draw in the browser, so printing and link-through need extra work there.

A chart is data first: categories (rows) with one cell per series. The same cells feed the picture and
the numbers table beside it (``templates/toolkit/_chart.html``), so the two can never disagree.
This module only computes the geometry (``Chart.drawing``: bars, points, lines, labels, ticks as plain
data, like tracking's timeline); the templates in ``templates/toolkit/charts/`` draw it, so every text
and URL is escaped by the template engine.
Accessibility: the SVG is ``role="img"`` with a ``<title>`` and ``<desc>``, or ``role="group"`` when its
bars or points are links (an image's content is presentational: links inside it are "nested interactive"
to axe-core and unreachable for screen readers); the table carries the numbers for screen readers and
for reading exact values.
"""

import math
import unicodedata
from dataclasses import dataclass, field, replace
from functools import cached_property

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies, and in grey print.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
WIDTH = 560  # default drawing width; a chart for a narrow column draws narrower so its text stays readable
FONT_SIZE = 12
LABEL_MAX_UNITS = 24  # a label longer than this (in half-width units) is cut with "…"
GREY = "#6c757d"
GRID = "#dee2e6"
POINT_RADIUS = 4
# A point's number: its baseline ABOVE over the point or BELOW under it, stacked LINE apart.
ABOVE, BELOW, LINE = 8, 15, FONT_SIZE
# Where a lone point's number may go: above, below, then one line further out. Even series try above
# first, odd ones below, so two lines' numbers start on opposite sides.
LABEL_OFFSETS = ((-ABOVE, BELOW, -ABOVE - LINE, BELOW + LINE), (BELOW, -ABOVE, BELOW + LINE, -ABOVE - LINE))


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


# ---------------------------------------------------------------- geometry (what the templates draw)


@dataclass(frozen=True)
class Box:
    """The rectangle a shape covers, in drawing units."""

    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: "Box") -> bool:
        """Sharing more than an edge (coordinates are tenths, so a hundredth is float noise)."""
        gap = 0.01
        return (
            self.left < other.right - gap
            and other.left < self.right - gap
            and self.top < other.bottom - gap
            and other.top < self.bottom - gap
        )


@dataclass(frozen=True)
class Text:
    """A text at its baseline; with a url it is a link, named by aria_label (the uncut label)."""

    x: float
    y: float
    text: str
    anchor: str = "start"  # SVG text-anchor: start, middle or end
    fill: str = ""
    bold: bool = False
    url: str = ""
    aria_label: str = ""

    @property
    def box(self) -> Box:
        # Estimated per character (text_width): generous rather than tight, so that boxes that do not
        # overlap here do not overlap on screen either.
        width = text_width(self.text) * FONT_SIZE
        left = {"start": self.x, "middle": self.x - width / 2, "end": self.x - width}[self.anchor]
        return Box(left, self.y - 0.8 * FONT_SIZE, left + width, self.y + 0.2 * FONT_SIZE)


@dataclass(frozen=True)
class Swatch:
    """A legend entry: a colour square and the series' name."""

    x: float
    y: float
    colour: str
    label: Text


@dataclass(frozen=True)
class Bar:
    """A bar or a stacked segment, its tooltip, its link and its number (inside or beside it)."""

    x: float
    y: float
    width: float
    height: float
    fill: str
    tooltip: str
    url: str = ""
    label: Text | None = None


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    fill: str
    tooltip: str
    url: str = ""
    label: Text | None = None  # None when no free place was found: the number is in the table and tooltip


@dataclass(frozen=True)
class Polyline:
    points: str  # "x,y x,y …"
    stroke: str


@dataclass(frozen=True)
class Gridline:
    y: float
    x1: float
    x2: float
    label: Text


@dataclass(frozen=True)
class Axis:
    x: float
    y1: float
    y2: float


@dataclass
class Drawing:
    slug: str
    title: str
    description: str
    width: int
    height: float
    legend: list[Swatch] = field(default_factory=list)
    labels: list[Text] = field(default_factory=list)  # the categories' names
    bars: list[Bar] = field(default_factory=list)
    totals: list[Text] = field(default_factory=list)  # stacked bars: each bar's total
    grid: list[Gridline] = field(default_factory=list)
    lines: list[Polyline] = field(default_factory=list)
    points: list[Point] = field(default_factory=list)
    axis: Axis | None = None

    @property
    def has_links(self) -> bool:
        """Whether any bar or point links into the table (the SVG is then a group, not an image)."""
        return any(shape.url for shape in [*self.bars, *self.points])

    @property
    def max_width(self) -> int:
        """Display width at most (the stylesheet shrinks it to the column): a little larger than drawn."""
        return round(self.width * 1.25)

    @property
    def texts(self) -> list[Text]:
        """Every text drawn, for checking that none overlap."""
        shapes = [*self.bars, *self.points]
        return [
            *(swatch.label for swatch in self.legend),
            *(line.label for line in self.grid),
            *self.labels,
            *(shape.label for shape in shapes if shape.label),
            *self.totals,
        ]


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

    @property
    def template_name(self) -> str:
        return "toolkit/charts/line.html" if self.kind == "line" else "toolkit/charts/bar.html"

    @cached_property
    def drawing(self) -> Drawing:
        builders = {"bar": _bars, "stacked": _stacked, "line": _line}
        return builders[self.kind](self)

    @cached_property
    def svg(self) -> SafeString:
        """The drawing as SVG markup, for use outside a template (pages include the template itself)."""
        return render_to_string(self.template_name, {"drawing": self.drawing})


# ---------------------------------------------------------------- helpers


def text_units(text: str) -> int:
    """Width in half-width units: a CJK character counts two."""
    return sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)


# Advance widths in em, rounded up from DejaVu Sans (the widest of the fonts a browser here may pick for
# the SVG's text): a percentage such as "99.9%" is 3.2 em, where 0.6 em a character (the estimate before
# issue 17 item 8) gave 3.0 and neighbouring numbers on the monthly chart ran into each other.
_NARROW = set(".,:;!|'`ijl ")
_DIGIT, _PERCENT, _NARROW_EM, _UPPER, _OTHER, _WIDE = 0.64, 0.96, 0.33, 0.76, 0.62, 1.0


def text_width(text: str) -> float:
    """The width of text at 1 em, estimated per character: a CJK character is a full em."""
    total = 0.0
    for char in text:
        if unicodedata.east_asian_width(char) in "WF" or char in "…—%@MWmw":
            total += _PERCENT if char == "%" else _WIDE
        elif char.isdigit():
            total += _DIGIT
        elif char in _NARROW:
            total += _NARROW_EM
        elif char.isupper():
            total += _UPPER
        else:
            total += _OTHER
    return total


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


def _r(value: float) -> float:
    """Coordinates to a tenth of a unit: finer is invisible and only lengthens the markup."""
    return round(value, 1)


def _drawing(chart: Chart, height: float) -> Drawing:
    return Drawing(
        slug=chart.slug,
        title=chart.title,
        description=chart.description or chart.title,
        width=chart.width,
        height=round(height),
        legend=_legend(chart, 12),
    )


def _legend(chart: Chart, y: float) -> list[Swatch]:
    if len(chart.series) < 2:
        return []
    swatches, x = [], 4.0
    for name, colour in chart.legend:
        swatches.append(Swatch(x=_r(x), y=_r(y - 9), colour=colour, label=Text(_r(x + 14), _r(y), name)))
        x += 28 + _px(text_units(name))
    return swatches


def _label_width(chart: Chart) -> float:
    longest = max((text_units(shorten(c.label)) for c in chart.categories), default=4)
    return min(_px(longest) + 10, chart.width * 0.4)


def _category_label(category: Category, x: float, y: float) -> Text:
    return Text(
        _r(x), _r(y), shorten(category.label), anchor="end", url=category.url, aria_label=category.label
    )


def _tooltip(chart: Chart, category: Category, index: int, cell: Cell) -> str:
    series_name = chart.series[index] if index < len(chart.series) else ""
    return f"{category.label} {series_name}: {cell.shown}".strip()


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


def _bars(chart: Chart) -> Drawing:
    """Horizontal bars, one per series within each category, each labelled with its number."""
    series_count = max(len(chart.series), 1)
    # Grouped bars are a line of text apart (and a little), so their numbers never touch each other.
    bar_height = 16 if series_count == 1 else FONT_SIZE + 3
    row_height = bar_height * series_count + 10
    top = 20 if series_count > 1 else 4
    height = top + row_height * max(len(chart.categories), 1) + 4
    label_width = _label_width(chart)
    value_room = 64
    plot_width = chart.width - label_width - value_room
    scale = _scale_max(chart, [cell.value or 0 for c in chart.categories for cell in chart.drawn(c)])

    drawing = _drawing(chart, height)
    axis_x = label_width + 4
    for row, category in enumerate(chart.categories):
        y0 = top + row * row_height + 5
        drawing.labels.append(_category_label(category, label_width, y0 + bar_height * series_count / 2 + 4))
        for index, cell in enumerate(chart.drawn(category)):
            width = max(plot_width * (cell.value or 0) / scale, 0) if scale else 0
            y = y0 + index * bar_height
            drawing.bars.append(
                Bar(
                    x=_r(axis_x),
                    y=_r(y),
                    width=_r(width),
                    height=bar_height - 2,
                    fill=chart.colour(index),
                    tooltip=_tooltip(chart, category, index, cell),
                    url=cell.url,
                    label=Text(_r(axis_x + width + 4), _r(y + bar_height - 5), cell.shown),
                )
            )
    drawing.axis = Axis(x=_r(axis_x), y1=top, y2=height - 4)
    return drawing


def _stacked(chart: Chart) -> Drawing:
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

    drawing = _drawing(chart, height)
    axis_x = label_width + 4
    for row, (category, total) in enumerate(zip(chart.categories, totals, strict=True)):
        y = top + row * row_height + 5
        baseline = y + bar_height - 5
        drawing.labels.append(_category_label(category, label_width, baseline))
        x = axis_x
        for index, cell in enumerate(chart.drawn(category)):
            value = cell.value or 0
            if value <= 0:
                continue
            width = plot_width * value / scale
            fits = width >= _px(len(cell.shown)) + 4
            drawing.bars.append(
                Bar(
                    x=_r(x),
                    y=_r(y),
                    width=_r(width),
                    height=bar_height,
                    fill=chart.colour(index),
                    tooltip=_tooltip(chart, category, index, cell),
                    url=cell.url,
                    label=(
                        Text(_r(x + width / 2), _r(baseline), cell.shown, anchor="middle", fill="#fff")
                        if fits
                        else None
                    ),
                )
            )
            x += width
        drawing.totals.append(Text(_r(x + 4), _r(baseline), f"{total:g}", bold=True))
    drawing.axis = Axis(x=_r(axis_x), y1=top, y2=height - 4)
    return drawing


# ---------------------------------------------------------------- lines


@dataclass
class _Spot:
    """A point while its number is being placed."""

    series: int
    x: float
    y: float
    text: str
    label: Text | None = None


def _line(chart: Chart) -> Drawing:
    """A line per series over the categories (left to right), each point labelled with its number
    where it does not collide with another text or point. A missing value (None) leaves a gap."""
    height = 220
    top = 34 if len(chart.series) > 1 else 20  # room for a number above a point at the top of the scale
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

    drawing = _drawing(chart, height)
    for fraction in (0, 0.5, 1):
        y = y_of(scale * fraction)
        tick = Text(left - 4, _r(y + 4), f"{scale * fraction:g}{chart.unit}", anchor="end", fill=GREY)
        drawing.grid.append(Gridline(y=_r(y), x1=left, x2=chart.width - right, label=tick))
    taken = [text.box for text in (*(s.label for s in drawing.legend), *(g.label for g in drawing.grid))]
    for index, category in enumerate(chart.categories):
        label = Text(_r(x_of(index)), height - 6, shorten(category.label, 12), anchor="middle")
        # Many months: a name that would touch its neighbour is left out (the table lists them all).
        if not any(label.box.overlaps(box) for box in taken):
            drawing.labels.append(label)
            taken.append(label.box)

    spots, columns = [], {}
    for series_index, name in enumerate(chart.series or [""]):
        colour = chart.colour(series_index)
        points = [
            (index, category.cells[series_index])
            for index, category in enumerate(chart.categories)
            if series_index < len(category.cells)
        ]
        run = []
        for index, cell in points:
            if cell.value is None:
                if run:
                    drawing.lines.append(Polyline(" ".join(run), colour))
                run = []
                continue
            run.append(f"{_r(x_of(index))},{_r(y_of(cell.value))}")
            spot = _Spot(series_index, x_of(index), y_of(cell.value), cell.shown)
            spots.append(spot)
            columns.setdefault(index, []).append(spot)
            tooltip = f"{chart.categories[index].label} {name}: {cell.shown}".strip()
            drawing.points.append(
                Point(x=_r(spot.x), y=_r(spot.y), fill=colour, tooltip=tooltip, url=cell.url)
            )
        if run:
            drawing.lines.append(Polyline(" ".join(run), colour))
    # Every point is an obstacle for the numbers, so no number hides a point.
    r = POINT_RADIUS
    taken += [Box(spot.x - r, spot.y - r, spot.x + r, spot.y + r) for spot in spots]
    bounds = Box(0, 0, chart.width, height)
    for index in sorted(columns):
        _label_column(columns[index], taken, bounds)
    drawing.points = [
        replace(point, label=spot.label) for point, spot in zip(drawing.points, spots, strict=True)
    ]
    return drawing


def _label_column(spots: list[_Spot], taken: list[Box], bounds: Box) -> None:
    """Numbers for the points of one category, each where it touches nothing already placed.

    Points too close for a number between them form a cluster: its numbers are stacked above and
    below it in the points' own order, top to bottom, so each reads beside its point; equal numbers
    in a cluster are written once. A number with no free place is left out (it is in the table and
    the point's tooltip)."""
    clusters = []
    for spot in sorted(spots, key=lambda spot: spot.y):
        if clusters and spot.y - clusters[-1][-1].y < 2 * LINE:
            clusters[-1].append(spot)
        else:
            clusters.append([spot])
    for cluster in clusters:
        distinct, seen = [], set()
        for spot in cluster:
            if spot.text not in seen:
                distinct.append(spot)
                seen.add(spot.text)
        if len(distinct) == 1:
            spot = distinct[0]
            layouts = [[(spot, spot.y + offset)] for offset in LABEL_OFFSETS[spot.series % 2]]
        else:
            top, bottom, count = cluster[0].y, cluster[-1].y, len(distinct)
            # How many numbers go above the cluster: half first, then the splits nearest to half.
            splits = sorted(range(count + 1), key=lambda above: abs(above - (count + 1) // 2))
            layouts = [
                [(spot, top - ABOVE - LINE * (above - 1 - i)) for i, spot in enumerate(distinct[:above])]
                + [(spot, bottom + BELOW + LINE * i) for i, spot in enumerate(distinct[above:])]
                for above in splits
            ]
        fitting = [_fitting(layout, taken, bounds) for layout in layouts]
        for spot, label in max(fitting, key=len):  # the first layout where all fit, else where most do
            spot.label = label
            taken.append(label.box)


def _fitting(layout, taken: list[Box], bounds: Box) -> list[tuple[_Spot, Text]]:
    """The numbers of a layout, (spot, baseline) pairs, that fit inside the bounds touching nothing."""
    placed, boxes = [], list(taken)
    for spot, y in layout:
        label = Text(_r(spot.x), _r(y), spot.text, anchor="middle")
        box = label.box
        inside = bounds.left <= box.left and box.right <= bounds.right
        inside = inside and bounds.top <= box.top and box.bottom <= bounds.bottom
        if inside and not any(box.overlaps(other) for other in boxes):
            placed.append((spot, label))
            boxes.append(box)
    return placed
