"""Writes for chapter 4. Each write validates the whole task (dates, progress, predecessor) before saving,
so a refused change saves nothing.

Rules enforced here (and shown as form errors by the views):
- planned end ≥ planned start; actual end ≥ actual start, and no actual end without an actual start;
  actual dates are not in the future;
  a milestone is one day (its planned start is set to its planned end);
- progress 0–100; a task marked done is at 100 % with an actual end (today if not given), and a task at
  100 % is done;
- the predecessor is another task of the same ticket, never the task itself or one that (through its
  own predecessors) depends on it: no cycles;
- a task starts on or after its predecessor's planned end, unless ``overlap_allowed`` is ticked;
- logging progress updates the task: the first entry sets the actual start, 100 % marks it done with the
  entry's date as actual end, blockers mark it blocked, an entry after the planned end marks it delayed;
- the plan is generated once, from the approved solution option, while the ticket has no tasks;
- the ticket moves on to Evaluation only when every task is done.
"""

import re
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from toolkit.choices import Stage
from toolkit.history import delete_with_history, save_with_history
from toolkit.models import Ticket
from toolkit.services import ticket_change_stage

from .models import PROGRESS_MAX, ProgressEntry, Task, TaskKind, TaskStatus
from .selectors import approved_option

TASK_FIELDS = (
    "kind",
    "name",
    "owner",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "progress",
    "status",
    "predecessor",
    "overlap_allowed",
    "deliverable",
    "hours_spent",
)
NAME_MAX = Task._meta.get_field("name").max_length
# "1. ", "2、", "(3)", "- ", "• " at the start of a line of the approach: list markers, not task names.
LIST_MARKER_RE = re.compile(r"^\s*(?:[-*•·]|[(（]?\d+[.、)）]|[(（]\d+[)）])\s*")


def _cycle_through(task: Task, predecessor: Task) -> bool:
    """Would making ``predecessor`` the task's predecessor close a loop? One query: the ticket's links."""
    if task.pk is None:
        return False
    links = dict(Task.objects.filter(ticket_id=task.ticket_id).values_list("pk", "predecessor_id"))
    current: int | None = predecessor.pk
    seen: set[int] = set()
    while current is not None and current not in seen:
        if current == task.pk:
            return True
        seen.add(current)
        current = links.get(current)
    return False


def _normalise(task: Task, *, today: date) -> None:
    if task.kind == TaskKind.MILESTONE and task.planned_end:
        task.planned_start = task.planned_end
    if task.status == TaskStatus.DONE:
        task.progress = PROGRESS_MAX
        task.actual_end = task.actual_end or today
        task.actual_start = task.actual_start or min(task.actual_end, today)
    elif task.progress == PROGRESS_MAX:
        task.status = TaskStatus.DONE
        task.actual_end = task.actual_end or today
        task.actual_start = task.actual_start or task.actual_end
    elif task.progress and task.status == TaskStatus.NOT_STARTED:
        task.status = TaskStatus.IN_PROGRESS
    if task.status != TaskStatus.NOT_STARTED and task.actual_start is None and task.progress:
        task.actual_start = today


def validate_task(task: Task) -> None:
    """Every rule of a task that needs no form (see the module docstring). Raises a field-keyed error."""
    errors: dict[str, list] = {}

    def add(field, message):
        errors.setdefault(field, []).append(message)

    if task.planned_start and task.planned_end and task.planned_end < task.planned_start:
        add("planned_end", _("The planned end cannot be before the planned start."))
    if task.actual_end and not task.actual_start:
        add("actual_start", _("Give the actual start of a task that has an actual end."))
    if task.actual_start and task.actual_end and task.actual_end < task.actual_start:
        add("actual_end", _("The actual end cannot be before the actual start."))
    for name in ("actual_start", "actual_end"):
        if getattr(task, name) and getattr(task, name) > timezone.localdate():
            add(name, _("An actual date cannot be in the future."))
    if task.progress is None or not 0 <= task.progress <= PROGRESS_MAX:
        add("progress", _("Progress is a percentage from 0 to 100."))
    if task.hours_spent is not None and task.hours_spent < 0:
        add("hours_spent", _("Hours spent cannot be negative."))
    predecessor = task.predecessor
    if predecessor is not None:
        if predecessor.ticket_id != task.ticket_id:
            add("predecessor", _("The predecessor must be a task of the same ticket."))
        elif task.pk is not None and predecessor.pk == task.pk:
            add("predecessor", _("A task cannot be its own predecessor."))
        elif _cycle_through(task, predecessor):
            add(
                "predecessor",
                _("“%(predecessor)s” already depends on this task: the plan would go round in a circle.")
                % {"predecessor": predecessor.name},
            )
        elif task.planned_start and not task.overlap_allowed and task.planned_start < predecessor.planned_end:
            add(
                "planned_start",
                _(
                    "The task cannot start before its predecessor “%(predecessor)s” is planned to end "
                    "(%(date)s), unless overlapping is allowed."
                )
                % {"predecessor": predecessor.name, "date": predecessor.planned_end.isoformat()},
            )
    if errors:
        raise ValidationError(errors)


def _today() -> date:
    return timezone.localdate()


@transaction.atomic
def task_create(*, ticket: Ticket, by, today: date | None = None, **fields) -> Task:
    """Add a task or milestone at the end of the ticket's plan."""
    position = (Task.objects.filter(ticket=ticket).aggregate(last=Max("position"))["last"] or 0) + 1
    task = Task(ticket=ticket, position=position, **fields)
    _normalise(task, today=today or _today())
    validate_task(task)
    return save_with_history(task, by=by, reason="created")


@transaction.atomic
def task_update(*, task: Task, by, today: date | None = None, **changes) -> Task:
    """Change a task's fields; everything is validated before anything is saved."""
    task = Task.objects.select_for_update(of=("self",)).select_related("predecessor").get(pk=task.pk)
    for name, value in changes.items():
        if name not in TASK_FIELDS:
            raise ValueError(f"{name} cannot be changed here")
        setattr(task, name, value)
    _normalise(task, today=today or _today())
    validate_task(task)
    return save_with_history(task, by=by, reason="updated")


@transaction.atomic
def task_delete(*, task: Task, by) -> None:
    """Delete a task; its successors lose their predecessor (they stay in the plan)."""
    delete_with_history(task, by=by)


@transaction.atomic
def progress_log(
    *,
    task: Task,
    by,
    date: date,
    progress: int,
    note: str = "",
    blockers: str = "",
    next_step: str = "",
    hours: Decimal = Decimal(0),
) -> ProgressEntry:
    """Record a dated update and bring the task up to date (see the module docstring)."""
    task = Task.objects.select_for_update().get(pk=task.pk)
    if progress is None or not 0 <= progress <= PROGRESS_MAX:
        raise ValidationError({"progress": _("Progress is a percentage from 0 to 100.")})
    if hours is not None and hours < 0:
        raise ValidationError({"hours": _("Hours cannot be negative.")})
    if date > timezone.localdate():
        raise ValidationError({"date": _("Progress cannot be logged for a future date.")})
    if task.actual_start and date < task.actual_start:
        raise ValidationError(
            {
                "date": _("The task started on %(date)s: log progress from that day on.")
                % {"date": task.actual_start.isoformat()}
            }
        )
    entry = ProgressEntry.objects.create(
        task=task,
        date=date,
        progress=progress,
        note=note.strip(),
        blockers=blockers.strip(),
        next_step=next_step.strip(),
        hours=hours or Decimal(0),
        by=by,
    )
    task.progress = progress
    task.actual_start = task.actual_start or date
    task.hours_spent = task.hours_spent + entry.hours  # the row is locked above
    if progress == PROGRESS_MAX:
        task.status = TaskStatus.DONE
        task.actual_end = date
    else:
        task.actual_end = None
        if entry.blockers:
            task.status = TaskStatus.BLOCKED
        elif date > task.planned_end:
            task.status = TaskStatus.DELAYED
        else:
            task.status = TaskStatus.IN_PROGRESS
    save_with_history(task, by=by, reason="progress logged")
    return entry


def approach_steps(approach: str) -> list[str]:
    """The approach's non-empty lines without list markers, each cut to a task name's length."""
    steps = []
    for line in approach.splitlines():
        step = LIST_MARKER_RE.sub("", line).strip()
        if step:
            steps.append(step[:NAME_MAX])
    return steps


def lay_end_to_end(*, count: int, duration_days: int, start: date) -> list[tuple[date, date]]:
    """Split ``duration_days`` (≥ 1) into ``count`` consecutive inclusive spans from ``start``.

    Longer spans first when the days do not divide evenly; with fewer days than tasks, several tasks share
    a day. Each span starts on or after the previous one's end, so the chain respects its predecessors.
    """
    spans = []
    for index in range(count):
        first = index * duration_days // count
        last = max(first, (index + 1) * duration_days // count - 1)
        spans.append((start + timedelta(days=first), start + timedelta(days=last)))
    return spans


def can_generate(ticket: Ticket) -> bool:
    return approved_option(ticket) is not None and not Task.objects.filter(ticket=ticket).exists()


@transaction.atomic
def plan_generate(*, ticket: Ticket, by, today: date | None = None) -> list[Task]:
    """Tasks from the approved option: one per line of its approach, end to end over its duration from
    today, each following the previous one, then the milestone 客户验收 on the last day. Owner: the
    ticket's owner. Only once: a ticket with tasks keeps its plan.
    """
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    option = approved_option(ticket)
    if option is None:
        raise ValidationError(_("The plan is generated from the approved solution: none is approved yet."))
    if Task.objects.filter(ticket=ticket).exists():
        raise ValidationError(_("This ticket already has a plan: change its tasks instead."))
    today = today or _today()
    steps = approach_steps(option.approach) or [option.display_label]
    spans = lay_end_to_end(count=len(steps), duration_days=max(option.duration_days, 1), start=today)
    tasks, previous = [], None
    for position, (name, (start, end)) in enumerate(zip(steps, spans, strict=True), start=1):
        previous = save_with_history(
            Task(
                ticket=ticket,
                name=name,
                owner_id=ticket.owner_id,
                planned_start=start,
                planned_end=end,
                predecessor=previous,
                deliverable="",
                position=position,
            ),
            by=by,
            reason="generated",
        )
        tasks.append(previous)
    with translation.override(settings.LANGUAGE_CODE):
        milestone_name = _("Customer acceptance")
    last_day = spans[-1][1]
    tasks.append(
        save_with_history(
            Task(
                ticket=ticket,
                kind=TaskKind.MILESTONE,
                name=milestone_name,
                owner_id=ticket.owner_id,
                planned_start=last_day,
                planned_end=last_day,
                predecessor=previous,
                position=len(steps) + 1,
            ),
            by=by,
            reason="generated",
        )
    )
    return tasks


def can_complete(tasks: list[Task], ticket: Ticket) -> bool:
    return ticket.stage == Stage.IMPLEMENTATION and bool(tasks) and all(task.is_done for task in tasks)


@transaction.atomic
def plan_complete(*, ticket: Ticket, by) -> Ticket:
    """Move the ticket to Evaluation once every task is done, recorded in its stage history."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    tasks = list(Task.objects.filter(ticket=ticket))
    if ticket.stage != Stage.IMPLEMENTATION:
        raise ValidationError(
            _("Only a ticket in implementation can move on; this one is in “%(stage)s”.")
            % {"stage": Stage(ticket.stage).label}
        )
    if not tasks:
        raise ValidationError(_("The plan has no tasks yet."))
    open_count = sum(not task.is_done for task in tasks)
    if open_count:
        raise ValidationError(
            ngettext("%(count)d task is not done yet.", "%(count)d tasks are not done yet.", open_count)
            % {"count": open_count},
            code="open_tasks",
        )
    with translation.override(settings.LANGUAGE_CODE):
        reason = _("Implementation complete")
    ticket_change_stage(ticket=ticket, to_stage=Stage.EVALUATION, reason=reason, by=by, chapter_step=True)
    ticket.refresh_from_db()
    return ticket
