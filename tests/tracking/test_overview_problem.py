"""/tracking/ shows each plan's problem and warns when the plan ends after the ticket's SLA resolution is
due (issue 17 item 9)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import TicketFactory
from toolkit.choices import SlaTargetKind
from toolkit.models import TicketSla
from toolkit.sla import sla_start

from .factories import TaskFactory

pytestmark = pytest.mark.django_db
URL = "tracking:overview"


def row_of(body, number):
    return re.search(
        rf'<tr class="implementation-row">(?:(?!</tr>).)*{number}(?:(?!</tr>).)*</tr>', body, re.S
    )[0]


def planned(ticket, *, days):
    today = timezone.localdate()
    TaskFactory(ticket=ticket, planned_start=today, planned_end=today + timedelta(days=days))


def test_each_plan_shows_its_problem_masked_for_engineers_not_on_it(engineer_client, engineer):
    mine = TicketFactory(
        owner=engineer, stage="implementation", description="打印机无法打印,联系 13856785678", priority="P2"
    )
    other = TicketFactory(stage="implementation", description="VPN 断线,回电 13912345678")
    planned(mine, days=2)
    planned(other, days=2)
    body = engineer_client.get(reverse(URL)).content.decode()
    assert "打印机无法打印,联系 13856785678" in row_of(body, mine.number)  # the engineer's own ticket
    assert "VPN 断线,回电 139****5678" in row_of(body, other.number)  # contact details masked
    assert "13912345678" not in body
    assert 'class="badge badge-P2"' in row_of(body, mine.number) and ">P2<" in row_of(body, mine.number)


def test_a_plan_ending_after_the_resolution_due_day_is_flagged(manager_client):
    urgent = TicketFactory(stage="implementation", priority="P0")  # resolution due in 4 hours
    relaxed = TicketFactory(stage="implementation", priority="P3")  # 10 working days
    sla_start(urgent)
    sla_start(relaxed)
    planned(urgent, days=3)
    planned(relaxed, days=1)
    body = manager_client.get(reverse(URL)).content.decode()
    late = row_of(body, urgent.number)
    assert "plan-after-due" in late and "晚于 SLA" in late
    due = TicketSla.objects.get(ticket=urgent, target=SlaTargetKind.RESOLUTION).due_at
    assert timezone.localtime(due).strftime("%Y-%m-%d %H:%M") in late
    assert "plan-after-due" not in row_of(body, relaxed.number)

    # Once the resolution is met (or the ticket has no SLA) there is nothing to warn about.
    TicketSla.objects.filter(ticket=urgent).update(met_at=timezone.now())
    body = manager_client.get(reverse(URL)).content.decode()
    assert "plan-after-due" not in body


def test_the_overview_costs_the_same_queries_for_more_plans(manager_client, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            ticket = TicketFactory(stage="implementation", priority="P0")
            sla_start(ticket)
            planned(ticket, days=3)

    add(1)
    manager_client.get(reverse(URL))  # warm caches (sessions, permissions)
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        manager_client.get(reverse(URL))
    add(9)
    with django_assert_num_queries(len(one)):
        body = manager_client.get(reverse(URL)).content.decode()
    assert body.count("plan-after-due") == 10
