"""The diagnosis table in a real browser: bulk priority change on two ticked rows (issue 14 §4), and the
phone layout — cards, filters folded behind a button (§3)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import TicketFactory
from toolkit.choices import Priority, Stage
from toolkit.models import Ticket

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def _row(page, number):
    return page.locator("#ticket-table tbody tr", has_text=number)


def test_two_rows_get_a_new_priority_with_the_reason_in_each_history(page, log_in, manager, screenshot):
    first, second, other = (
        TicketFactory(priority=Priority.P2, suggested_priority=Priority.P2, customer__name=name)
        for name in ("甲公司", "乙公司", "丙公司")
    )
    log_in(manager)
    page.goto(f"{reverse('diagnosis:list')}?stage=open")

    _row(page, first.number).locator('input[name="ticket"]').check()
    _row(page, second.number).locator('input[name="ticket"]').check()
    expect(page.locator("#bulk-count")).to_have_text("已选 2 个")
    # Only the fields the chosen action needs show; the reason is required for a priority change.
    expect(page.locator("#bulk-priority")).to_be_hidden()
    page.select_option("#bulk-action", "priority")
    expect(page.locator("#bulk-priority")).to_be_visible()
    expect(page.locator("#bulk-owner")).to_be_hidden()
    expect(page.locator("#bulk-reason")).to_have_attribute("required", "")
    page.select_option("#bulk-priority", "P0")
    page.fill("#bulk-reason", "客户升级为重大事件")
    screenshot("diagnosis-table-bulk")
    with page.expect_navigation():
        page.click("#bulk-apply")

    # Back on the same filtered table, told what was done; the two rows now say P0.
    assert page.url.endswith(f"{reverse('diagnosis:list')}?stage=open")
    expect(page.locator(".alert-success")).to_contain_text("2")
    for ticket in (first, second):
        expect(_row(page, ticket.number).locator(".tc-pri")).to_have_text("P0")
    expect(_row(page, other.number).locator(".tc-pri")).to_have_text("P2")

    for ticket in (first, second):
        assert Ticket.objects.get(pk=ticket.pk).priority == Priority.P0
        page.goto(reverse("diagnosis:detail", args=[ticket.number]))
        expect(page.locator("#timeline")).to_contain_text("客户升级为重大事件")
    page.goto(reverse("diagnosis:detail", args=[other.number]))
    expect(page.locator("#timeline")).not_to_contain_text("客户升级为重大事件")


def test_refused_row_changes_nothing_and_is_named(page, log_in, engineer):
    mine = TicketFactory(owner=engineer, stage=Stage.DIAGNOSIS)
    theirs = TicketFactory(stage=Stage.DIAGNOSIS)
    log_in(engineer)
    page.goto(reverse("diagnosis:list"))
    page.locator("[data-bulk-select-page]").first.check()
    page.select_option("#bulk-action", "stage")
    page.select_option("#bulk-stage", "analysis")
    page.fill("#bulk-reason", "需要分析")
    with page.expect_navigation():
        page.click("#bulk-apply")
    expect(page.locator("#bulk-refusals")).to_contain_text(theirs.number)
    expect(page.locator("#bulk-refusals")).not_to_contain_text(mine.number)
    assert set(Ticket.objects.values_list("stage", flat=True)) == {Stage.DIAGNOSIS}


def test_phone_shows_cards_and_folds_the_filters(page, log_in, manager, screenshot):
    ticket = TicketFactory(
        priority=Priority.P1,
        suggested_priority=Priority.P1,
        customer__name="星河科技有限公司",
        description="打印单据时打印机无响应,17名用户无法处理客户咨询\n第二行不应显示",
        stage=Stage.DIAGNOSIS,
    )
    log_in(manager)
    page.set_viewport_size(PHONE)
    page.goto(reverse("diagnosis:list"))

    # The filters are folded away behind the "Filters" button, and open with it.
    expect(page.locator("#filter-form")).to_be_hidden()
    toggle = page.locator("#filters-toggle")
    expect(toggle).to_be_visible()
    # The table's header row is gone; the row is a card with only the card fields.
    expect(page.locator("#ticket-table thead")).to_be_hidden()
    card = _row(page, ticket.number)
    for part, text in (
        (".tc-num", ticket.number),
        (".tc-cust", "星河科技有限公司"),
        (".tc-pri", "P1"),
        (".tc-stage", "诊断"),
    ):
        expect(card.locator(part)).to_be_visible()
        expect(card.locator(part)).to_contain_text(text)
    expect(card.locator(".tc-desc")).to_be_visible()
    expect(card.locator("td:not(.tc)").first).to_be_hidden()
    # One line of description: as tall as one line of its text.
    description = card.locator(".tc-desc").bounding_box()
    number = card.locator(".tc-num").bounding_box()
    assert description["height"] < 2 * number["height"]
    # The card fits the screen: no sideways scrolling.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    screenshot("diagnosis-table-phone")

    toggle.click()
    expect(page.locator("#filter-form")).to_be_visible()
    screenshot("diagnosis-table-phone-filters")

    # At desktop width the filters show without the button and the table has its header again.
    page.set_viewport_size({"width": 1400, "height": 900})
    page.goto(reverse("diagnosis:list"))
    expect(page.locator("#filter-form")).to_be_visible()
    expect(page.locator("#filters-toggle")).to_be_hidden()
    expect(page.locator("#ticket-table thead")).to_be_visible()
