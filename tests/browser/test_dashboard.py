"""The dashboard in a real browser: the charts render (SVG with bars and lines), their numbers link into
the diagnosis table, and a click on a number opens the table filtered accordingly."""

import io
import secrets

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import expect

from evaluation.models import Survey, SurveyResponse
from toolkit.choices import Stage
from toolkit.models import Ticket

pytestmark = pytest.mark.browser

CHARTS = [
    "open-priority",
    "open-type",
    "top-types",
    "breach-trend",
    "csat-trend",
    "workload",
    "top-customers",
    "knowledge-reuse",
]


def _seed(tickets):
    """seed_demo's generated tickets and its chapters' demo data."""
    call_command("seed_demo", "--tickets", str(tickets), "--no-history", stdout=io.StringIO())


def _surveys(by):
    """A few survey answers on closed tickets, so the CSAT line has points."""
    closed = list(Ticket.objects.filter(stage=Stage.CLOSED).order_by("id")[:24])
    for index, ticket in enumerate(closed):
        survey = Survey.objects.create(ticket=ticket, token_hash=secrets.token_hex(32), created_by=by)
        scores = dict.fromkeys(("response_speed", "effectiveness", "attitude", "communication"), 4)
        SurveyResponse.objects.create(
            survey=survey, ticket=ticket, overall=(5, 4, 3, 5, 2)[index % 5], **scores
        )


def test_dashboard_draws_its_charts_and_links_to_the_table(page, log_in, screenshot, manager):
    _seed(300)
    _surveys(manager)
    log_in(manager)

    page.goto("/")
    for slug in CHARTS:
        chart = page.locator(f'svg[data-chart="{slug}"]')
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box and box["width"] > 200 and box["height"] > 40, slug
    expect(page.locator('svg[data-chart="open-priority"] rect')).to_have_count(4)
    expect(page.locator('svg[data-chart="breach-trend"] polyline')).not_to_have_count(0)
    expect(page.locator('svg[data-chart="csat-trend"] circle')).not_to_have_count(0)
    screenshot("dashboard")

    breached = int(page.locator("#figure-breached .display-6").inner_text())
    with page.expect_navigation():
        page.click("#figure-breached")
    assert "sla=breached" in page.url and "stage=open" in page.url
    if breached:
        expect(page.locator("#ticket-table tbody tr")).to_have_count(
            min(breached, settings.DIAGNOSIS_PAGE_SIZE)
        )

    page.goto("/")
    # The chart's table is folded under it (issue 17 item 8): open it to follow a number.
    page.locator("details:has(#numbers-open-priority) > summary").click()
    p0 = page.locator("#numbers-open-priority tbody tr").first.locator("a")
    count = int(p0.inner_text())
    with page.expect_navigation():
        p0.click()
    assert "priority=P0" in page.url and "stage=open" in page.url
    assert Ticket.objects.open().filter(priority="P0").count() == count


def test_reports_page_draws_a_chart_per_dimension(page, log_in, screenshot, manager):
    _seed(120)
    _surveys(manager)
    log_in(manager)
    page.goto("/evaluation/reports/")
    for dimension in ("priority", "problem_type", "customer", "owner", "month"):
        expect(page.locator(f'svg[data-chart="report-{dimension}"]')).to_be_visible()
    screenshot("evaluation-reports")
