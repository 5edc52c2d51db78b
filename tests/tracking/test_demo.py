"""tracking.demo.seed: plans for tickets in implementation and later, deterministic, idempotent."""

import pytest
from django.utils import timezone

from tests.factories import TicketFactory
from tracking import demo
from tracking.models import ProgressEntry, Task, TaskKind, TaskStatus

pytestmark = pytest.mark.django_db


def test_seed(engineer, manager):
    tickets = [
        TicketFactory(owner=engineer, stage="implementation"),
        TicketFactory(owner=engineer, stage="implementation"),
        TicketFactory(owner=engineer, stage="evaluation"),
        TicketFactory(owner=engineer, stage="diagnosis"),
    ]
    users = {"engineer": engineer, "manager": manager}
    demo.seed(tickets=tickets, users=users, now=timezone.now())
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
    count = Task.objects.count()
    demo.seed(tickets=tickets, users=users, now=timezone.now())
    assert Task.objects.count() == count
