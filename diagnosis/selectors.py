"""Reads for chapter 1. The same list selector feeds the table page and the Excel export."""

import re
from collections import Counter
from dataclasses import dataclass
from typing import cast

from django.db.models import Field, Q
from django.utils.functional import Promise

from toolkit.choices import SlaTargetKind
from toolkit.models import BusinessCalendar, Ticket, TicketSla
from toolkit.privacy import free_text_for

from .filters import TicketFilter

# What the document writes when there is no error message; never a reason to call tickets similar.
NO_ERROR_PLACEHOLDERS = {"", "无", "none", "n/a", "-", "没有"}
SIMILAR_LIMIT = 5
_SEGMENT = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9_]{3,}")


def ticket_list(*, data) -> TicketFilter:
    """The FilterSet for the table's query string; `.qs` holds the rows, `.errors` any bad parameter."""
    return TicketFilter(data=data, queryset=Ticket.objects.with_list_relations())


def ticket_slas(ticket: Ticket) -> list[TicketSla]:
    """The ticket's SLA targets in one query, first response before resolution."""
    order = {kind: index for index, kind in enumerate(SlaTargetKind.values)}
    return sorted(ticket.slas.all(), key=lambda sla: order.get(sla.target, len(order)))


def working_day_minutes() -> int:
    """Length of the team's working day in minutes (default 09:00–18:00 = 540), to read business-hours
    targets as working days. One query; no row yet means the defaults."""
    hours = BusinessCalendar.objects.filter(pk=1).values_list("work_start", "work_end").first()
    if hours is None:
        return 9 * 60
    start, end = hours
    return max(1, (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute))


def _text_keys(text: str, limit: int = 8) -> list[str]:
    """A few search keys from free text: Chinese character pairs and whole Latin words/codes."""
    keys: list[str] = []
    for segment in _SEGMENT.findall(text or ""):
        if segment.isascii():
            keys.append(segment)
        else:
            keys.extend(segment[i : i + 2] for i in range(0, max(len(segment) - 1, 1), 2))
    return list(dict.fromkeys(keys))[:limit]


def _bigrams(text: str) -> set[str]:
    compact = re.sub(r"\s+", "", (text or "").lower())
    return {compact[i : i + 2] for i in range(len(compact) - 1)}


@dataclass
class SimilarTicket:
    ticket: Ticket
    score: float
    same_customer: bool
    same_error: bool


def similar_open_tickets(
    *, description: str = "", error_message: str = "", customer_name: str = "", exclude_pk=None
) -> list[SimilarTicket]:
    """Open tickets that look like the one being typed: same customer, same error, or shared text.

    Candidates come from indexed or bounded queries (the newest 50); ranking by character
    bigram overlap happens on that small set only.
    """
    error = (error_message or "").strip()
    conditions = Q()
    if customer_name.strip():
        conditions |= Q(customer__name=customer_name.strip())
    if error.lower() not in NO_ERROR_PLACEHOLDERS:
        conditions |= Q(error_message=error)
    for key in _text_keys(description):
        conditions |= Q(description__icontains=key)
    if not conditions:
        return []
    candidates = Ticket.objects.open().with_list_relations().filter(conditions)
    if exclude_pk:
        candidates = candidates.exclude(pk=exclude_pk)
    candidates = candidates.order_by("-recorded_at", "-id")[:50]

    typed = _bigrams(description)
    results = []
    for ticket in candidates:
        theirs = _bigrams(ticket.description)
        text_score = len(typed & theirs) / len(typed | theirs) if typed and theirs else 0.0
        same_customer = bool(customer_name.strip()) and ticket.customer.name == customer_name.strip()
        same_error = error.lower() not in NO_ERROR_PLACEHOLDERS and ticket.error_message == error
        score = text_score + (0.5 if same_error else 0) + (0.3 if same_customer else 0)
        if score >= 0.15:
            results.append(SimilarTicket(ticket, round(score, 3), same_customer, same_error))
    results.sort(key=lambda item: item.score, reverse=True)
    return results[:SIMILAR_LIMIT]


# Fields compared across the tickets grouped under one incident.
COMPARED_FIELDS = [
    "customer",
    "source",
    "problem_type",
    "priority",
    "error_message",
    "impact_scope",
    "frequency",
    "preliminary_judgement",
    "owner",
]


@dataclass
class FieldComparison:
    label: str | Promise  # the field's verbose name, translated when shown
    shared: str | None
    values: list[tuple[str, int]]


def _display(ticket: Ticket, field_name: str, viewer=None) -> str:
    field = cast(Field, Ticket._meta.get_field(field_name))
    if field.choices:
        return getattr(ticket, f"get_{field_name}_display")()
    value = getattr(ticket, field_name)
    if isinstance(value, str) and value:
        return free_text_for(viewer, ticket, value)
    return str(value) if value not in (None, "") else "—"


def incident_children(parent: Ticket):
    return parent.children.with_list_relations().order_by("recorded_at", "id")


def incident_comparison(children, viewer=None) -> list[FieldComparison]:
    """What the grouped tickets share (one value) and how they differ (each value with its count).

    Phones and e-mails in the texts are masked for a viewer who may not see that ticket's contact data.
    """
    rows = []
    for name in COMPARED_FIELDS:
        counts = Counter(_display(ticket, name, viewer) for ticket in children)
        label = cast(Field, Ticket._meta.get_field(name)).verbose_name
        shared = next(iter(counts)) if len(counts) == 1 else None
        rows.append(FieldComparison(label=label, shared=shared, values=counts.most_common()))
    return rows
