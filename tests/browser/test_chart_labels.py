"""Issue 17 item 8 in a real browser: the numbers on the charts do not overlap as Chromium draws them.

toolkit.charts places every text by an estimated width; here each chart's SVG is drawn by Chromium and
every pair of <text> boxes (getBBox, the font really used) is checked: the monthly rates chart of
/evaluation/reports/ over 6 to 24 months and the grouped bars of its other sections."""

import pytest

from tests.toolkit.test_charts import _chart, _monthly_rates
from toolkit.charts import Category, Cell

pytestmark = pytest.mark.browser

# Bootstrap's font stack (static/bootstrap), as on the pages: the SVG's text inherits it.
PAGE = (
    "<!doctype html><html><body style=\"font-family: system-ui, -apple-system, 'Segoe UI', Roboto, "
    "'Helvetica Neue', 'Noto Sans', 'Liberation Sans', Arial, sans-serif; margin: 0\">{svg}</body></html>"
)
OVERLAPS = """svg => {
  const boxes = [...svg.querySelectorAll('text')].map(t => [t.textContent, t.getBBox()]);
  const hits = [];
  boxes.forEach(([a, p], i) => boxes.slice(i + 1).forEach(([b, q]) => {
    const x = Math.min(p.x + p.width, q.x + q.width) - Math.max(p.x, q.x);
    const y = Math.min(p.y + p.height, q.y + q.height) - Math.max(p.y, q.y);
    // Glyph boxes include the line's ascent and descent: a shared pixel row is not an overlap.
    if (x > 0.5 && y > 3) hits.push(`${a} × ${b}`);
  }));
  return hits;
}"""


def _drawn_overlaps(page, chart):
    page.set_content(PAGE.format(svg=chart.svg))
    return page.locator("svg").evaluate(OVERLAPS)


@pytest.mark.parametrize("months", [6, 12, 24])
@pytest.mark.parametrize("width", [560, 400])
def test_monthly_rates_numbers_do_not_overlap(page, months, width):
    chart = _chart(
        kind="line",
        series=["满意率(CSAT)", "首次响应达标率", "解决达标率"],
        unit="%",
        value_max=100,
        width=width,
        categories=_monthly_rates(months),
    )
    assert _drawn_overlaps(page, chart) == []


def test_grouped_bars_numbers_do_not_overlap(page):
    rates = [(54.5, 99.6, 94.9), (61.1, 100, 94.9), (100, 99.9, 95.1), (0, 100, 94.7)]
    chart = _chart(
        series=["CSAT", "First response on time", "Resolution on time"],
        unit="%",
        value_max=100,
        categories=[
            Category(f"P{index} 紧急", tuple(Cell(value, f"{value:g}%") for value in values))
            for index, values in enumerate(rates)
        ],
    )
    assert _drawn_overlaps(page, chart) == []
