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


class AttachmentsByTarget(dict[TargetKey, list[Attachment]]):
    """What attachments_for returns: a dict keyed by ``(content_type_id, object_id)``, plus ``of(obj)``,
    which finds an object's files without asking the content-type cache (a query when it is cold)."""

    def __init__(self) -> None:
        super().__init__()
        self.type_ids: dict[tuple[str, str], int] = {}

    def of(self, target: Any) -> list[Attachment]:
        type_id = self.type_ids.get(_model_key(target))
        return self.get((type_id, target.pk), []) if type_id is not None else []


def _model_key(target: Any) -> tuple[str, str]:
    meta = target._meta.concrete_model._meta
    return (meta.app_label, meta.model_name)


def attachments_for(targets: Iterable[Any]) -> AttachmentsByTarget:
    """Files of each object in ``targets`` (any models, mixed), deleted ones included, oldest first.

    Keyed by ``(content_type_id, object_id)`` (``target_key(obj)``), or looked up with ``.of(obj)``.
    One query whatever the number of objects (the content type is matched by its name in the same
    query), none for an empty list.
    """
    ids_by_model: dict[tuple[str, str], set[int]] = defaultdict(set)
    for target in targets:
        ids_by_model[_model_key(target)].add(target.pk)
    found = AttachmentsByTarget()
    if not ids_by_model:
        return found
    condition = Q()
    for (app_label, model), ids in ids_by_model.items():
        condition |= Q(
            content_type__app_label=app_label, content_type__model=model, object_id__in=sorted(ids)
        )
    for attachment in _with_people(Attachment.objects.filter(condition).select_related("content_type")):
        content_type = attachment.content_type
        if content_type is None or attachment.object_id is None:
            continue
        found.type_ids[(content_type.app_label, content_type.model)] = content_type.pk
        found.setdefault((content_type.pk, attachment.object_id), []).append(attachment)
    return found


def target_key(target: Any) -> TargetKey:
    return (ContentType.objects.get_for_model(target).pk, target.pk)


def ticket_attachments(ticket: Ticket) -> QuerySet[Attachment]:
    """Every file of the ticket, on the ticket itself and on anything on it, deleted ones included."""
    return _with_people(Attachment.objects.filter(ticket=ticket).select_related("content_type"))


def ticket_own_attachments(ticket: Ticket) -> QuerySet[Attachment]:
    """The files attached to the ticket itself (not to a clarification, message or entry on it)."""
    return ticket_attachments(ticket).filter(content_type__isnull=True)


def target_attachments(target: Any) -> list[Attachment]:
    """The files of one object (an article, a message …), deleted ones included; one query."""
    files = attachments_for([target]).of(target)
    for attachment in files:
        attachment.target = target  # known already: rules that ask for it need no query per file
    return files
