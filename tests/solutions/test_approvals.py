"""The managers' approval queue and the one-click stage moves on the ticket page."""

import pytest
from django.urls import reverse

from solutions import services
from tests.factories import TicketFactory
from toolkit.choices import Stage
from toolkit.models import StageChange

from .conftest import score_all
from .factories import SolutionOptionFactory

pytestmark = pytest.mark.django_db
QUEUE = reverse("solutions:approvals")


def submitted_design(engineer, **ticket_fields):
    ticket = TicketFactory(owner=engineer, stage=Stage.DESIGN, **ticket_fields)
    services.design_get_or_create(ticket=ticket)
    option = SolutionOptionFactory(ticket=ticket, created_by=engineer)
    score_all(ticket, option, [4, 4, 4, 4, 4], engineer)
    services.option_choose(ticket=ticket, option=option, by=engineer)
    services.design_submit(ticket=ticket, by=engineer)
    return ticket


def test_queue_lists_submitted_designs_only_oldest_first(manager_client, engineer):
    first = submitted_design(engineer)
    second = submitted_design(engineer)
    draft = TicketFactory(owner=engineer, stage=Stage.DESIGN)
    services.design_get_or_create(ticket=draft)

    body = manager_client.get(QUEUE).content.decode()

    assert first.number in body and second.number in body
    assert draft.number not in body
    assert body.index(first.number) < body.index(second.number)
    assert reverse("solutions:design", args=[first.number]) in body


def test_decided_designs_leave_the_queue(manager_client, manager, engineer):
    ticket = submitted_design(engineer)
    services.design_approve(ticket=ticket, by=manager, comment="同意")

    assert ticket.number not in manager_client.get(QUEUE).content.decode()


def test_engineers_have_no_queue_and_no_menu_link(client, engineer, manager):
    client.force_login(engineer)
    assert client.get(QUEUE).status_code == 403
    assert QUEUE not in client.get(reverse("diagnosis:list")).content.decode()
    client.force_login(manager)
    assert QUEUE in client.get(reverse("diagnosis:list")).content.decode()


@pytest.mark.parametrize("rows", [1, 10])
def test_queue_query_count_is_constant(manager_client, engineer, rows, django_assert_num_queries):
    for _ in range(rows):
        submitted_design(engineer)
    manager_client.get(QUEUE)  # warm the permission and session caches of this client
    # session, user, user and group permissions, the queue, the bell's unread count.
    with django_assert_num_queries(6):
        response = manager_client.get(QUEUE)
    assert response.content.decode().count("/solutions/") >= rows


def test_start_buttons_move_the_ticket_forward_with_a_reason(engineer_client, engineer):
    ticket = TicketFactory(owner=engineer, stage=Stage.DIAGNOSIS)
    detail = reverse("diagnosis:detail", args=[ticket.number])
    body = engineer_client.get(detail).content.decode()
    assert 'name="to_stage" value="analysis"' in body
    assert 'name="to_stage" value="design"' in body

    engineer_client.post(
        reverse("diagnosis:stage", args=[ticket.number]), {"to_stage": "analysis", "reason": "开始需求分析"}
    )

    ticket.refresh_from_db()
    assert ticket.stage == Stage.ANALYSIS
    assert StageChange.objects.get(ticket=ticket, to_stage=Stage.ANALYSIS).changed_by == engineer
    body = engineer_client.get(detail).content.decode()
    assert 'name="to_stage" value="analysis"' not in body  # no "start" for a stage already reached
    assert 'name="to_stage" value="design"' in body
