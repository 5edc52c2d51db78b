"""The contact-detail view log: who saw which ticket's contact details unmasked, and where.

Exports are logged separately (ExportLog, one row per export). Both logs are append-only.
"""

from django.db import transaction
from django.utils import timezone

from .models import ContactDetailView
from .privacy import can_see_contact_details

# What this process knows is already in this hour's view log, so that a reload writes nothing (each
# write is a commit the page waits for). Kept in the process rather than in the shared cache: a page
# then needs no round trip to Redis (nor the client library's memory in every web worker), and what
# another process does not know costs at most one INSERT that the unique constraint turns into a no-op.
_RECENT_VIEWS_MAX = 50_000
_recent_views: set[tuple] = set()
_recent_views_hour = None


def forget_recent_views() -> None:
    """Empty this process's memory of logged views (tests: ids repeat from one database to the next)."""
    global _recent_views_hour
    _recent_views.clear()
    _recent_views_hour = None


def _remember(hour, keys: list[tuple]) -> None:
    global _recent_views_hour
    if hour != _recent_views_hour or len(_recent_views) + len(keys) > _RECENT_VIEWS_MAX:
        _recent_views.clear()
        _recent_views_hour = hour
    _recent_views.update(keys)


def contact_details_viewed(*, user, tickets, surface: str) -> list:
    """Record that `user` was shown the contact details of those `tickets` they may see unmasked.

    Returns the tickets shown unmasked. One INSERT for any number of tickets; a second view by the same
    user of the same ticket on the same surface within the hour adds nothing (the unique constraint
    turns it into a no-op), so reloads do not flood the log; and a reload this process has already
    logged does not even write.
    """
    unmasked = [ticket for ticket in tickets if can_see_contact_details(user, ticket)]
    if not unmasked or user.pk is None:
        return unmasked
    now = timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    known = _recent_views if hour == _recent_views_hour else ()
    fresh = [ticket for ticket in unmasked if (user.pk, surface, ticket.pk) not in known]
    if not fresh:
        return unmasked
    ContactDetailView.objects.bulk_create(
        [
            ContactDetailView(user=user, ticket=ticket, surface=surface, viewed_at=now, hour=hour)
            for ticket in fresh
        ],
        ignore_conflicts=True,
    )
    # Remembered only once the rows are committed: a rolled-back request must not hide a later view.
    keys = [(user.pk, surface, ticket.pk) for ticket in fresh]
    transaction.on_commit(lambda: _remember(hour, keys))
    return unmasked
