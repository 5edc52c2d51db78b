"""Issue 17 item 5 in a real browser: scores typed and "选定" (Choose) pressed at once lose nothing; the
"all saved" indicator follows the saves; a bad score stays red and not saved; typed input elsewhere is
not dropped without asking."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from solutions import services
from solutions.models import Score, SolutionDesign
from solutions.selectors import criteria_of
from tests.factories import TicketFactory
from tests.solutions.factories import SolutionOptionFactory
from toolkit.choices import Stage

pytestmark = pytest.mark.browser
INVALID = re.compile(r"\bis-invalid\b")


@pytest.fixture
def design_ticket(engineer):
    ticket = TicketFactory(owner=engineer, stage=Stage.DESIGN, description="无法登录系统,提示验证码错误")
    services.design_get_or_create(ticket=ticket)
    a = SolutionOptionFactory(ticket=ticket, created_by=engineer, approach="扩容验证码服务")
    b = SolutionOptionFactory(ticket=ticket, created_by=engineer, approach="更换验证码供应商")
    return ticket, a, b


def _stored(ticket):
    criteria = {c.pk: c.display_name for c in criteria_of(ticket)}
    return {
        (score.option.label, criteria[score.criterion_id]): score.value
        for score in Score.objects.filter(option__ticket=ticket).select_related("option")
    }


def test_scores_typed_then_choose_pressed_are_all_kept(page, log_in, screenshot, engineer, design_ticket):
    ticket, a, b = design_ticket
    log_in(engineer)
    page.goto(reverse("solutions:design", args=[ticket.number]))
    state = page.locator("#scores [data-autosave-state]")
    expect(state).to_have_attribute("data-state", "saved")
    expect(page.locator("#scores-form [type=submit]")).to_have_count(0)  # no save button to forget

    rows = page.locator("#score-matrix tbody tr")
    assert rows.count() == 5
    for row in range(5):
        cells = rows.nth(row).locator("input")
        cells.nth(0).fill("2")
        cells.nth(1).fill("5")
    # The last cell still has the focus (its "change" not fired): "Choose" B straight away, as in the issue.
    page.locator('#ranking .ranked-row[data-label="B"]').get_by_role("button").click()

    # Ten saves, one after another, then the choice: allow for a busy machine.
    expect(page.locator("#chosen-option")).to_contain_text("B", timeout=30_000)
    expect(page.locator('#ranking .ranked-row[data-label="B"] .total')).to_have_text("5.00")
    expect(page.locator('#ranking .ranked-row[data-label="A"] .total')).to_have_text("2.00")
    expect(state).to_have_attribute("data-state", "saved")
    expect(state).to_have_text("已全部保存")
    # Every typed score is in the database and back in the re-rendered matrix.
    names = [c.display_name for c in criteria_of(ticket)]
    assert _stored(ticket) == {("A", n): 2 for n in names} | {("B", n): 5 for n in names}
    values = page.locator("#score-matrix tbody input").evaluate_all("cells => cells.map(c => c.value)")
    assert values == ["2", "5"] * 5
    assert SolutionDesign.objects.get(ticket=ticket).chosen_option_id == b.pk
    screenshot("solution-design-autosaved")


def test_a_bad_score_stays_red_and_unsaved_and_leaving_asks(page, log_in, engineer, design_ticket):
    ticket, a, b = design_ticket
    log_in(engineer)
    page.goto(reverse("solutions:design", args=[ticket.number]))
    first = page.locator("#score-matrix tbody tr").first.locator("input").first
    first.fill("7")
    first.press("Tab")
    expect(first).to_have_class(INVALID)
    state = page.locator("#scores [data-autosave-state]")
    expect(state).to_have_attribute("data-state", "failed")
    expect(page.locator("#score-errors")).to_contain_text("评分须为 1 到 5 的整数")
    assert not Score.objects.filter(option__ticket=ticket).exists()

    # Pressing "Choose" now would re-render the matrix and drop the 7: the page asks first.
    dialogs = []
    page.once("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.locator('#ranking .ranked-row[data-label="A"]').get_by_role("button").click()
    expect(first).to_have_value("7")
    assert dialogs == ["有输入的修改尚未保存,确定放弃吗？"]
    assert SolutionDesign.objects.get(ticket=ticket).chosen_option_id is None

    # Corrected, it saves and the indicator turns back to "all saved".
    first.fill("4")
    first.press("Tab")
    expect(state).to_have_attribute("data-state", "saved")
    expect(first).not_to_have_class(INVALID)
    assert list(Score.objects.filter(option=a).values_list("value", flat=True)) == [4]
