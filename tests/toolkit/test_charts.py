"""toolkit.charts: the SVG is accessible, escapes every text, links its numbers and draws to scale."""

import re

from toolkit.charts import Box, Category, Cell, Chart, Text, nice_max, shorten, text_units


def _chart(kind="bar", **kwargs):
    defaults = {
        "slug": "demo",
        "title": "Open tickets by priority",
        "kind": kind,
        "series": ["Open"],
        "categories": [
            Category("P0 紧急", (Cell(5, url="/diagnosis/?priority=P0"),), url="/diagnosis/?priority=P0"),
            Category("P1 高", (Cell(10, url="/diagnosis/?priority=P1"),)),
        ],
    }
    return Chart(**{**defaults, **kwargs})


def _widths(svg):
    return [float(width) for width in re.findall(r'<rect [^>]*width="([\d.]+)" height', svg)]


def test_svg_has_a_title_and_description_for_screen_readers():
    svg = _chart(description="Per priority").svg
    assert svg.startswith("<svg ")
    # Its bars are links: a group (an image's links would be hidden from screen readers, issue 17 item 12).
    assert 'role="group"' in svg
    unlinked = [Category("P0 紧急", (Cell(5),)), Category("P1 高", (Cell(10),))]
    assert 'role="img"' in _chart(categories=unlinked).svg
    assert 'aria-labelledby="chart-demo-title chart-demo-desc"' in svg
    assert '<title id="chart-demo-title">Open tickets by priority</title>' in svg
    assert '<desc id="chart-demo-desc">Per priority</desc>' in svg


def test_bars_are_to_scale_and_carry_their_numbers_and_links():
    svg = _chart().svg
    first, second = _widths(svg)
    assert second == 2 * first or abs(second - 2 * first) < 0.2
    assert ">5</text>" in svg and ">10</text>" in svg
    assert '<a href="/diagnosis/?priority=P0"' in svg
    assert "P0 紧急" in svg


def test_every_text_and_url_is_escaped():
    chart = _chart(
        title='<script>alert("x")</script>',
        categories=[Category("<b>客户</b>", (Cell(1, text="<i>1</i>", url='/x?a=1&b="2"'),))],
    )
    svg = chart.svg
    assert "<script>" not in svg and "<b>" not in svg and "<i>" not in svg
    assert "&lt;script&gt;" in svg
    assert 'href="/x?a=1&amp;b=&quot;2&quot;"' in svg


def test_grouped_bars_draw_one_bar_per_series_and_a_legend():
    chart = _chart(
        series=["CSAT", "On time"],
        categories=[Category("P0", (Cell(50, "50%"), Cell(100, "100%")))],
        value_max=100,
    )
    svg = chart.svg
    bars = _widths(svg)
    assert len(bars) == 2 + 2  # two legend swatches (10 wide) and two bars
    assert bars[3] == 2 * bars[2] or abs(bars[3] - 2 * bars[2]) < 0.2
    assert ">CSAT</text>" in svg and ">50%</text>" in svg


def test_extra_cells_are_for_the_table_only():
    chart = _chart(
        extra_columns=["Tickets"],
        categories=[Category("P0", (Cell(5), Cell(99999)))],
    )
    assert "99999" not in chart.svg
    assert chart.drawn(chart.categories[0]) == (Cell(5),)


def test_stacked_bar_writes_the_total_and_each_part():
    chart = _chart(
        kind="stacked",
        series=["P0", "P1"],
        categories=[Category("李工", (Cell(3), Cell(4)))],
        colours=["#B02A37", "#E69F00"],
    )
    svg = chart.svg
    assert 'font-weight="bold">7</text>' in svg
    assert 'fill="#B02A37"' in svg and 'fill="#E69F00"' in svg


def test_line_leaves_a_gap_for_missing_values():
    chart = _chart(
        kind="line",
        series=["CSAT"],
        unit="%",
        value_max=100,
        categories=[
            Category("2026-01", (Cell(80.0, "80%"),)),
            Category("2026-02", (Cell(90.0, "90%"),)),
            Category("2026-03", (Cell(None),)),
            Category("2026-04", (Cell(70.0, "70%"),)),
        ],
    )
    svg = chart.svg
    assert svg.count("<polyline") == 2  # Jan–Feb, then Apr alone
    assert svg.count("<circle") == 3
    assert ">100%</text>" in svg and ">2026-04</text>" in svg


def test_empty_charts():
    assert _chart(categories=[Category("P0", (Cell(0),))]).is_empty
    assert not _chart(kind="line", categories=[Category("2026-01", (Cell(0.0),))]).is_empty
    assert _chart(kind="line", categories=[Category("2026-01", (Cell(None),))]).is_empty


def test_long_chinese_labels_are_cut_by_display_width():
    assert text_units("客户A") == 5
    assert shorten("短名") == "短名"
    cut = shorten("华东精密制造工厂华东精密制造工厂华东精密制造工厂", 12)
    assert cut.endswith("…") and text_units(cut) <= 12


def test_nice_max():
    assert [nice_max(v) for v in (0, 7, 29, 100, 101)] == [1, 10, 50, 100, 200]


def _collisions(texts):
    return [(a.text, b.text) for i, a in enumerate(texts) for b in texts[i + 1 :] if a.box.overlaps(b.box)]


def _monthly_rates(months):
    """Three rates per month a few points apart, as on the reports' monthly chart (CSAT, first
    response on time, resolution on time)."""
    rates = [(100.0, 100.0, 100.0), (96.0, 97.5, 95.0), (80.0, 82.0, 81.0), (50.0, 100.0, 52.5)]
    return [
        Category(
            f"{2024 + index // 12}-{index % 12 + 1:02d}", tuple(Cell(v, f"{v:g}%") for v in rates[index % 4])
        )
        for index in range(months)
    ]


def test_numbers_of_close_points_do_not_overlap():
    chart = _chart(
        kind="line",
        series=["CSAT", "首次响应按时", "解决按时"],
        unit="%",
        value_max=100,
        categories=_monthly_rates(6),
    )
    drawing = chart.drawing
    # Where they used to be drawn (first and third series above their points) two numbers collide.
    csat, _first, resolution = (point for point in drawing.points if point.tooltip.startswith("2024-02"))
    old_csat = Text(csat.x, csat.y - 7, "96%", anchor="middle")
    assert old_csat.box.overlaps(Text(resolution.x, resolution.y - 7, "95%", anchor="middle").box)

    assert _collisions(drawing.texts) == []
    circles = [Box(p.x - 4, p.y - 4, p.x + 4, p.y + 4) for p in drawing.points]
    for text in drawing.texts:
        assert not any(text.box.overlaps(circle) for circle in circles), text
        assert text.box.left >= 0 and text.box.right <= drawing.width and text.box.top >= 0
        assert text.box.bottom <= drawing.height
    for point in drawing.points:
        if point.label:  # next to its own point, and written in the SVG
            assert point.label.x == point.x and abs(point.label.y - point.y) <= 27
            assert f">{point.label.text}</text>" in chart.svg
    # Every month's numbers are written, equal ones once, in the same order top to bottom as the points.
    for category in chart.categories:
        points = sorted(
            (point for point in drawing.points if point.tooltip.startswith(category.label)), key=lambda p: p.y
        )
        numbers = list(dict.fromkeys(point.label.text for point in points if point.label))
        assert numbers == list(
            dict.fromkeys(cell.shown for cell in sorted(category.cells, key=lambda c: -c.value))
        )
        labels = [point.label for point in points if point.label]
        assert labels == sorted(labels, key=lambda label: label.y)


def test_month_names_make_room_for_each_other():
    drawing = _chart(
        kind="line", series=["CSAT"], unit="%", value_max=100, categories=_monthly_rates(36)
    ).drawing
    assert _collisions(drawing.texts) == []
    assert 6 <= len(drawing.labels) < 36  # every few months named; the table lists them all
    assert len(drawing.points) == 36
