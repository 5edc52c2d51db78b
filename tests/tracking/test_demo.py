"""tracking.demo.seed: plans for tickets in implementation and later, deterministic, idempotent."""

from datetime import timedelta

import pytest
from django.utils import timezone

from demo.scenarios import scenario_named
from tests.factories import TicketFactory
from toolkit import sla
from tracking import demo
from tracking.models import ProgressEntry, Task, TaskKind, TaskStatus
from tracking.services import approach_steps

pytestmark = pytest.mark.django_db


def test_seed(engineer, manager):
    # Logged four days ago: a plan starts on the day its ticket was logged.
    logged = timezone.now() - timedelta(days=4)
    tickets = [
        TicketFactory(owner=engineer, stage="implementation", recorded_at=logged),
        TicketFactory(owner=engineer, stage="implementation", recorded_at=logged),
        TicketFactory(owner=engineer, stage="evaluation", recorded_at=logged),
        TicketFactory(owner=engineer, stage="diagnosis", recorded_at=logged),
    ]
    users = {"engineer": engineer, "manager": manager}
    demo.seed(tickets=tickets, users=users, now=timezone.now(), scenarios={})
    assert Task.objects.filter(ticket=tickets[3]).count() == 0
    plan = list(Task.objects.filter(ticket=tickets[0]).order_by("position"))
    assert [t.name for t in plan] == [*demo.DEFAULT_STEPS, "客户验收"]
    assert plan[-1].kind == TaskKind.MILESTONE
    assert [t.predecessor_id for t in plan[1:]] == [t.pk for t in plan[:-1]]
    assert plan[0].status == TaskStatus.DONE and plan[1].status == TaskStatus.IN_PROGRESS
    assert Task.objects.filter(ticket=tickets[1], status=TaskStatus.BLOCKED).exists()
    assert set(Task.objects.filter(ticket=tickets[2]).values_list("status", flat=True)) == {TaskStatus.DONE}
    assert ProgressEntry.objects.exists()
    today = timezone.localdate()
    assert not Task.objects.filter(actual_end__gt=today).exists()
    assert not ProgressEntry.objects.filter(date__gt=today).exists()
    assert plan[0].history.exists()
    assert plan[0].planned_start == timezone.localdate(logged)
    count = Task.objects.count()
    demo.seed(tickets=tickets, users=users, now=timezone.now(), scenarios={})
    assert Task.objects.count() == count


def test_plan_takes_the_scenario_steps_and_ends_by_the_resolution_due_day(engineer, manager):
    vpn = scenario_named("vpn")
    ticket = TicketFactory(
        owner=engineer, stage="implementation", recorded_at=timezone.now() - timedelta(hours=2)
    )
    sla.sla_start(ticket)
    ticket.refresh_from_db()
    demo.seed(
        tickets=[ticket],
        users={"engineer": engineer, "manager": manager},
        now=timezone.now(),
        scenarios={ticket.pk: vpn},
    )
    plan = list(Task.objects.filter(ticket=ticket).order_by("position"))
    assert [task.name for task in plan[:-1]] == approach_steps(vpn.options[0].approach)
    due_day = timezone.localdate(ticket.slas.get(target="resolution").due_at)
    assert max(task.planned_end for task in plan) == max(due_day, timezone.localdate())
