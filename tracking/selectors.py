"""Reads for chapter 4. The variance arithmetic itself is in ``tracking.variance``; here it is applied to
rows loaded once, so the page, the panel and the exports agree."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import (
    Avg,
    BooleanField,
    Case,
    Count,
    DecimalField,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from toolkit import chapters
from toolkit.choices import SlaTargetKind, Stage
from toolkit.models import Ticket, TicketSla

from .models import ProgressEntry, Task, TaskStatus
from .variance import PlanVariance, dates_of, plan_variance

VIEW_PERMISSION = "tracking.view_task"
WEEK_RE = re.compile(r"^(?P<year>\d{4})-W(?P<week>\d{2})$")


def tasks_of(ticket: Ticket) -> QuerySet[Task]:
    """The ticket's plan in order, with owner and predecessor."""
    return (
        Task.objects.filter(ticket=ticket).select_related("owner", "predecessor").order_by("position", "id")
    )


def tasks_with_log(ticket: Ticket) -> QuerySet[Task]:
    """The plan with each task's progress log, newest first (two queries)."""
    return tasks_of(ticket).prefetch_related(
        Prefetch(
            "progress_entries",
            queryset=ProgressEntry.objects.select_related("by").order_by("-date", "-id"),
        )
    )


@dataclass
class TaskRow:
    task: Task
    variance: int  # days: + behind, − ahead
    forecast_end: date


@dataclass
class Plan:
    rows: list[TaskRow]
    summary: PlanVariance
    today: date

    @property
    def done_count(self) -> int:
        return sum(row.task.is_done for row in self.rows)

    @property
    def overdue_count(self) -> int:
        return sum(not row.task.is_done and row.task.planned_end < self.today for row in self.rows)

    @property
    def all_done(self) -> bool:
        return bool(self.rows) and self.done_count == len(self.rows)


def plan_from(tasks: list[Task], *, today: date | None = None) -> Plan:
    """Variance of each task and of the plan, from tasks already loaded: no query."""
    today = today or timezone.localdate()
    summary = plan_variance([dates_of(task) for task in tasks], today=today)
    rows = [
        TaskRow(
            task=task,
            variance=summary.task_variances[task.pk],
            forecast_end=summary.forecast_ends[task.pk],
        )
        for task in tasks
    ]
    return Plan(rows=rows, summary=summary, today=today)


def approved_option(ticket: Ticket):
    """The chosen option of the ticket's approved solution design (chapter 3, through the registry), or
    None: what a plan is generated from."""
    return chapters.provided("approved_option")(ticket)


def with_hours_spent(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """This chapter's share of the per-ticket results: ``ev_hours``, Σ hours spent on the tasks (None
    without tasks)."""
    hours = (
        Task.objects.filter(ticket=OuterRef("pk"))
        .order_by()
        .values("ticket")
        .annotate(total=Sum("hours_spent"))
        .values("total")
    )
    return queryset.annotate(
        ev_hours=Subquery(hours, output_field=DecimalField(max_digits=10, decimal_places=1))
    )


def tracking_panel(ticket: Ticket) -> Plan:
    """What the ticket detail page shows of chapter 4: one query (the tasks), arithmetic in memory."""
    return plan_from(
        list(
            Task.objects.filter(ticket=ticket)
            .only(
                "pk",
                "ticket_id",
                "kind",
                "name",
                "planned_start",
                "planned_end",
                "actual_start",
                "actual_end",
                "progress",
                "status",
                "predecessor_id",
            )
            .order_by("position", "id")
        )
    )


def parse_week(value: str | None, *, today: date | None = None) -> tuple[date, date]:
    """``YYYY-Www`` (ISO week) → (Monday, Sunday); empty → this week. Raises ValueError when malformed."""
    if not value:
        monday = (today or timezone.localdate()) - timedelta(days=(today or timezone.localdate()).weekday())
        return monday, monday + timedelta(days=6)
    match = WEEK_RE.match(value.strip())
    if not match:
        raise ValueError(value)
    monday = date.fromisocalendar(int(match["year"]), int(match["week"]), 1)  # ValueError for week 54
    return monday, monday + timedelta(days=6)


def week_label(monday: date) -> str:
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def weekly_tasks(*, monday: date, sunday: date) -> QuerySet[Task]:
    """Every task of every ticket in implementation, with that week's progress entries (two queries)."""
    return (
        Task.objects.filter(ticket__stage=Stage.IMPLEMENTATION)
        .select_related("ticket", "ticket__customer", "owner")
        .prefetch_related(
            Prefetch(
                "progress_entries",
                queryset=ProgressEntry.objects.filter(date__range=(monday, sunday)).order_by("date", "id"),
                to_attr="entries",
            )
        )
        .order_by("ticket__number", "position", "id")
    )


def ticket_tasks_for_export(ticket: Ticket) -> QuerySet[Task]:
    """One ticket's tasks with their whole log, oldest first (two queries)."""
    return (
        Task.objects.filter(ticket=ticket)
        .select_related("ticket", "ticket__customer", "owner")
        .prefetch_related(
            Prefetch(
                "progress_entries", queryset=ProgressEntry.objects.order_by("date", "id"), to_attr="entries"
            )
        )
        .order_by("position", "id")
    )


def tickets_in_implementation() -> QuerySet[Ticket]:
    """The overview page: every ticket in implementation with its plan's counts, in one query.

    Rows carry ``task_count``, ``done_count``, ``overdue_count``, ``plan_end``, ``avg_progress``, the
    running resolution target's ``resolution_due`` (None when met, paused or missing) and
    ``plan_after_due``: the plan's last planned day falls after the day the resolution is due.
    """
    today = timezone.localdate()
    open_tasks = ~Q(implementation_tasks__status=TaskStatus.DONE)
    # Served by TicketSla's unique (ticket, target) constraint.
    resolution_due = TicketSla.objects.filter(
        ticket=OuterRef("pk"), target=SlaTargetKind.RESOLUTION, met_at__isnull=True
    ).values("due_at")[:1]
    return (
        Ticket.objects.filter(stage=Stage.IMPLEMENTATION)
        .select_related("customer", "owner")
        .annotate(
            resolution_due=Subquery(resolution_due),
            # The due day in the team's time zone: a task planned to end that day ends on time.
            resolution_due_day=TruncDate("resolution_due", tzinfo=timezone.get_current_timezone()),
        )
        .annotate(
            task_count=Count("implementation_tasks"),
            done_count=Count("implementation_tasks", filter=Q(implementation_tasks__status=TaskStatus.DONE)),
            overdue_count=Count(
                "implementation_tasks", filter=open_tasks & Q(implementation_tasks__planned_end__lt=today)
            ),
            plan_end=Max("implementation_tasks__planned_end"),
            avg_progress=Avg("implementation_tasks__progress"),
        )
        .annotate(
            plan_after_due=Case(
                When(plan_end__gt=F("resolution_due_day"), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
        .order_by("-overdue_count", "plan_end", "number")
    )
