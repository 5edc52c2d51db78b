"""Reading attachments: for any list of objects in one query (timelines), and a ticket's files."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet

from toolkit.models import Ticket

from .models import Attachment

TargetKey = tuple[int, int]


def _with_people(queryset: QuerySet[Attachment]) -> QuerySet[Attachment]:
    return queryset.select_related("uploaded_by", "deleted_by")


def attachments_for(targets: Iterable[Any]) -> dict[TargetKey, list[Attachment]]:
    """Files of each object in ``targets`` (any models, mixed), deleted ones included, oldest first.

    Keyed by ``(content_type_id, object_id)``; one query whatever the number of objects (content types
    come from Django's cache), none for an empty list. Look a target up with ``target_key(obj)``.
    """
    ids_by_type: dict[int, set[int]] = defaultdict(set)
    for target in targets:
        ids_by_type[ContentType.objects.get_for_model(target).pk].add(target.pk)
    found: dict[TargetKey, list[Attachment]] = {}
    if not ids_by_type:
        return found
    condition = Q()
    for content_type_id, ids in ids_by_type.items():
        condition |= Q(content_type_id=content_type_id, object_id__in=sorted(ids))
    for attachment in _with_people(Attachment.objects.filter(condition)):
        key = (attachment.content_type_id or 0, attachment.object_id or 0)
        found.setdefault(key, []).append(attachment)
    return found


def target_key(target: Any) -> TargetKey:
    return (ContentType.objects.get_for_model(target).pk, target.pk)


def ticket_attachments(ticket: Ticket) -> QuerySet[Attachment]:
    """Every file of the ticket, on the ticket itself and on anything on it, deleted ones included."""
    return _with_people(Attachment.objects.filter(ticket=ticket).select_related("content_type"))


def ticket_own_attachments(ticket: Ticket) -> QuerySet[Attachment]:
    """The files attached to the ticket itself (not to a clarification, message or entry on it)."""
    return ticket_attachments(ticket).filter(content_type__isnull=True)
