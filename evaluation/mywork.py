"""Chapter 5's section of My work (provided as ``mywork_followups``): the follow-up visits (回访)
assigned to the user and not yet done, the earliest due first. Two queries, whatever the number."""

from django.urls import reverse
from django.utils import timezone

from .models import FollowUp

VIEW_PERMISSION = "evaluation.view_followup"


def followups_for(*, user, limit: int) -> dict | None:
    """Open follow-ups assigned to `user`; None without the permission to see follow-ups."""
    if not user.has_perm(VIEW_PERMISSION):
        return None
    now = timezone.now()
    visits = FollowUp.objects.filter(assignee=user, done_at__isnull=True)
    rows = [
        {
            "title": visit.ticket.customer.name,
            "ticket": visit.ticket.number,
            "url": reverse("evaluation:page", args=[visit.ticket.number]),
            "due": visit.due_at,
            "overdue": visit.due_at < now,
            "note": "",
        }
        for visit in visits.select_related("ticket__customer").order_by("due_at", "id")[:limit]
    ]
    # No list of follow-ups across tickets: each row opens its ticket's evaluation page.
    return {"rows": rows, "total": visits.count(), "url": ""}
