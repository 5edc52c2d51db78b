"""Demo data for chapter 4 (seed_demo, after solutions.demo): an implementation plan for each ticket in
implementation or later, with progress logged. The steps are the approved option's approach (else the
ticket's scenario's option A); the plan runs from the day the ticket was logged to its resolution due
day, so it fits the SLA. Deterministic for a given ``now``; bulk inserts."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from toolkit.choices import SlaTargetKind, Stage
from toolkit.models import TicketSla

from .models import ProgressEntry, Task, TaskKind, TaskStatus
from .selectors import approved_option
from .services import approach_steps

PLANNED_STAGES = (Stage.IMPLEMENTATION, Stage.EVALUATION, Stage.CLOSED)
DEFAULT_STEPS = ["现场调研与环境确认", "实施变更", "联调测试", "上线与验证"]
STEP_DAYS = 3  # per step when the ticket has no resolution due time


def _steps(ticket, scenario) -> list[str]:
    option = approved_option(ticket)
    if option is not None and approach_steps(option.approach):
        return approach_steps(option.approach)
    if scenario is not None:
        return approach_steps(scenario.options[0].approach)
    return DEFAULT_STEPS


def _window(ticket, steps, *, today, finished: bool, due_at):
    """First and last planned day: from the day it was logged to its resolution due day; a finished
    plan ended by today, a running one goes on at least until today."""
    start = min(timezone.localdate(ticket.recorded_at), today)
    end = timezone.localdate(due_at) if due_at else start + timedelta(days=len(steps) * STEP_DAYS)
    end = max(end, start)
    return start, (min(end, today) if finished else max(end, today))


def _plan(ticket, steps, *, today, finished: bool, variant: int, due_at):
    start, end = _window(ticket, steps, today=today, finished=finished, due_at=due_at)
    span = (end - start).days
    bounds = [start + timedelta(days=span * index // len(steps)) for index in range(len(steps) + 1)]
    with translation.override(settings.LANGUAGE_CODE):
        acceptance = _("Customer acceptance")
    tasks = []
    for index, name in enumerate(steps):
        planned_start = bounds[index]
        planned_end = (
            end if index == len(steps) - 1 else max(planned_start, bounds[index + 1] - timedelta(days=1))
        )
        tasks.append(
            Task(
                ticket=ticket,
                name=name,
                owner_id=ticket.owner_id,
                planned_start=planned_start,
                planned_end=planned_end,
                position=index + 1,
                deliverable="实施记录" if index else "环境检查清单",
            )
        )
    tasks.append(
        Task(
            ticket=ticket,
            kind=TaskKind.MILESTONE,
            name=acceptance,
            owner_id=ticket.owner_id,
            planned_start=end,
            planned_end=end,
            position=len(tasks) + 1,
        )
    )
    working = False  # a running plan: the first task not done by today is in hand
    for index, task in enumerate(tasks):
        if finished or (task.planned_end < today and not task.is_milestone):
            # A task of several days is one day late now and then, so the demo shows variance; never
            # past the plan's last day (a finished plan) or today.
            several_days = task.planned_end > task.planned_start
            late = 1 if (index + variant) % 3 == 0 and several_days else 0
            task.status, task.progress = TaskStatus.DONE, 100
            task.actual_start = task.planned_start
            task.actual_end = min(task.planned_end + timedelta(days=late), end if finished else today)
            days = (task.actual_end - task.actual_start).days + 1
            task.hours_spent = Decimal(0) if task.is_milestone else Decimal(4 * days)
        elif not working and not task.is_milestone:
            working = True
            task.status = TaskStatus.BLOCKED if variant % 2 else TaskStatus.IN_PROGRESS
            task.progress = 40
            task.actual_start = min(task.planned_start, today)
            task.hours_spent = Decimal(6)
    return tasks


def _resolution_due(tickets) -> dict:
    rows = TicketSla.objects.filter(ticket__in=tickets, target=SlaTargetKind.RESOLUTION)
    return dict(rows.values_list("ticket_id", "due_at"))


def seed(*, tickets, users, now, scenarios=None) -> None:
    """`scenarios` maps a ticket id to its demo.scenarios.Scenario (a ticket without one gets
    DEFAULT_STEPS when it has no approved option)."""
    scenarios = scenarios or {}
    engineer = users["engineer"]
    today = timezone.localdate(now)
    planned = [
        ticket
        for ticket in tickets
        if ticket.stage in PLANNED_STAGES and not Task.objects.filter(ticket=ticket).exists()
    ]
    due = _resolution_due(planned)
    all_tasks = []
    for variant, ticket in enumerate(planned):
        all_tasks.append(
            _plan(
                ticket,
                _steps(ticket, scenarios.get(ticket.pk)),
                today=today,
                finished=ticket.stage != Stage.IMPLEMENTATION,
                variant=variant,
                due_at=due.get(ticket.pk),
            )
        )
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
    owners = {ticket.pk: ticket.owner or engineer for ticket in planned}
    entries = []
    for task in created:
        if not task.actual_start or task.is_milestone:
            continue
        by = owners[task.ticket_id]
        if task.is_done:
            entries.append(
                ProgressEntry(
                    task=task,
                    date=task.actual_start,
                    progress=50,
                    note="按计划推进",
                    by=by,
                    hours=task.hours_spent / 2,
                    next_step="完成剩余工作",
                )
            )
            entries.append(
                ProgressEntry(
                    task=task,
                    date=task.actual_end,
                    progress=100,
                    note="已完成并通过自检",
                    by=by,
                    hours=task.hours_spent / 2,
                )
            )
        else:
            blocked = task.status == TaskStatus.BLOCKED
            entries.append(
                ProgressEntry(
                    task=task,
                    date=task.actual_start,
                    progress=task.progress,
                    note="变更已部署到测试环境",
                    blockers="等待客户确认停机窗口" if blocked else "",
                    next_step="与客户约定上线时间",
                    hours=task.hours_spent,
                    by=by,
                )
            )
    ProgressEntry.objects.bulk_create(entries)
