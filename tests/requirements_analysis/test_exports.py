"""需求分析表: the ranked list as Excel, headers in the user's language, cells sanitised, export logged."""

import datetime
import io
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from openpyxl import load_workbook

from requirements_analysis.models import ConfirmationStatus, ConstraintType, MoSCoW, RequirementKind
from tests.factories import TicketFactory
from toolkit.models import ExportLog

from .factories import RequirementItemFactory, StakeholderFactory

pytestmark = pytest.mark.django_db

ZH_HEADERS = [
    "排名", "需求描述", "需求类型", "表面需求", "本质诉求", "收集方式", "提出人", "所属部门",
    "约束值", "价值(1–5)", "紧急度(1–5)", "工作量(1–5)", "得分", "MoSCoW 分类",
]  # fmt: skip
EN_HEADERS = [
    "Rank", "Requirement", "Requirement type", "Surface need", "Essential need", "Collection method",
    "Raised by", "Department", "Constraint value", "Value (1–5)", "Urgency (1–5)", "Effort (1–5)",
    "Score", "MoSCoW",
]  # fmt: skip


def open_export(response):
    assert response.status_code == 200, response.content[:500]
    content = b"".join(response.streaming_content)
    return load_workbook(io.BytesIO(content)).active


def rows(sheet):
    return [list(row) for row in sheet.iter_rows(min_row=3, values_only=True)]


@pytest.fixture
def ticket(db):
    ticket = TicketFactory()
    RequirementItemFactory(
        ticket=ticket,
        summary="需要支持批量导出数据",
        value=3,
        urgency=3,
        effort=3,
        moscow=MoSCoW.SHOULD,
        position=0,
    )
    RequirementItemFactory(
        ticket=ticket,
        kind=RequirementKind.CONSTRAINT,
        summary="预算≤10万元",
        surface_need="钱不多",
        essential_need="一次性投入可控",
        constraint_type=ConstraintType.AMOUNT,
        constraint_amount=Decimal("100000.00"),
        constraint_text="元",
        value=5,
        urgency=4,
        effort=1,
        moscow=MoSCoW.MUST,
        position=1,
    )
    RequirementItemFactory(
        ticket=ticket,
        kind=RequirementKind.CONSTRAINT,
        summary="6月底前上线",
        constraint_type=ConstraintType.DATE,
        constraint_date=datetime.date(2024, 6, 30),
        value=1,
        urgency=1,
        effort=5,
        moscow=MoSCoW.COULD,
        position=2,
    )
    return ticket


def export_url(ticket):
    return reverse("requirements_analysis:export", kwargs={"number": ticket.number})


def test_chinese_export_has_ranked_rows_and_chinese_headers(engineer_client, engineer, ticket):
    sheet = open_export(engineer_client.get(export_url(ticket)))
    assert sheet["A1"].value == f"需求分析表 {ticket.number}(未确认)"
    assert [cell.value for cell in sheet[2]] == ZH_HEADERS
    data = rows(sheet)
    assert [row[0] for row in data] == [1, 2, 3]
    assert data[0] == [
        1, "预算≤10万元", "约束条件", "钱不多", "一次性投入可控", "访谈", "王女士", "财务部",
        "100000 元", 5, 4, 1, 23, "必须",
    ]  # fmt: skip
    assert data[1][1] == "需要支持批量导出数据" and data[1][12] == 15 and data[1][13] == "应该"
    assert data[2][8] == "2024-06-30" and data[2][12] == 5 and data[2][13] == "可以"
    log = ExportLog.objects.get()
    assert (log.user, log.table, log.row_count, log.query_string) == (
        engineer,
        "requirements",
        3,
        f"ticket={ticket.number}",
    )


def test_english_export_has_english_headers_and_labels(engineer_client, ticket):
    engineer_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for person in [StakeholderFactory(ticket=ticket, status=ConfirmationStatus.CONFIRMED)]:
        assert person.status == "confirmed"
    sheet = open_export(engineer_client.get(export_url(ticket)))
    assert sheet["A1"].value == f"Requirement Analysis Table {ticket.number} (confirmed)"
    assert [cell.value for cell in sheet[2]] == EN_HEADERS
    first = rows(sheet)[0]
    assert (first[2], first[5], first[13]) == ("Constraint", "Interview", "Must")


def test_summary_starting_with_equals_is_written_as_text(engineer_client):
    ticket = TicketFactory()
    RequirementItemFactory(ticket=ticket, summary='=HYPERLINK("http://evil","x")', surface_need="+1+1")
    sheet = open_export(engineer_client.get(export_url(ticket)))
    row = next(sheet.iter_rows(min_row=3, max_row=3))
    assert row[1].value == '\'=HYPERLINK("http://evil","x")' and row[1].data_type == "s"
    assert row[3].value == "'+1+1"


def test_empty_analysis_exports_headers_only(engineer_client):
    sheet = open_export(engineer_client.get(export_url(TicketFactory())))
    assert [cell.value for cell in sheet[2]] == ZH_HEADERS
    assert rows(sheet) == []
