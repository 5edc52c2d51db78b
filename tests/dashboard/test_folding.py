"""Issue 17 item 8: every chart's table folds into a <details> under its chart on the dashboard and the
results page (the pages were 2,500–3,000 px long), and opens when printed."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _tables_outside_details(html):
    """<table>s not inside a <details class="chart-table">."""
    outside = re.sub(r'<details class="chart-table.*?</details>', "", html, flags=re.S)
    return outside.count("<table")


def test_dashboard_tables_are_folded_under_their_charts(manager_client):
    html = manager_client.get(reverse("home")).content.decode()
    folded = re.findall(r'<details class="chart-table[^"]*">\s*<summary>([^<]*)</summary>\s*<table', html)
    assert len(folded) >= 7 and set(folded) == {"以表格查看数字"}
    assert "<details" in html and " open" not in re.findall(r"<details[^>]*>", html)[0]
    assert _tables_outside_details(html) == 0


def test_results_tables_are_folded_under_their_charts(manager_client):
    html = manager_client.get(reverse("evaluation_reports:index")).content.decode()
    assert html.count('<details class="chart-table"') == html.count('class="card h-100 report-section"') == 5
    assert _tables_outside_details(html) == 0


def test_folded_tables_open_for_print():
    css = (Path(settings.BASE_DIR) / "static/css/app.css").read_text()
    printing = css[css.index("details.chart-table > summary {") :]
    assert "@media print" in printing and "details.chart-table::details-content" in printing
    assert "content-visibility: visible" in printing
