"""Reads of a ticket's conversation: the public thread, the merged timeline, the ticket a mail answers,
the canned replies a user may pick."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from toolkit.models import Contact, Ticket
from toolkit.privacy import can_see_contact_details, mask_contact_details, mask_free_text, mask_person_name

from .choices import MessageKind
from .models import CannedReply, Message

_MESSAGE_ID = re.compile(r"<[^<>\s]+>")
_TICKET_IN_SUBJECT = re.compile(r"\[(TS-\d{8}-\d{4,})\]")
# An address written among other contact details ("王女士 13800000000, wang@tsa.example.com").
_EMAIL_ADDRESS = re.compile(r"[^\s,;:<>()\[\]\"'，；：]+@[^\s,;:<>()\[\]\"'，；：]+")


def public_messages(ticket: Ticket) -> QuerySet[Message]:
    """Replies and the customer's messages, oldest first; never internal notes (the status page's thread)."""
    return (
        Message.objects.filter(ticket=ticket, kind__in=MessageKind.public())
        .select_related("author")
        .order_by("created_at", "id")
    )


def ticket_for_mail(*, subject: str, in_reply_to: str, references: str, sender: str) -> Ticket | None:
    """The ticket an incoming mail answers: a Message-ID we sent or received named in In-Reply-To or
    References (In-Reply-To first, then References newest first), else ``[TS-…]`` in the subject — but
    by the subject only when ``sender`` is known on that ticket (sender_known_on): ticket numbers are
    easy to guess, and a stranger's mail must not join, reopen or notify on someone else's ticket.
    Message-IDs are not guessable: whoever holds one was on the thread."""
    ids = _MESSAGE_ID.findall(in_reply_to or "") + list(reversed(_MESSAGE_ID.findall(references or "")))
    ids = list(dict.fromkeys(ids))[:50]
    if ids:
        # message_id <> '' matches the unique constraint's condition, so its partial index serves this.
        found = dict(
            Message.objects.filter(message_id__in=ids)
            .exclude(message_id="")
            .values_list("message_id", "ticket_id")
        )
        for message_id in ids:
            if message_id in found:
                return Ticket.objects.filter(pk=found[message_id]).first()
    match = _TICKET_IN_SUBJECT.search(subject or "")
    if match:
        ticket = Ticket.objects.select_related("contact").filter(number=match.group(1)).first()
        if ticket is not None and sender_known_on(ticket, sender):
            return ticket
    return None


def sender_known_on(ticket: Ticket, address: str) -> bool:
    """Whether mail from ``address`` may join ``ticket`` by its number: the address (case-insensitive)
    is the ticket's contact's, another contact's of the same customer, in the ticket's contact details,
    or the sender of one of the customer's earlier messages on it."""
    address = (address or "").strip().lower()
    if not address:
        return False
    in_details = {found.lower() for found in _EMAIL_ADDRESS.findall(ticket.contact_details or "")}
    if address == ticket.contact.email.lower() or address in in_details:
        return True
    if Contact.objects.filter(customer_id=ticket.customer_id, email__iexact=address).exists():
        return True
    return Message.objects.filter(
        ticket=ticket, kind=MessageKind.CUSTOMER, from_address__iexact=address
    ).exists()


@dataclass
class TimelineItem:
    """One entry of the ticket's timeline: a message (reply, note, customer) or a history entry."""

    at: datetime
    kind: str  # reply | note | customer | created | changed | stage | clarification
    who: str
    title: str
    text: str = ""
    details: list[tuple[str, str, str]] = field(default_factory=list)
    message: Message | None = None
    from_address: str = ""
    attachments: list[Any] = field(default_factory=list)

    @property
    def is_message(self) -> bool:
        return self.message is not None


def attachments_by_message(messages: list[Message]) -> dict[int, list[Any]]:
    """The messages' files in one query (attachments.selectors.attachments_for), by message id."""
    if not messages or not apps.is_installed("attachments"):
        return {}
    from attachments.selectors import attachments_for, target_key

    found = attachments_for(messages)
    if not found:
        return {}
    of = getattr(found, "of", None)  # a lookup that needs no content-type query, where offered
    return {message.pk: of(message) if of else found.get(target_key(message), []) for message in messages}


def _message_item(message: Message, *, masked: bool, files: list[Any]) -> TimelineItem:
    if message.kind == MessageKind.CUSTOMER:
        name = message.sender_name or message.ticket.contact.name
        who = mask_person_name(name) if masked else name
        address = mask_contact_details(message.from_address) if masked else message.from_address
    else:
        who = message.author.display_name if message.author else message.sender_name
        address = ""
    return TimelineItem(
        at=message.created_at,
        kind=message.kind,
        who=who,
        title=str(MessageKind(message.kind).label),
        text=mask_free_text(message.body) if masked else message.body,
        message=message,
        from_address=address,
        attachments=files,
    )


def timeline(ticket: Ticket, viewer, *, limit: int | None = None) -> list[TimelineItem]:
    """Replies, notes, the customer's messages, stage changes, clarifications and field changes, newest
    first (only the newest ``limit`` when given). A fixed number of queries however long the
    conversation: the messages, the shown messages' files, and the ticket's history
    (diagnosis.timeline). Contact data is masked for viewers who may not see it."""
    return timeline_page(ticket, viewer, limit=limit).items


@dataclass
class TimelinePage:
    items: list[TimelineItem]
    more: bool  # older entries exist beyond those shown


def timeline_page(ticket: Ticket, viewer, *, limit: int | None = None) -> TimelinePage:
    """The newest ``limit`` entries of timeline() (all when None), and whether there are older ones."""
    from diagnosis.timeline import ticket_timeline

    masked = viewer is None or not can_see_contact_details(viewer, ticket)
    own = Message.objects.filter(ticket=ticket).select_related("author")
    more_messages = False
    if limit is None:
        messages = list(own.order_by("created_at", "id"))
    else:
        # Only the newest `limit` can be shown: the page's cost stays the same however long the thread.
        # One more tells whether older ones exist, without a COUNT.
        messages = list(own.order_by("-created_at", "-id")[: limit + 1])[::-1]
        more_messages = len(messages) > limit
        messages = messages[1:] if more_messages else messages
    for message in messages:
        message.ticket = ticket  # the contact's name for customer messages, without a join per row
    items = [_message_item(message, masked=masked, files=[]) for message in messages]
    for entry in ticket_timeline(ticket, viewer=viewer):
        items.append(
            TimelineItem(
                at=entry.at,
                kind=entry.kind,
                who=entry.who,
                title=entry.title,
                text=entry.text,
                details=entry.details,
            )
        )
    # Stable: equal times keep the messages' own order (created_at, id), reversed.
    items.reverse()
    items.sort(key=lambda item: item.at, reverse=True)
    shown = items if limit is None else items[:limit]
    shown_messages = [item.message for item in shown if item.message is not None]
    files = attachments_by_message(shown_messages)
    for item in shown:
        if item.message is not None:
            item.attachments = files.get(item.message.pk, [])
    return TimelinePage(items=shown, more=more_messages or len(items) > len(shown))


def canned_replies_for(user) -> QuerySet[CannedReply]:
    """The canned replies ``user`` may use: shared ones, their own and their teams', by title."""
    return CannedReply.objects.usable_by(user).select_related("owner", "team").order_by("title", "id")
