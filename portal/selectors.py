"""Reads of the customer portal: what the status page shows, and the engineers' view of the links."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, FilteredRelation, OuterRef, Q, QuerySet

from toolkit.models import Customer, Ticket

from . import channels
from .models import ReportLink, StatusLink


@dataclass
class PublicMessage:
    """A message as the status page shows it: the text, when, whose side, its files. No names."""

    body: str
    at: datetime
    from_customer: bool
    files: list[Any]


@dataclass
class StatusPage:
    """Everything the customer's status page shows: nothing about other tickets, no notes, no history."""

    ticket: Ticket
    messages: list[PublicMessage]
    report_files: list[Any]
    can_write: bool  # the conversation app takes the customer's messages
    can_attach: bool


def status_page(link: StatusLink) -> StatusPage:
    """The status page of a link (three queries: messages, their files, the report's files)."""
    ticket = link.ticket
    messages = channels.public_messages(ticket)
    files = channels.files_of_messages(messages)
    return StatusPage(
        ticket=ticket,
        messages=[
            PublicMessage(
                body=message.body,
                at=message.created_at,
                from_customer=channels.is_customer_message(message),
                files=files.get(message.pk, []),
            )
            for message in messages
        ],
        report_files=channels.customer_report_files(ticket),
        can_write=channels.conversation_installed(),
        can_attach=channels.attachments_installed(),
    )


@dataclass
class TicketCard:
    status_link: StatusLink | None  # its created_at, last_used_at and created_by_id only
    has_report_link: bool  # the ticket's customer has a working report link
    from_report: bool


def ticket_card(ticket: Ticket) -> TicketCard:
    """The ticket page's portal card: its working status link and whether its customer has a working
    report link, in one query: the ticket's row joined to its working status link (there is at most one,
    portal_one_status_link) rather than a subquery per column, which cost more to build than to run."""
    fields = ("id", "created_at", "last_used_at", "created_by_id")
    row = (
        Ticket.objects.filter(pk=ticket.pk)
        .annotate(
            working_link=FilteredRelation("status_links", condition=Q(status_links__revoked_at__isnull=True)),
            has_report_link=Exists(
                ReportLink.objects.filter(customer_id=OuterRef("customer_id"), revoked_at__isnull=True)
            ),
        )
        .values(*(f"working_link__{name}" for name in fields), "has_report_link")
        .get()
    )
    status_link = None
    if row["working_link__id"] is not None:
        status_link = StatusLink(ticket=ticket, **{name: row[f"working_link__{name}"] for name in fields})
    return TicketCard(
        status_link=status_link,
        has_report_link=row["has_report_link"],
        from_report=status_link is not None and status_link.created_by_id is None,
    )


def report_links_of(customer: Customer) -> QuerySet[ReportLink]:
    """The customer's report links, newest first, with who made and revoked them and how many reports
    each brought."""
    return (
        ReportLink.objects.filter(customer=customer)
        .select_related("created_by", "revoked_by")
        .annotate(report_count=Count("reports"))
        .order_by("-created_at", "-id")
    )


def status_links_of(ticket: Ticket) -> QuerySet[StatusLink]:
    return (
        StatusLink.objects.filter(ticket=ticket)
        .select_related("created_by", "revoked_by")
        .order_by("-created_at", "-id")
    )


def public_attachment(ticket: Ticket, pk: int) -> Any:
    """A file of the ticket's public conversation (never one of an internal note), or None."""
    return channels.public_attachment(ticket=ticket, pk=pk)
