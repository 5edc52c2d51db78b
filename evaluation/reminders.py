"""Follow-up visits (回访) that have come due, reminded from the periodic SLA task
(registered in toolkit.chapters)."""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from toolkit import languages
from toolkit.choices import SlaState
from toolkit.models import Notification

from .models import FollowUp


def follow_up_message(follow_up: FollowUp) -> str:
    local = timezone.localtime(follow_up.due_at)
    return _("Follow-up visit for %(number)s is due (%(due)s): call the customer and record the outcome.") % {
        "number": follow_up.ticket.number,
        "due": f"{local:%Y-%m-%d %H:%M}",
    }


def follow_up_scan(*, now) -> int:
    """Record one in-app reminder per follow-up visit that came due and is not done; return how many.

    Each follow-up is claimed by a conditional UPDATE of reminded_at, so a second scan running at the
    same time (or a retried one) never reminds it twice.
    """
    due = list(
        FollowUp.objects.filter(reminded_at__isnull=True, done_at__isnull=True, due_at__lte=now)
        .select_related("ticket", "assignee")
        .order_by("due_at", "id")
    )
    recorded = 0
    for follow_up in due:
        with transaction.atomic():
            claimed = FollowUp.objects.filter(
                pk=follow_up.pk, reminded_at__isnull=True, done_at__isnull=True
            ).update(reminded_at=now)
            if not claimed:
                continue
            with languages.writing_to(follow_up.assignee):
                message = follow_up_message(follow_up)[:300]
            Notification.objects.create(
                user_id=follow_up.assignee_id,
                ticket=follow_up.ticket,
                level=SlaState.AT_RISK,
                message=message,
                created_at=now,
            )
            recorded += 1
    return recorded
