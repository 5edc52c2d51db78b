"""Overdue implementation tasks, reminded from the periodic SLA task (toolkit.chapters).

Once per task per local day (the team's time zone, Asia/Shanghai by default), the owner of a task that is
not done and whose planned end has passed gets an in-app notification. Only tickets still in
implementation are considered.

Exactly once under concurrent scans: a scan claims its tasks with one conditional UPDATE that sets
``overdue_reminded_on`` to today and ``overdue_claim`` to a token of its own, only on rows not yet
reminded today. The database serialises the two UPDATEs on the same rows, and the second finds the
condition false, so each row carries exactly one scan's token; each scan then reads back the rows with
its token and creates their notifications, in the same transaction as the claim (a failure releases
the claim). Four queries per scan whatever the number of tasks.

Level: ``breached`` for a missed milestone or a task three or more days overdue, ``at_risk`` otherwise.
"""

import uuid

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import ngettext

from toolkit import languages
from toolkit.choices import SlaState, Stage
from toolkit.models import Notification

from .models import Task, TaskKind, TaskStatus

BREACH_AFTER_DAYS = 3
MESSAGE_MAX = Notification._meta.get_field("message").max_length


def overdue_level(task: Task, days_overdue: int) -> str:
    if task.kind == TaskKind.MILESTONE or days_overdue >= BREACH_AFTER_DAYS:
        return SlaState.BREACHED
    return SlaState.AT_RISK


def overdue_message(task: Task, days_overdue: int) -> str:
    """In the active language; the scan renders it in the task owner's (toolkit.languages)."""
    return (
        ngettext(
            "Task “%(task)s” of %(number)s is %(days)d day overdue (planned end %(date)s).",
            "Task “%(task)s” of %(number)s is %(days)d days overdue (planned end %(date)s).",
            days_overdue,
        )
        % {
            "task": task.name[:120],
            "number": task.ticket.number,
            "days": days_overdue,
            "date": task.planned_end.isoformat(),
        }
    )[:MESSAGE_MAX]


def _due(today):
    return (
        Task.objects.filter(planned_end__lt=today, ticket__stage=Stage.IMPLEMENTATION)
        .exclude(status=TaskStatus.DONE)
        .filter(Q(overdue_reminded_on__isnull=True) | Q(overdue_reminded_on__lt=today))
    )


def _claim(ids: list[int], *, today, token) -> int:
    """Mark these tasks reminded today for this scan, unless another scan already did.

    Only the task's own columns in the WHERE: PostgreSQL re-checks them on a row another transaction
    just updated (a join or subquery would be judged on the old snapshot and claim the row twice).
    """
    return (
        Task.objects.filter(pk__in=ids)
        .exclude(status=TaskStatus.DONE)
        .filter(Q(overdue_reminded_on__isnull=True) | Q(overdue_reminded_on__lt=today))
        .update(overdue_reminded_on=today, overdue_claim=token)
    )


def overdue_tasks_scan(*, now) -> int:
    """Record one in-app reminder per overdue task and day; return how many were recorded."""
    today = timezone.localdate(now)
    token = uuid.uuid4()
    with transaction.atomic():
        ids = list(_due(today).order_by("pk").values_list("pk", flat=True))
        if not ids:
            return 0
        if not _claim(ids, today=today, token=token):
            return 0
        claimed = Task.objects.filter(pk__in=ids, overdue_claim=token)
        tasks = list(claimed.select_related("ticket", "owner").order_by("pk"))
        notifications = []
        for task in tasks:
            days_overdue = (today - task.planned_end).days
            with languages.writing_to(task.owner):
                message = overdue_message(task, days_overdue)
            notifications.append(
                Notification(
                    user_id=task.owner_id,
                    ticket_id=task.ticket_id,
                    level=overdue_level(task, days_overdue),
                    message=message,
                    created_at=now,
                )
            )
        Notification.objects.bulk_create(notifications)
    return len(notifications)
