"""Factories for chapter 4, on top of the shared core factories."""

from datetime import date

import factory

from tests.factories import TicketFactory, UserFactory
from tracking.models import ProgressEntry, Task, TaskKind, TaskStatus


class TaskFactory(factory.django.DjangoModelFactory):
    """A task saved directly (no validation): use tracking.services to test the rules."""

    class Meta:
        model = Task

    ticket = factory.SubFactory(TicketFactory, stage="implementation")
    kind = TaskKind.TASK
    name = factory.Sequence(lambda n: f"实施任务{n}")
    owner = factory.SubFactory(UserFactory, role="engineer")
    planned_start = date(2026, 6, 1)
    planned_end = date(2026, 6, 10)
    status = TaskStatus.NOT_STARTED
    position = factory.Sequence(lambda n: n + 1)


class ProgressEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgressEntry

    task = factory.SubFactory(TaskFactory)
    date = date(2026, 6, 2)
    progress = 20
    note = "完成环境准备"
    by = factory.SubFactory(UserFactory, role="engineer")
