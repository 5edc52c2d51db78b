"""End to end in a real browser: an engineer analyses two requirements, designs two options, scores and
submits them; a manager approves from the queue and the ticket moves to implementation."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from solutions.models import DesignStatus, SolutionDesign
from tests.factories import TicketFactory
from toolkit.choices import Stage
from toolkit.models import StageChange

pytestmark = pytest.mark.browser


def _open(page, details):
    """The add forms sit in a <details> that closes once something was added."""
    if not page.locator(details).evaluate("element => element.open"):
        page.locator(f"{details} > summary").click()


def _add_requirement(page, summary, moscow, count):
    _open(page, "#item-add")
    form = page.locator("#item-add-form")
    form.locator("[name=summary]").fill(summary)
    form.locator("[name=moscow]").select_option(moscow)
    form.locator("[name=source_person]").fill("王女士")
    form.locator("[type=submit]").click()
    expect(page.locator(".requirement-item")).to_have_count(count)


def _add_option(page, approach, cost, days, count):
    _open(page, "#option-add")
    form = page.locator("#option-add-form")
    form.locator("[name=approach]").fill(approach)
    form.locator("[name=estimated_cost]").fill(cost)
    form.locator("[name=duration_days]").fill(days)
    form.locator("[name=people]").fill("2")
    form.locator("[name=expected_effect]").fill("登录恢复正常")
    form.locator("[type=submit]").click()
    expect(page.locator(".solution-option")).to_have_count(count)


def test_analyse_design_score_submit_and_approve(page, log_in, screenshot, engineer, manager):
    ticket = TicketFactory(owner=engineer, stage=Stage.ANALYSIS, description="无法登录系统,提示验证码错误")

    log_in(engineer)
    page.goto(reverse("requirements_analysis:analysis", args=[ticket.number]))
    _add_requirement(page, "验证码服务恢复稳定", "must", 1)
    _add_requirement(page, "登录失败时给出明确提示", "should", 2)

    page.goto(reverse("solutions:design", args=[ticket.number]))
    _add_option(page, "扩容验证码服务", "50000", "5", 1)
    _add_option(page, "更换验证码供应商", "120000", "15", 2)

    # Option A scores 5 everywhere, B 2 everywhere: A ranks first with 5.00.
    matrix = page.locator("#score-matrix tbody tr")
    rows = matrix.count()
    assert rows == 5  # SPEC's default criteria
    for row in range(rows):
        cells = matrix.nth(row).locator("input")
        cells.nth(0).fill("5")
        cells.nth(1).fill("2")
    # Scores save as they change (issue 17 item 5): no button; leaving the last cell saves it.
    matrix.last.locator("input").last.press("Tab")
    expect(page.locator("#scores [data-autosave-state]")).to_have_attribute("data-state", "saved")
    expect(page.locator("#ranking .ranked-row").first.locator(".total")).to_have_text("5.00")
    expect(page.locator("#ranking .ranked-row").nth(1).locator(".total")).to_have_text("2.00")

    page.locator("#ranking .ranked-row").first.get_by_role("button").click()
    expect(page.locator("#chosen-option")).to_contain_text("A")
    page.locator("#submit-form [type=submit]").click()
    expect(page.locator("#design-locked")).to_be_visible()  # submitted: the design is locked
    expect(page.locator("#decide-form")).to_have_count(0)  # the engineer cannot decide
    assert SolutionDesign.objects.get(ticket=ticket).status == DesignStatus.SUBMITTED

    log_in(manager)
    page.goto(reverse("solutions:approvals"))
    page.locator("#approval-queue").get_by_role("link", name=ticket.number).click()
    page.fill("#decision-comment", "同意按方案A实施")
    with page.expect_navigation():
        page.locator("#decide-form button[value=approve]").click()
    expect(page.locator("h1 + .badge, .badge").filter(has_text="实施").first).to_be_visible()
    screenshot("solution-design-approved")

    ticket.refresh_from_db()
    assert ticket.stage == Stage.IMPLEMENTATION
    design = SolutionDesign.objects.get(ticket=ticket)
    assert (design.status, design.decided_by, design.decision_comment) == (
        DesignStatus.APPROVED,
        manager,
        "同意按方案A实施",
    )
    assert StageChange.objects.filter(
        ticket=ticket, to_stage=Stage.IMPLEMENTATION, changed_by=manager
    ).exists()
