"""Chapter 4's section of My work (provided as ``mywork_tasks_due``): the user's open implementation
tasks, the earliest planned end first. Two queries (the rows and their count), whatever the number."""

from django.urls import reverse
from django.utils import timezone

from .models import Task, TaskStatus
from .selectors import VIEW_PERMISSION


def tasks_due_for(*, user, limit: int) -> dict | None:
    """Open tasks owned by `user` (overdue ones first, then by planned end); None without the chapter's
    view permission. Served by the owner foreign key's index."""
    if not user.has_perm(VIEW_PERMISSION):
        return None
    today = timezone.localdate()
    tasks = Task.objects.filter(owner=user, status__in=TaskStatus.open())
    rows = [
        {
            "title": task.name,
            "ticket": task.ticket.number,
            "url": reverse("tracking:plan", args=[task.ticket.number]),
            "due": task.planned_end,
            "overdue": task.planned_end < today,
            "note": f"{task.get_status_display()} · {task.progress}%",
        }
        for task in tasks.select_related("ticket").order_by("planned_end", "id")[:limit]
    ]
    return {"rows": rows, "total": tasks.count(), "url": reverse("tracking:overview")}
