"""The contact-detail view log: who saw which ticket's contact details unmasked, and where.

Exports are logged separately (ExportLog, one row per export). Both logs are append-only.
"""

import logging
from datetime import timedelta

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from .models import ContactDetailView
from .privacy import can_see_contact_details

logger = logging.getLogger(__name__)


def _seen_key(user_id: int, surface: str, hour, ticket_id: int) -> str:
    return f"toolkit:contact-view:{user_id}:{surface}:{hour:%Y%m%d%H}:{ticket_id}"


def contact_details_viewed(*, user, tickets, surface: str) -> list:
    """Record that `user` was shown the contact details of those `tickets` they may see unmasked.

    Returns the tickets shown unmasked. One INSERT for any number of tickets; a second view by the same
    user of the same ticket on the same surface within the hour adds nothing (the unique constraint
    turns it into a no-op), so reloads do not flood the log. The cache remembers what this hour's rows
    already hold, so a reload does not even write (each write is a commit the page waits for); the
    cache is only a shortcut — when it is empty or unreachable the INSERT runs and the constraint decides.
    """
    unmasked = [ticket for ticket in tickets if can_see_contact_details(user, ticket)]
    if not unmasked or user.pk is None:
        return unmasked
    now = timezone.now()
    hour = now.replace(minute=0, second=0, microsecond=0)
    keys = {ticket.pk: _seen_key(user.pk, surface, hour, ticket.pk) for ticket in unmasked}
    try:
        seen = cache.get_many(list(keys.values()))
    except Exception as error:  # noqa: BLE001 - any cache failure: write, as without a cache
        logger.warning("Contact-detail view log: cache unreachable, writing every row (%s)", error)
        seen = {}
    fresh = [ticket for ticket in unmasked if keys[ticket.pk] not in seen]
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
    until_next_hour = int((hour + timedelta(hours=1) - now).total_seconds()) + 60
    transaction.on_commit(lambda: _remember({keys[ticket.pk]: True for ticket in fresh}, until_next_hour))
    return unmasked


def _remember(entries: dict, timeout: int) -> None:
    try:
        cache.set_many(entries, timeout=timeout)
    except Exception as error:  # noqa: BLE001 - the next view writes again; the constraint keeps one row
        logger.warning("Contact-detail view log: cache unreachable (%s)", error)
