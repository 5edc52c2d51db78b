"""The conversation and attachments apps, as the portal uses them, in one place.

Both are separate apps; the portal calls their services and selectors here and works without them
(no replies to show, no files to take) when one is not installed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q


def conversation_installed() -> bool:
    return apps.is_installed("conversation")


def attachments_installed() -> bool:
    return apps.is_installed("attachments")


def public_messages(ticket) -> list[Any]:
    """The ticket's replies to the customer and the customer's own messages, oldest first; never notes."""
    if not conversation_installed():
        return []
    from conversation.selectors import public_messages as select

    return list(select(ticket))


def is_customer_message(message) -> bool:
    from conversation.choices import MessageKind

    return message.kind == MessageKind.CUSTOMER


def customer_message_receive(*, ticket, body: str, from_address: str, sender_name: str, files: Sequence[Any]):
    """A message the customer added on the status page, into the ticket's conversation (with its files)."""
    from conversation.choices import MessageChannel
    from conversation.services import customer_message_receive as receive

    return receive(
        ticket=ticket,
        body=body,
        channel=MessageChannel.PORTAL,
        from_address=from_address,
        sender_name=sender_name,
        files=list(files),
    )


def attachments_add(*, ticket, files: Sequence[Any]) -> Any:
    """Files the customer sent with the report, on the ticket (ValidationError for a wrong type or size)."""
    from attachments.services import attachments_add as add

    return add(ticket=ticket, files=list(files), by=None, from_customer=True)


def files_of_messages(messages: Sequence[Any]) -> dict[int, list[Any]]:
    """The files of each message (deleted ones left out), by message id, in one query."""
    if not messages or not attachments_installed():
        return {}
    from attachments.selectors import attachments_for, target_key

    found = attachments_for(messages)
    return {
        message.pk: [file for file in found.get(target_key(message), []) if not file.is_deleted]
        for message in messages
    }


def customer_report_files(ticket) -> list[Any]:
    """The files the customer sent with the report: on the ticket itself, uploaded by the customer."""
    if not attachments_installed():
        return []
    from attachments.selectors import ticket_own_attachments

    return list(ticket_own_attachments(ticket).filter(uploaded_by_customer=True, deleted_at__isnull=True))


def public_attachment(*, ticket, pk: int) -> Any:
    """One of the ticket's files the customer may download, or None: a file they sent with the report,
    or one on a reply or on their own message. Never a file of an internal note or an engineer's file
    on the ticket itself."""
    if not attachments_installed():
        return None
    from attachments.models import Attachment

    own = Q(content_type__isnull=True, uploaded_by_customer=True)
    if conversation_installed():
        from conversation.choices import MessageKind
        from conversation.models import Message

        public_ids = Message.objects.filter(ticket=ticket, kind__in=MessageKind.public()).values("pk")
        own |= Q(content_type=ContentType.objects.get_for_model(Message), object_id__in=public_ids)
    return Attachment.objects.filter(own, pk=pk, ticket=ticket, deleted_at__isnull=True).first()


def attachment_response(attachment) -> Any:
    from attachments.views import attachment_response as respond

    return respond(attachment)
