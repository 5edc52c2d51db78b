"""Demo data for chapter 4 (seed_demo, after solutions.demo): an implementation plan for each ticket in
implementation or later, with progress logged. Deterministic for a given ``now``; bulk inserts."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from solutions.selectors import approved_option
from toolkit.choices import Stage

from .models import ProgressEntry, Task, TaskKind, TaskStatus
from .services import approach_steps

PLANNED_STAGES = (Stage.IMPLEMENTATION, Stage.EVALUATION, Stage.CLOSED)
DEFAULT_STEPS = ["现场调研与环境确认", "实施变更", "联调测试", "上线与验证"]
STEP_DAYS = 3


def _plan(ticket, *, today, finished: bool, variant: int):
    option = approved_option(ticket)
    steps = (approach_steps(option.approach) if option else []) or DEFAULT_STEPS
    # A finished plan ended days ago; a running one started a few days ago, its first task done.
    back = len(steps) * STEP_DAYS + 5 if finished else 4
    start = today - timedelta(days=back + variant % 3)
    with translation.override(settings.LANGUAGE_CODE):
        acceptance = _("Customer acceptance")
    tasks = []
    for index, name in enumerate(steps):
        planned_start = start + timedelta(days=index * STEP_DAYS)
        tasks.append(
            Task(
                ticket=ticket,
                name=name,
                owner_id=ticket.owner_id,
                planned_start=planned_start,
                planned_end=planned_start + timedelta(days=STEP_DAYS - 1),
                position=index + 1,
                deliverable="实施记录" if index else "环境检查清单",
            )
        )
    last = tasks[-1].planned_end
    tasks.append(
        Task(
            ticket=ticket,
            kind=TaskKind.MILESTONE,
            name=acceptance,
            owner_id=ticket.owner_id,
            planned_start=last,
            planned_end=last,
            position=len(tasks) + 1,
        )
    )
    for index, task in enumerate(tasks):
        if finished or index == 0:
            # One day late now and then, so the demo shows variance.
            late = 1 if (index + variant) % 3 == 0 and not task.is_milestone else 0
            task.status, task.progress = TaskStatus.DONE, 100
            task.actual_start = task.planned_start
            task.actual_end = task.planned_end + timedelta(days=late)
            task.hours_spent = Decimal(0) if task.is_milestone else Decimal(8 * STEP_DAYS)
        elif index == 1:
            task.status = TaskStatus.BLOCKED if variant % 2 else TaskStatus.IN_PROGRESS
            task.progress = 40
            task.actual_start = task.planned_start + timedelta(days=1)
            task.hours_spent = Decimal(6)
    return tasks


def seed(*, tickets, users, now) -> None:
    engineer = users["engineer"]
    today = timezone.localdate(now)
    planned = [
        ticket
        for ticket in tickets
        if ticket.stage in PLANNED_STAGES and not Task.objects.filter(ticket=ticket).exists()
    ]
    all_tasks = []
    for variant, ticket in enumerate(planned):
        finished = ticket.stage != Stage.IMPLEMENTATION
        all_tasks.append(_plan(ticket, today=today, finished=finished, variant=variant))
    created = bulk_create_with_history(
        [task for tasks in all_tasks for task in tasks],
        Task,
        default_user=engineer,
        default_change_reason="demo",
    )
    # Chain each plan by predecessor (the ids exist only now).
    by_ticket, chained = {}, []
    for task in sorted(created, key=lambda t: (t.ticket_id, t.position)):
        previous = by_ticket.get(task.ticket_id)
        if previous is not None:
            task.predecessor_id = previous.pk
            chained.append(task)
        by_ticket[task.ticket_id] = task
    if chained:
        bulk_update_with_history(chained, Task, ["predecessor"], default_user=engineer)
    entries = []
    for task in created:
        if task.actual_start and not task.is_milestone:
            if task.is_done:
                entries.append(
                    ProgressEntry(
                        task=task,
                        date=task.actual_start,
                        progress=50,
                        note="按计划推进",
                        by=engineer,
                        hours=Decimal(12),
                        next_step="完成剩余工作",
                    )  # fmt: skip
                )
                entries.append(
                    ProgressEntry(
                        task=task,
                        date=task.actual_end,
                        progress=100,
                        note="已完成并通过自检",
                        by=engineer,
                        hours=Decimal(12),
                    )  # fmt: skip
                )
            else:
                blocked = task.status == TaskStatus.BLOCKED
                entries.append(
                    ProgressEntry(
                        task=task,
                        date=min(task.actual_start, today),
                        progress=task.progress,
                        note="变更已部署到测试环境",
                        blockers="等待客户确认停机窗口" if blocked else "",
                        next_step="与客户约定上线时间",
                        hours=task.hours_spent,
                        by=engineer,
                    )
                )
    ProgressEntry.objects.bulk_create(entries)
