"""End to end in a real browser: log in, log a problem through the intake form, find it in the table,
filter it, export it to Excel."""

import re
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook
from playwright.sync_api import expect

from diagnosis.exports import COLUMNS, STATE_COLUMNS, TABLE_TITLE
from tests.factories import TicketFactory
from toolkit.choices import Priority
from toolkit.models import Ticket

pytestmark = pytest.mark.browser

DESCRIPTION = "无法登录系统,提示“验证码错误”,影响3名用户提交订单"
ERROR = "验证码错误,请重试"
JUDGEMENT = "验证码接口异常"


def _row(page, text):
    return page.locator("#ticket-table tbody tr", has_text=text)


def _fill_intake_form(page, owner):
    page.fill("#id_customer_name", "TSA公司")
    page.fill("#id_contact_name", "*女士")
    page.fill("#id_contact_details", "1385678")
    page.select_option("#id_source", "ticket_system")
    page.fill("#id_occurred_at", "2023-10-01T14:30")
    page.fill("#id_description", DESCRIPTION)
    page.fill("#id_error_message", ERROR)
    page.select_option("#id_problem_type", "functional")
    # Each choice asks the server for a new suggestion; wait for each answer so they cannot cross.
    with page.expect_response(lambda response: "/suggest-priority/" in response.url):
        page.select_option("#id_impact_scope", "some_users")
    page.fill("#id_users_affected", "3")
    with page.expect_response(lambda response: "/suggest-priority/" in response.url):
        page.select_option("#id_business_urgency", "high")
    page.fill("#id_preliminary_judgement", JUDGEMENT)
    page.check("#id_judgement_unverified")
    page.select_option("#id_owner", str(owner.pk))


def test_log_a_problem_find_filter_and_export_it(page, log_in, screenshot, manager, engineer, tmp_path):
    log_in(manager)

    page.goto(reverse("diagnosis:new"))
    _fill_intake_form(page, owner=engineer)

    # htmx swapped in the live suggestion, and app.js copied it into the untouched priority select.
    expect(page.locator("#priority-suggestion [data-suggested-priority]")).to_have_attribute(
        "data-suggested-priority", "P1"
    )
    expect(page.locator("#priority-suggestion")).to_contain_text("P1")
    expect(page.locator("#id_priority")).to_have_value("P1")
    screenshot("intake-form")

    with page.expect_navigation():
        page.click("#intake-form [type=submit]")

    heading = page.locator("main h1")
    expect(heading).to_have_text(re.compile(r"^TS-\d{8}-\d{4}$"))
    number = heading.inner_text()
    assert page.url.endswith(reverse("diagnosis:detail", kwargs={"number": number}))

    ticket = Ticket.objects.select_related("customer", "contact").get(number=number)
    assert (ticket.customer.name, ticket.contact.name, ticket.contact_details) == (
        "TSA公司",
        "*女士",
        "1385678",
    )
    assert timezone.localtime(ticket.occurred_at).replace(tzinfo=None) == datetime(2023, 10, 1, 14, 30)
    assert (ticket.priority, ticket.suggested_priority) == (Priority.P1, Priority.P1)
    assert (ticket.description, ticket.error_message) == (DESCRIPTION, ERROR)
    assert ticket.users_affected == 3
    assert ticket.judgement_unverified
    assert (ticket.owner, ticket.recorded_by) == (engineer, manager)

    # The table lists it.
    page.goto(reverse("diagnosis:list"))
    row = _row(page, number)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("TSA公司")
    expect(row).to_contain_text("2023-10-01 14:30")
    screenshot("diagnosis-table")

    # Filter on P1: still there.
    page.check("#f-priority-P1")
    with page.expect_navigation():
        page.click("#apply-filters")
    assert "priority=P1" in page.url
    expect(page.locator("#f-priority-P1")).to_be_checked()
    expect(_row(page, number)).to_have_count(1)

    # Only P0: gone.
    page.uncheck("#f-priority-P1")
    page.check("#f-priority-P0")
    with page.expect_navigation():
        page.click("#apply-filters")
    assert "priority=P0" in page.url and "priority=P1" not in page.url
    expect(_row(page, number)).to_have_count(0)
    expect(page.locator("#ticket-table tbody")).to_contain_text(
        _in_page_language("No tickets match these filters.")
    )

    # Back to P1 and export what the table shows.
    page.uncheck("#f-priority-P0")
    page.check("#f-priority-P1")
    with page.expect_navigation():
        page.click("#apply-filters")
    expect(page.locator("#export-link")).to_have_attribute("href", re.compile(r"[?&]priority=P1(&|$)"))
    with page.expect_download() as download_info:
        page.click("#export-link")
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / "export.xlsx"
    download.save_as(path)

    workbook = load_workbook(path, read_only=True)
    rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    title, header, *data = rows
    assert title[0] == _in_page_language(TABLE_TITLE)
    # The document's 15 columns first and in order, then stage, SLA state and SLA due.
    assert list(header) == [_in_page_language(column.header) for column in COLUMNS + STATE_COLUMNS]
    assert len(data) == 1
    exported = dict(zip(header, data[0], strict=True))
    assert list(exported.values())[1:5] == [number, "TSA公司", "*女士", "1385678"]
    assert exported[_in_page_language("Priority")] == "P1"
    assert exported[_in_page_language("Occurred at")] == datetime(2023, 10, 1, 14, 30)
    assert exported[_in_page_language("Preliminary judgement")].startswith(JUDGEMENT)


def test_priority_filter_shows_only_the_chosen_priority(page, log_in, manager):
    critical = TicketFactory(priority=Priority.P0, suggested_priority=Priority.P0, customer__name="支付中心")
    high = TicketFactory(priority=Priority.P1, suggested_priority=Priority.P1, customer__name="TSA公司")
    log_in(manager)

    page.goto(f"{reverse('diagnosis:list')}?priority=P0")

    expect(page.locator("#f-priority-P0")).to_be_checked()
    rows = page.locator("#ticket-table tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(critical.number)
    expect(rows.first).to_contain_text("支付中心")
    expect(_row(page, high.number)).to_have_count(0)


def _in_page_language(text):
    """What the pages say for a source string: the browser asks for zh-CN, so Django answers in zh-hans."""
    with translation.override("zh-hans"):
        return translation.gettext(str(text))
