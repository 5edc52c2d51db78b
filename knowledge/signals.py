"""Keep tickets' search documents in step with the tickets (the core app does not know about search)."""

from django.db.models.signals import post_save
from django.dispatch import receiver

from toolkit.models import Ticket

from . import services

INDEXED_FIELDS = {"description", "error_message", "stage"}


@receiver(post_save, sender=Ticket, dispatch_uid="knowledge_ticket_index")
def index_ticket_on_save(sender, instance, created, update_fields=None, raw=False, **kwargs):
    # Fixture loading (raw) writes rows as they are; rebuild_search_index covers them.
    if raw:
        return
    if created or update_fields is None or INDEXED_FIELDS & set(update_fields):
        services.ticket_index(ticket=instance)
