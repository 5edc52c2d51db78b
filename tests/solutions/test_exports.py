"""方案对比表: headers in the reader's language, options best first, scores, weights, totals, cost, risk."""

from decimal import Decimal
from io import BytesIO

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from solutions import services
from toolkit.models import ExportLog

pytestmark = pytest.mark.django_db


def _sheet(response):
    workbook = load_workbook(BytesIO(b"".join(response.streaming_content)))
    return list(workbook.active.iter_rows(values_only=True))


@pytest.fixture
def chosen(ticket, scored_options, engineer):
    a, b = scored_options
    a.approach = '=HYPERLINK("http://evil")'
    a.save()
    services.option_choose(ticket=ticket, option=b, by=engineer)
    return b


def test_export_in_chinese(engineer_client, ticket, chosen):
    response = engineer_client.get(reverse("solutions:export", args=[ticket.number]))
    assert response.status_code == 200
    assert "方案对比表" in response["Content-Disposition"] or "filename*=" in response["Content-Disposition"]
    rows = _sheet(response)
    assert rows[0][0] == f"方案对比表 {ticket.number}"
    assert list(rows[1]) == [
        "排名", "方案", "实施思路",
        "可行性(30%)", "成本(20%)", "周期(20%)", "风险(15%)", "客户影响(15%)",
        "加权总分", "预估成本(元)", "周期(天)", "投入人数", "风险等级", "预期效果", "优点", "缺点", "已选定",
    ]  # fmt: skip
    first, second = rows[2], rows[3]
    assert first[:2] == (1, "方案B")
    assert first[3:8] == (5, 2, 3, 4, 5)
    assert Decimal(str(first[8])) == Decimal("3.85")
    assert (first[9], first[10], first[11], first[12], first[16]) == (120000, 10, 2, "高", "是")
    assert second[:3] == (2, "方案A", '\'=HYPERLINK("http://evil")')  # written as text, not a formula
    assert Decimal(str(second[8])) == Decimal("3.60")
    assert (second[12], second[16]) == ("中", None)
    log = ExportLog.objects.get()
    assert (log.table, log.row_count, log.query_string) == ("solutions", 2, f"ticket={ticket.number}")


def test_export_in_english(engineer_client, ticket, chosen):
    engineer_client.cookies["django_language"] = "en"
    rows = _sheet(engineer_client.get(reverse("solutions:export", args=[ticket.number])))
    assert rows[0][0] == f"Solution Comparison Table {ticket.number}"
    assert list(rows[1]) == [
        "Rank", "Option", "Approach",
        "Feasibility (30%)", "Cost (20%)", "Time (20%)", "Risk (15%)", "Customer impact (15%)",
        "Weighted total", "Estimated cost (元)", "Duration (days)", "People", "Risk level",
        "Expected effect", "Pros", "Cons", "Chosen",
    ]  # fmt: skip
    assert rows[2][:2] == (1, "Option B")
    assert (rows[2][12], rows[2][16]) == ("High", "Yes")


def test_export_with_a_missing_score_leaves_the_cell_empty(engineer_client, ticket, criteria, engineer):
    from .factories import SolutionOptionFactory

    option = SolutionOptionFactory(ticket=ticket)
    services.scores_save(ticket=ticket, values={(option.pk, criteria[0].pk): 4}, by=engineer)
    rows = _sheet(engineer_client.get(reverse("solutions:export", args=[ticket.number])))
    assert rows[2][3:8] == (4, None, None, None, None)
    assert Decimal(str(rows[2][8])) == Decimal("1.20")


def test_export_needs_the_export_permission(client, no_role_user, ticket):
    client.force_login(no_role_user)
    assert client.get(reverse("solutions:export", args=[ticket.number])).status_code == 403
