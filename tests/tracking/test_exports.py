"""Weekly progress report and the per-ticket plan as Excel: headers in the reader's language, real dates,
this week's log, formula injection neutralised, ExportLog rows; a bad week is a 400 with nothing exported."""

from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse
from openpyxl import load_workbook

from toolkit.models import ExportLog
from tracking.models import TaskStatus
from tracking.selectors import parse_week

from .factories import ProgressEntryFactory, TaskFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")

ZH_HEADERS = [
    "问题编号", "客户名称", "任务", "类型", "责任人", "计划开始", "计划完成", "实际开始", "实际完成",
    "进度(%)", "状态", "偏差(天,正数为落后)", "投入工时", "本周进展", "阻碍", "下一步",
]  # fmt: skip
EN_HEADERS = [
    "Ticket no.", "Customer", "Task", "Kind", "Owner", "Planned start", "Planned end", "Actual start",
    "Actual end", "Progress (%)", "Status", "Variance (days, + behind)", "Hours spent", "Log this week",
    "Blockers", "Next step",
]  # fmt: skip


def _sheet(response):
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return list(workbook.active.iter_rows(values_only=True))


@pytest.fixture
def week_data(ticket, engineer):
    """Week 2026-W23 is 1–7 June 2026."""
    task = TaskFactory(
        ticket=ticket,
        owner=engineer,
        name="=升级验证码服务",
        planned_start=date(2026, 6, 1),
        planned_end=date(2026, 6, 5),
        actual_start=date(2026, 6, 1),
        progress=60,
        status=TaskStatus.BLOCKED,
        hours_spent=12,
    )
    ProgressEntryFactory(task=task, by=engineer, date=date(2026, 5, 29), progress=10, note="上周的记录")
    ProgressEntryFactory(
        task=task, by=engineer, date=date(2026, 6, 2), progress=30, note="完成环境准备", next_step="升级"
    )
    ProgressEntryFactory(
        task=task, by=engineer, date=date(2026, 6, 4), progress=60, note="升级一半", blockers="等待客户窗口",
        next_step="约定停机时间",
    )  # fmt: skip
    TaskFactory(ticket__stage="evaluation", planned_end=date(2026, 6, 5))  # not in implementation: left out
    return task


@time_machine.travel(datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI))
def test_weekly_report_in_chinese(engineer_client, engineer, ticket, week_data):
    response = engineer_client.get(reverse("tracking:weekly_export"), {"week": "2026-W23"})
    assert response.status_code == 200
    rows = _sheet(response)
    assert rows[0][0] == "实施进度周报 2026-W23(2026-06-01 – 2026-06-07)"
    assert list(rows[1]) == ZH_HEADERS
    assert len(rows) == 3
    row = rows[2]
    assert row[:5] == (ticket.number, ticket.customer.name, "'=升级验证码服务", "任务", engineer.display_name)
    assert row[5:9] == (datetime(2026, 6, 1), datetime(2026, 6, 5), datetime(2026, 6, 1), None)
    # As of Sunday 7 June (the week is over): open, two days past its planned end.
    assert row[9:13] == (60, "受阻", 2, 12)
    assert row[13] == "06-02 30% 完成环境准备\n06-04 60% 升级一半"
    assert row[14:] == ("等待客户窗口", "约定停机时间")
    log = ExportLog.objects.get()
    assert (log.table, log.query_string, log.row_count, log.user.username) == (
        "tracking_weekly",
        "week=2026-W23",
        1,
        "engineer",
    )


@time_machine.travel(datetime(2026, 6, 3, 9, 0, tzinfo=SHANGHAI))
def test_weekly_report_in_english_defaults_to_this_week(engineer_client, ticket, week_data):
    engineer_client.cookies["django_language"] = "en"
    rows = _sheet(engineer_client.get(reverse("tracking:weekly_export")))
    assert rows[0][0] == "Weekly Implementation Progress Report 2026-W23 (2026-06-01 – 2026-06-07)"
    assert list(rows[1]) == EN_HEADERS
    row = rows[2]
    assert (row[3], row[10]) == ("Task", "Blocked")
    # As of today, 3 June: 2 of 5 days gone, 60 % of 5 days done → 1 day ahead.
    assert row[11] == -1
    assert row[13].splitlines()[0] == "06-02 30% 完成环境准备"


@pytest.mark.parametrize("week", ["2026-23", "W23", "2026-W54", "2025-W53", "abc", "2026-W1"])
def test_bad_week_is_a_translated_400_and_nothing_is_exported(engineer_client, week):
    response = engineer_client.get(reverse("tracking:weekly_export"), {"week": week})
    assert response.status_code == 400
    body = response.content.decode()
    assert "周次无效" in body
    assert ExportLog.objects.count() == 0


def test_bad_week_in_english(engineer_client):
    engineer_client.cookies["django_language"] = "en"
    response = engineer_client.get(reverse("tracking:weekly_export"), {"week": "2026-W99"})
    assert response.status_code == 400
    assert "The week is not valid" in response.content.decode()


def test_parse_week():
    assert parse_week("2026-W01") == (date(2025, 12, 29), date(2026, 1, 4))
    assert parse_week("2026-W53") == (date(2026, 12, 28), date(2027, 1, 3))
    assert parse_week("", today=date(2026, 6, 3)) == (date(2026, 6, 1), date(2026, 6, 7))
    with pytest.raises(ValueError):
        parse_week("2025-W53")  # 2025 has 52 ISO weeks


def test_ticket_plan_export(engineer_client, ticket, week_data):
    response = engineer_client.get(reverse("tracking:export", args=[ticket.number]))
    assert response.status_code == 200
    rows = _sheet(response)
    assert rows[0][0] == f"实施计划 {ticket.number}"
    assert rows[1][13] == "进度记录"
    assert rows[2][13] == "05-29 10% 上周的记录\n06-02 30% 完成环境准备\n06-04 60% 升级一半"
    log = ExportLog.objects.get()
    assert (log.table, log.query_string, log.row_count) == ("tracking", f"ticket={ticket.number}", 1)


def test_ticket_plan_export_in_english(engineer_client, ticket, week_data):
    engineer_client.cookies["django_language"] = "en"
    rows = _sheet(engineer_client.get(reverse("tracking:export", args=[ticket.number])))
    assert rows[0][0] == f"Implementation Plan {ticket.number}"
    assert rows[1][:3] == ("Ticket no.", "Customer", "Task")
    assert rows[1][13] == "Progress log"


def test_export_needs_the_export_permission(client, no_role_user, ticket):
    client.force_login(no_role_user)
    assert client.get(reverse("tracking:export", args=[ticket.number])).status_code == 403
    assert client.get(reverse("tracking:weekly_export"), {"week": "2026-W23"}).status_code == 403
    assert ExportLog.objects.count() == 0


def test_weekly_export_queries_do_not_grow(engineer_client, ticket, engineer, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def add(count):
        for _ in range(count):
            task = TaskFactory(ticket=ticket, owner=engineer)
            ProgressEntryFactory(task=task, by=engineer, date=date(2026, 6, 2))

    add(1)
    with CaptureQueriesContext(connection) as one:
        b"".join(
            engineer_client.get(reverse("tracking:weekly_export"), {"week": "2026-W23"}).streaming_content
        )
    add(9)
    with django_assert_num_queries(len(one)):
        response = engineer_client.get(reverse("tracking:weekly_export"), {"week": "2026-W23"})
    assert len(_sheet(response)) == 12
