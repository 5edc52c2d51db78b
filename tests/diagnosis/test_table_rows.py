"""The diagnosis table's rows, written by diagnosis/table_rows.py rather than by the template: every value
escaped, the cells the template showed, in both languages."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory, TicketFactory
from toolkit.choices import SlaState

pytestmark = pytest.mark.django_db


def _rows(response) -> list[str]:
    body = response.content.decode()
    tbody = body[body.index("<tbody>") : body.index("</tbody>")]
    return re.findall(r"<tr>.*?</tr>", tbody, flags=re.S)


def test_markup_typed_into_a_ticket_is_shown_as_text(manager_client):
    attack = '<script>alert("x")</script>&'
    TicketFactory(
        customer=CustomerFactory(name=f"客户{attack}"),
        description=f"描述{attack}",
        error_message=f"错误{attack}",
        preliminary_judgement=f"判断{attack}",
        contact_details=f"微信{attack}",
    )
    (row,) = _rows(manager_client.get("/diagnosis/"))
    assert "<script>" not in row
    escaped = "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;"
    for text in ("客户", "描述", "错误", "判断", "微信"):
        assert text + escaped in row


def test_each_cell_of_a_row(manager_client):
    parent = TicketFactory()
    ticket = TicketFactory(
        parent=parent,
        judgement_unverified=True,
        preliminary_judgement="疑似证书过期",
        sla_state=SlaState.AT_RISK,
        sla_due_at=timezone.now() + timedelta(minutes=90, seconds=20),
        description="长" * 150,
    )
    rows = _rows(manager_client.get("/diagnosis/?sort=recorded_at"))
    row = next(row for row in rows if ticket.number in row)
    assert f'<a href="/diagnosis/{ticket.number}/">{ticket.number}</a>' in row
    assert 'title="已归入事件">↳</span>' in row
    assert '疑似证书过期 <span class="badge text-bg-warning">待验证</span>' in row
    assert '<span class="badge badge-P1" title="P1 高">P1</span>' in row
    assert 'data-sla="at_risk"' in row and "剩 1 小时 30 分钟" in row
    description = re.search(r'col-description">([^<]*)</td>', row).group(1)
    assert description == "长" * 137 + "..."  # 140 characters with Django's Chinese truncation mark
    assert f'value="{ticket.pk}" form="bulk-form" aria-label="选择 {ticket.number}"' in row
    assert ticket.owner.display_name in row

    manager_client.post("/i18n/setlang/", {"language": "en", "next": "/diagnosis/"})
    english = _rows(manager_client.get("/diagnosis/?sort=recorded_at"))
    row = next(row for row in english if ticket.number in row)
    assert 'title="Grouped under an incident">↳</span>' in row
    assert '<span class="badge text-bg-warning">To be verified</span>' in row
    assert "1 h 30 min left" in row


def test_rows_are_numbered_across_pages(manager_client, settings):
    settings.DIAGNOSIS_PAGE_SIZE = 2
    for _ in range(3):
        TicketFactory()
    second_page = _rows(manager_client.get("/diagnosis/?page=2"))
    assert len(second_page) == 1
    assert '<span class="row-no">3</span>' in second_page[0]
    assert 'name="ticket"' in second_page[0]


def test_no_checkboxes_for_those_who_cannot_change_tickets(client, manager, settings):
    from django.contrib.auth.models import Permission

    TicketFactory()
    change = Permission.objects.get(codename="change_ticket", content_type__app_label="toolkit")
    for group in manager.groups.all():
        group.permissions.remove(change)
    manager.user_permissions.remove(change)
    client.force_login(manager)
    (row,) = _rows(client.get("/diagnosis/"))
    assert 'name="ticket"' not in row
    assert '<span class="row-no">1</span>' in row


def test_no_rows_says_so(manager_client):
    TicketFactory()
    (row,) = _rows(manager_client.get("/diagnosis/?q=不存在的词"))
    assert "没有符合筛选条件的问题。" in row
