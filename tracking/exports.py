"""Implementation progress as Excel, in the user's language, through toolkit.excel:

- the weekly progress report (实施周报) across every ticket in implementation, one row per task, with
  that ISO week's log (notes, the latest blockers and next step);
- one ticket's plan with its whole log.

Variance is as of the end of the reported week, or today if the week is not over.
"""

from datetime import date, timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from jobs.registry import Exporter, no_progress, register_exporter
from toolkit.excel import Column, ExportedFile, write_table
from toolkit.models import ExportLog, Ticket

from .models import Task, TaskKind, TaskStatus
from .selectors import ticket_tasks_for_export, week_label, weekly_tasks
from .variance import task_variance

EXPORT_PERMISSION = "toolkit.export_ticket"
WEEKLY_TITLE = gettext_lazy("Weekly Implementation Progress Report")
PLAN_TITLE = gettext_lazy("Implementation Plan")
# Their names in jobs.registry.
WEEKLY_EXPORT = "tracking.weekly"
PLAN_EXPORT = "tracking.plan"


def columns(*, log_header) -> list[Column]:
    return [
        Column("ticket", gettext_lazy("Ticket no."), 18),
        Column("customer", gettext_lazy("Customer"), 18),
        Column("task", gettext_lazy("Task"), 30),
        Column("kind", gettext_lazy("Kind"), 8),
        Column("owner", gettext_lazy("Owner"), 12),
        Column("planned_start", gettext_lazy("Planned start"), 12, "date"),
        Column("planned_end", gettext_lazy("Planned end"), 12, "date"),
        Column("actual_start", gettext_lazy("Actual start"), 12, "date"),
        Column("actual_end", gettext_lazy("Actual end"), 12, "date"),
        Column("progress", gettext_lazy("Progress (%)"), 10, "number"),
        Column("status", gettext_lazy("Status"), 10),
        Column("variance", gettext_lazy("Variance (days, + behind)"), 12, "number"),
        Column("hours", gettext_lazy("Hours spent"), 10, "number"),
        Column("notes", log_header, 40),
        Column("blockers", gettext_lazy("Blockers"), 30),
        Column("next_step", gettext_lazy("Next step"), 30),
    ]


def _labels(choices) -> dict[str, str]:
    return {value: str(label) for value, label in choices.choices}


def task_rows(tasks, *, as_of: date):
    """One row per task; ``task.entries`` holds the log to report, oldest first."""
    statuses, kinds = _labels(TaskStatus), _labels(TaskKind)
    for task in tasks:
        entries = task.entries
        notes = "\n".join(f"{entry.date:%m-%d} {entry.progress}% {entry.note}".strip() for entry in entries)
        blockers = next((entry.blockers for entry in reversed(entries) if entry.blockers), "")
        next_step = next((entry.next_step for entry in reversed(entries) if entry.next_step), "")
        yield [
            task.ticket.number,
            task.ticket.customer.name,
            task.name,
            kinds[task.kind],
            task.owner.display_name,
            task.planned_start,
            task.planned_end,
            task.actual_start,
            task.actual_end,
            task.progress,
            statuses[task.status],
            task_variance(
                planned_start=task.planned_start,
                planned_end=task.planned_end,
                actual_end=task.actual_end,
                progress=task.progress,
                done=task.is_done,
                today=as_of,
            ),
            task.hours_spent,
            notes,
            blockers,
            next_step,
        ]


def _log(*, user, table: str, query_string: str, row_count: int) -> None:
    ExportLog.objects.create(
        user=user,
        table=table,
        query_string=query_string,
        row_count=row_count,
        # No customer contact details in these tables.
        contact_details_masked=False,
    )


def _week(params) -> tuple[date, date]:
    monday = date.fromisoformat(params["monday"])
    return monday, monday + timedelta(days=6)


def weekly_count(params) -> int:
    monday, sunday = _week(params)
    return weekly_tasks(monday=monday, sunday=sunday).count()


def weekly_write(*, params, user, progress=no_progress) -> ExportedFile:
    """The weekly report of the ISO week starting ``params["monday"]`` (no log: see weekly_log)."""
    monday, sunday = _week(params)
    week = week_label(monday)
    title = _("%(table)s %(week)s (%(monday)s – %(sunday)s)") % {
        "table": WEEKLY_TITLE,
        "week": week,
        "monday": monday.isoformat(),
        "sunday": sunday.isoformat(),
    }
    filename = f"{_('weekly-implementation-report')}-{week}.xlsx"
    # In chunks, each with its week's log entries (a prefetch per chunk): memory stays flat.
    tasks = weekly_tasks(monday=monday, sunday=sunday).iterator(chunk_size=2000)
    rows = task_rows(tasks, as_of=min(timezone.localdate(), sunday))
    return write_table(
        title=title,
        columns=columns(log_header=gettext_lazy("Log this week")),
        rows=progress(rows),
        filename=filename,
    )


def weekly_log(*, params, user, row_count: int) -> None:
    _log(
        user=user,
        table="tracking_weekly",
        query_string=f"week={week_label(_week(params)[0])}",
        row_count=row_count,
    )


def _ticket(params) -> Ticket:
    ticket = Ticket.objects.filter(number=params["ticket"]).first()
    if ticket is None:
        raise LookupError(params["ticket"])
    return ticket


def plan_count(params) -> int:
    return Task.objects.filter(ticket=_ticket(params)).count()


def plan_write(*, params, user, progress=no_progress) -> ExportedFile:
    """One ticket's plan and its whole progress log (no log: see plan_log)."""
    ticket = _ticket(params)
    title = _("%(table)s %(number)s") % {"table": PLAN_TITLE, "number": ticket.number}
    filename = f"{_('implementation-plan')}-{ticket.number}-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    tasks = ticket_tasks_for_export(ticket).iterator(chunk_size=2000)
    rows = task_rows(tasks, as_of=timezone.localdate())
    return write_table(
        title=title,
        columns=columns(log_header=gettext_lazy("Progress log")),
        rows=progress(rows),
        filename=filename,
    )


def plan_log(*, params, user, row_count: int) -> None:
    _log(user=user, table="tracking", query_string=f"ticket={params['ticket']}", row_count=row_count)


def register() -> None:
    """Both exports, for the request or a background job above EXPORT_INLINE_MAX_ROWS (jobs.exports)."""
    register_exporter(
        WEEKLY_EXPORT,
        Exporter(
            label=WEEKLY_TITLE,
            count=weekly_count,
            write=weekly_write,
            log=weekly_log,
            back_url=lambda params: reverse("tracking:overview"),
        ),
    )
    register_exporter(
        PLAN_EXPORT,
        Exporter(
            label=PLAN_TITLE,
            count=plan_count,
            write=plan_write,
            log=plan_log,
            back_url=lambda params: reverse("tracking:plan", args=[params["ticket"]]),
        ),
    )


# Found by the jobs app when it starts (autodiscover_modules("exports") in jobs/apps.py).
register()
