"""Excel export of the diagnosis table: layout, the document's rows, formula safety, filters, masking, log."""

import io
from datetime import datetime, timedelta

import pytest
from django.conf import settings
from django.http import FileResponse
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from diagnosis.exports import COLUMNS
from tests.diagnosis.layout import (
    EN_HEADERS,
    EN_STATE_HEADERS,
    EN_TITLE,
    ZH_HEADERS,
    ZH_STATE_HEADERS,
    ZH_TITLE,
)
from tests.factories import ContactFactory, CustomerFactory, TicketFactory, UserFactory
from toolkit.choices import Priority, ProblemType, Source
from toolkit.models import ExportLog, Ticket
from toolkit.services import contact_get_or_create, customer_get_or_create, ticket_create

EXPORT_URL = reverse("diagnosis:export")


# Where each value sits in a row (1-based columns, as in the document).
NUMBER, CONTACT, CONTACT_DETAILS, DESCRIPTION, ERROR = 2, 4, 5, 8, 9


def local(*args):
    return timezone.make_aware(datetime(*args))


def in_english(client):
    """Switch the pages to English the way the language switch does (a cookie)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def open_export(response):
    """The downloaded workbook, loaded the way a spreadsheet user would see it."""
    assert response.status_code == 200, response.content[:500]
    content = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(content)).active


def data_rows(sheet):
    return [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]


@pytest.fixture
def document_tickets(db):
    """The document's two example rows, logged through the ticket service as the form does."""
    technician = UserFactory(
        username="tech", first_name="*", last_name="", job_title="技术工程师", role="engineer"
    )
    network = UserFactory(
        username="net", first_name="*", last_name="", job_title="网络工程师", role="engineer"
    )
    tsa = customer_get_or_create(name="TSA公司")
    tsb = customer_get_or_create(name="TSB工厂")
    first = ticket_create(
        recorded_by=technician,
        customer=tsa,
        contact=contact_get_or_create(customer=tsa, name="*女士", details="1385678"),
        contact_details="1385678",
        source=Source.TICKET_SYSTEM,
        occurred_at=local(2023, 10, 1, 14, 30),
        description="无法登录系统,提示“验证码错误”,影响3名用户提交订单",
        error_message="“验证码错误,请重试”",
        problem_type=ProblemType.FUNCTIONAL,
        priority=Priority.P1,
        preliminary_judgement="验证码接口异常",
        owner=technician,
        recorded_at=local(2023, 10, 1, 14, 35),
    )
    second = ticket_create(
        recorded_by=network,
        customer=tsb,
        contact=contact_get_or_create(customer=tsb, name="*先生", details="139"),
        contact_details="139",
        source=Source.PHONE,
        occurred_at=local(2023, 10, 1, 16, 0),
        description="设备数据同步延迟,实时数据刷新间隔5分钟,影响生产调度",
        error_message="无",
        problem_type=ProblemType.FUNCTIONAL,
        priority=Priority.P0,
        preliminary_judgement="网络带宽不足",
        owner=network,
        recorded_at=local(2023, 10, 1, 16, 5),
    )
    return first, second


def test_export_is_a_streamed_file_response(manager_client, document_tickets):
    response = manager_client.get(EXPORT_URL)
    assert isinstance(response, FileResponse)
    assert response.streaming
    assert response["Content-Disposition"].startswith("attachment;")
    assert ".xlsx" in response["Content-Disposition"]
    open_export(response)


def test_export_layout_title_headers_frozen_filter_widths(manager_client, document_tickets):
    sheet = open_export(in_english(manager_client).get(EXPORT_URL))
    assert sheet["A1"].value == EN_TITLE
    assert [cell.value for cell in sheet[2]] == EN_HEADERS + EN_STATE_HEADERS
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:R4"
    # Stored as Excel stores it: the width in characters plus the cell padding (Excel shows 6 for 6.71);
    # neighbours of equal width share one <col min max> entry.
    widths = {i: d.width for d in sheet.column_dimensions.values() for i in range(d.min, d.max + 1)}
    for index, column in enumerate(COLUMNS, start=1):
        assert column.width < widths[index] < column.width + 1


def test_export_follows_the_language_switch_not_the_browser(manager_client, document_tickets):
    """The team works in Chinese: an English browser still gets Chinese until English is chosen."""
    sheet = open_export(manager_client.get(EXPORT_URL, HTTP_ACCEPT_LANGUAGE="en"))
    assert sheet["A1"].value == ZH_TITLE
    sheet = open_export(in_english(manager_client).get(EXPORT_URL))
    assert sheet["A1"].value == EN_TITLE
    assert [cell.value for cell in sheet[2]] == EN_HEADERS + EN_STATE_HEADERS


def test_export_headers_in_chinese_by_default(manager_client, document_tickets):
    """Needs the zh-hans translations (locale/zh_Hans) to be compiled."""
    sheet = open_export(manager_client.get(EXPORT_URL))
    assert sheet["A1"].value == ZH_TITLE
    assert [cell.value for cell in sheet[2]] == ZH_HEADERS + ZH_STATE_HEADERS


def test_document_rows_come_out_as_in_the_document(manager_client, document_tickets):
    """Needs the zh-hans translations for 工单系统 / 电话 / 功能类."""
    sheet = open_export(manager_client.get(EXPORT_URL, {"sort": "recorded_at"}))
    assert [row[:15] for row in data_rows(sheet)] == [
        [
            1,
            "TS-20231001-0001",
            "TSA公司",
            "*女士",
            "1385678",
            "工单系统",
            datetime(2023, 10, 1, 14, 30),
            "无法登录系统,提示“验证码错误”,影响3名用户提交订单",
            "“验证码错误,请重试”",
            "功能类",
            "P1",
            "验证码接口异常",
            "技术工程师*",
            "技术工程师*",
            datetime(2023, 10, 1, 14, 35),
        ],
        [
            2,
            "TS-20231001-0002",
            "TSB工厂",
            "*先生",
            "139",
            "电话",
            datetime(2023, 10, 1, 16, 0),
            "设备数据同步延迟,实时数据刷新间隔5分钟,影响生产调度",
            "无",
            "功能类",
            "P0",
            "网络带宽不足",
            "网络工程师*",
            "网络工程师*",
            datetime(2023, 10, 1, 16, 5),
        ],
    ]


def test_document_rows_in_english(manager_client, document_tickets):
    sheet = open_export(in_english(manager_client).get(EXPORT_URL, {"sort": "recorded_at"}))
    rows = data_rows(sheet)
    assert [row[:6] for row in rows] == [
        [1, "TS-20231001-0001", "TSA公司", "*女士", "1385678", "Ticket system"],
        [2, "TS-20231001-0002", "TSB工厂", "*先生", "139", "Phone"],
    ]
    assert [row[9:14] for row in rows] == [
        ["Functional", "P1", "验证码接口异常", "技术工程师*", "技术工程师*"],
        ["Functional", "P0", "网络带宽不足", "网络工程师*", "网络工程师*"],
    ]


def test_dates_are_real_excel_dates_in_local_time(manager_client, document_tickets):
    sheet = open_export(manager_client.get(EXPORT_URL, {"sort": "recorded_at"}))
    occurred, recorded = sheet["G3"], sheet["O3"]
    for cell in (occurred, recorded):
        assert cell.is_date
        assert cell.number_format == "yyyy-mm-dd hh:mm"
    # Stored in UTC (06:30Z), written as the team's wall-clock time.
    assert occurred.value == datetime(2023, 10, 1, 14, 30)
    assert recorded.value == datetime(2023, 10, 1, 14, 35)


def test_unverified_judgement_is_marked(manager_client, manager):
    TicketFactory(preliminary_judgement="疑似数据库索引问题", judgement_unverified=True, owner=manager)
    sheet = open_export(in_english(manager_client).get(EXPORT_URL))
    assert sheet["L3"].value == "疑似数据库索引问题 (to be verified)"


@pytest.mark.parametrize(
    ("field", "value", "column"),
    [
        ("description", "=1+1", DESCRIPTION),
        ("description", '=HYPERLINK("http://evil.example","x")', DESCRIPTION),
        ("error_message", "@SUM(A1)", ERROR),
        ("contact_details", "+123", CONTACT_DETAILS),
        ("contact_details", "-2", CONTACT_DETAILS),
        ("description", "\tcmd", DESCRIPTION),
        ("description", "\rcmd", DESCRIPTION),
    ],
)
def test_formula_like_text_is_written_as_plain_text(manager_client, manager, field, value, column):
    TicketFactory(owner=manager, **{field: value})
    sheet = open_export(manager_client.get(EXPORT_URL))
    cell = sheet.cell(row=3, column=column)
    assert cell.data_type != "f"
    # XML turns a stored CR into LF when the file is read back; the quote in front is what matters.
    assert cell.value == "'" + value.replace("\r", "\n")


def test_customer_and_contact_names_are_neutralised_too(manager_client, manager):
    customer = CustomerFactory(name="=cmd|' /C calc'!A0")
    TicketFactory(owner=manager, customer=customer, contact=ContactFactory(customer=customer, name="-王女士"))
    sheet = open_export(manager_client.get(EXPORT_URL))
    assert sheet["C3"].value == "'=cmd|' /C calc'!A0"
    assert sheet["D3"].value == "'-王女士"
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_export_obeys_the_list_filters(manager_client, manager):
    TicketFactory(number="TS-20231001-0001", priority=Priority.P0, owner=manager)
    TicketFactory(number="TS-20231001-0002", priority=Priority.P1, owner=manager)
    TicketFactory(number="TS-20231001-0003", priority=Priority.P0, problem_type=ProblemType.PERFORMANCE)
    sheet = open_export(manager_client.get(EXPORT_URL, {"priority": "P0"}))
    assert sorted(row[NUMBER - 1] for row in data_rows(sheet)) == ["TS-20231001-0001", "TS-20231001-0003"]

    sheet = open_export(manager_client.get(EXPORT_URL, {"priority": "P0", "problem_type": "performance"}))
    assert [row[NUMBER - 1] for row in data_rows(sheet)] == ["TS-20231001-0003"]

    sheet = open_export(manager_client.get(EXPORT_URL, {"owner": manager.pk, "sort": "number"}))
    assert [row[NUMBER - 1] for row in data_rows(sheet)] == ["TS-20231001-0001", "TS-20231001-0002"]


def test_export_obeys_occurred_date_filters(manager_client, manager):
    TicketFactory(number="TS-20231001-0001", occurred_at=local(2023, 10, 1, 14, 30), owner=manager)
    TicketFactory(number="TS-20231002-0001", occurred_at=local(2023, 10, 2, 0, 10), owner=manager)
    sheet = open_export(manager_client.get(EXPORT_URL, {"occurred_before": "2023-10-01"}))
    assert [row[NUMBER - 1] for row in data_rows(sheet)] == ["TS-20231001-0001"]


def test_an_empty_result_still_gives_title_and_headers(manager_client):
    sheet = open_export(in_english(manager_client).get(EXPORT_URL))
    assert sheet["A1"].value == EN_TITLE
    assert [cell.value for cell in sheet[2]] == EN_HEADERS + EN_STATE_HEADERS
    assert data_rows(sheet) == []


@pytest.mark.parametrize("query", [{"priority": "P9"}, {"occurred_after": "notadate"}, {"sort": "password"}])
def test_bad_filter_gives_400_and_no_file(manager_client, query):
    response = in_english(manager_client).get(EXPORT_URL, query)
    assert response.status_code == 400
    assert not isinstance(response, FileResponse)
    assert "Content-Disposition" not in response
    assert response["Content-Type"].startswith("text/html")
    assert "some of them are not valid" in response.content.decode()
    assert not ExportLog.objects.exists()


@pytest.fixture
def other_engineers_ticket(db):
    owner = UserFactory(username="other", first_name="王工", role="engineer")
    customer = CustomerFactory(name="TSA公司")
    return TicketFactory(
        number="TS-20231001-0001",
        customer=customer,
        contact=ContactFactory(customer=customer, name="王女士"),
        contact_details="13856785678",
        owner=owner,
        recorded_by=owner,
    )


def test_engineer_sees_other_peoples_contacts_masked(engineer_client, other_engineers_ticket):
    sheet = open_export(engineer_client.get(EXPORT_URL))
    [row] = data_rows(sheet)
    assert row[CONTACT - 1] == "*女士"
    assert row[CONTACT_DETAILS - 1] == "138****5678"


def test_engineer_sees_own_ticket_unmasked(engineer_client, engineer, other_engineers_ticket):
    customer = CustomerFactory(name="TSB工厂")
    TicketFactory(
        number="TS-20231001-0002",
        customer=customer,
        contact=ContactFactory(customer=customer, name="李先生"),
        contact_details="13912345678",
        owner=engineer,
    )
    sheet = open_export(engineer_client.get(EXPORT_URL, {"sort": "number"}))
    rows = data_rows(sheet)
    assert [row[CONTACT - 1 : CONTACT_DETAILS] for row in rows] == [
        ["*女士", "138****5678"],
        ["李先生", "13912345678"],
    ]


def test_engineer_who_recorded_the_ticket_sees_it_unmasked(engineer_client, engineer, other_engineers_ticket):
    Ticket.objects.filter(pk=other_engineers_ticket.pk).update(recorded_by=engineer)
    [row] = data_rows(open_export(engineer_client.get(EXPORT_URL)))
    assert row[CONTACT - 1 : CONTACT_DETAILS] == ["王女士", "13856785678"]


def test_manager_sees_full_contact_details(manager_client, other_engineers_ticket):
    [row] = data_rows(open_export(manager_client.get(EXPORT_URL)))
    assert row[CONTACT - 1 : CONTACT_DETAILS] == ["王女士", "13856785678"]


def test_every_export_is_logged(manager_client, manager, document_tickets):
    open_export(manager_client.get(EXPORT_URL, {"priority": "P0"}))
    open_export(manager_client.get(EXPORT_URL))
    first, second = ExportLog.objects.order_by("pk")
    assert (first.user, first.table, first.query_string, first.row_count) == (
        manager,
        "diagnosis",
        "priority=P0",
        1,
    )
    assert (second.user, second.query_string, second.row_count) == (manager, "", 2)
    assert not first.contact_details_masked


def test_engineer_export_is_logged_as_masked(engineer_client, engineer, other_engineers_ticket):
    open_export(engineer_client.get(EXPORT_URL, {"q": "TSA"}))
    log = ExportLog.objects.get()
    assert (log.user, log.query_string, log.row_count, log.contact_details_masked) == (
        engineer,
        "q=TSA",
        1,
        True,
    )


def test_user_without_role_gets_403(client, no_role_user):
    client.force_login(no_role_user)
    response = client.get(EXPORT_URL)
    assert response.status_code == 403
    assert not ExportLog.objects.exists()


def test_anonymous_user_is_sent_to_login(client, db):
    response = client.get(EXPORT_URL)
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_large_export_has_every_row(manager_client, manager):
    customer = CustomerFactory(name="大客户")
    contact = ContactFactory(customer=customer, name="赵先生")
    occurred = timezone.now().replace(second=0, microsecond=0) - timedelta(days=1)
    Ticket.objects.bulk_create(
        Ticket(
            number=f"TS-20231001-{index:04d}",
            customer=customer,
            contact=contact,
            contact_details="13856785678",
            source=Source.EMAIL,
            occurred_at=occurred,
            description=f"第{index}个问题",
            problem_type=ProblemType.FUNCTIONAL,
            priority=Priority.P2,
            owner=manager,
            recorded_by=manager,
        )
        for index in range(1, 2001)
    )
    sheet = open_export(manager_client.get(EXPORT_URL, {"sort": "number"}))
    assert sheet.max_row == 2002
    assert sheet["A2002"].value == 2000
    assert sheet["B2002"].value == "TS-20231001-2000"
    assert sheet.auto_filter.ref == "A2:R2002"
    assert ExportLog.objects.get().row_count == 2000


def test_download_is_named_in_the_users_language(manager_client):
    response = manager_client.get(EXPORT_URL)
    b"".join(response.streaming_content)
    assert "filename*=utf-8''%E6%8A%80%E6%9C%AF" in response["Content-Disposition"]  # 技术…
