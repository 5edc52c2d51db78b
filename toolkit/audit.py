"""The contact-detail view log: who saw which ticket's contact details unmasked, and where.

Exports are logged separately (ExportLog, one row per export). Both logs are append-only.
"""

from django.utils import timezone

from .models import ContactDetailView
from .privacy import can_see_contact_details


def contact_details_viewed(*, user, tickets, surface: str) -> list:
    """Record that `user` was shown the contact details of those `tickets` they may see unmasked.

    Returns the tickets shown unmasked. One INSERT for any number of tickets; a second view by the same
    user of the same ticket on the same surface within the hour adds nothing (the unique constraint
    turns it into a no-op), so reloads do not flood the log.
    """
    unmasked = [ticket for ticket in tickets if can_see_contact_details(user, ticket)]
    if not unmasked or user.pk is None:
        return unmasked
    now = timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    ContactDetailView.objects.bulk_create(
        [
            ContactDetailView(user=user, ticket=ticket, surface=surface, viewed_at=now, hour=hour)
            for ticket in unmasked
        ],
        ignore_conflicts=True,
    )
    return unmasked
