"""Reads for chapter 1. The same list selector feeds the table page and the Excel export."""

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from difflib import SequenceMatcher
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
# How many of the same customer's newest open tickets are checked for a duplicate.
SAME_CUSTOMER_LIMIT = 30
# Near-exact: at least this difflib ratio between the normalised texts, for texts up to this length.
NEAR_SAME_RATIO = 0.9
NEAR_SAME_MAX_CHARS = 2000
_NOT_WORD = re.compile(r"[\W_]+")
_NO_ERROR_NORMALISED = {"", "无", "none", "na", "没有"}
_SEGMENT = re.compile(r"[\u3400-\u9fff]+|[A-Za-z0-9_]{3,}")


def ticket_list(*, data, user=None) -> TicketFilter:
    """The FilterSet for the table's query string; `.qs` holds the rows, `.errors` any bad parameter.
    `user` is whom ``owner=me`` means (the signed-in user, or an export job's requester)."""
    return TicketFilter(data=data, queryset=Ticket.objects.with_list_relations(), user=user)


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


def normalise_text(text: str) -> str:
    """Case, spaces and punctuation (ASCII and full-width) removed: how two texts are compared as equal."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text or "").lower())


def is_placeholder_error(error: str) -> bool:
    return normalise_text(error) in _NO_ERROR_NORMALISED


def near_same_text(first: str, second: str) -> bool:
    """The same text give or take a few characters: equal once normalised, or (texts up to
    NEAR_SAME_MAX_CHARS) a difflib ratio of at least NEAR_SAME_RATIO."""
    a, b = normalise_text(first), normalise_text(second)
    if not a or not b:
        return False
    if a == b:
        return True
    if max(len(a), len(b)) > NEAR_SAME_MAX_CHARS:
        return False
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    return matcher.real_quick_ratio() >= NEAR_SAME_RATIO and matcher.ratio() >= NEAR_SAME_RATIO


@dataclass
class SimilarTicket:
    ticket: Ticket
    score: float
    same_customer: bool
    same_error: bool
    # The same customer with the same (or nearly the same) description or error: listed first.
    duplicate: bool = False


def similar_open_tickets(
    *, description: str = "", error_message: str = "", customer_name: str = "", exclude_pk=None
) -> list[SimilarTicket]:
    """Open tickets that look like the one being typed: same customer, same error, or shared text.

    An exact or near-exact duplicate from the same customer (near_same_text on the description, or the
    same error message) comes first whatever the description's length. Candidates come from indexed,
    bounded queries (the customer's newest SAME_CUSTOMER_LIMIT open tickets, and the newest 50 sharing
    the error or a text key); ranking happens on that small set only.
    """
    error = (error_message or "").strip()
    customer_name = (customer_name or "").strip()
    has_error = not is_placeholder_error(error)
    conditions = Q()
    if has_error:
        conditions |= Q(error_message=error)
    for key in _text_keys(description):
        conditions |= Q(description__icontains=key)
    open_tickets = Ticket.objects.open().with_list_relations()
    if exclude_pk:
        open_tickets = open_tickets.exclude(pk=exclude_pk)
    candidates: dict[int, Ticket] = {}
    if customer_name:
        # The customer's own open tickets first (index customer, -recorded_at): a duplicate is never
        # crowded out of the candidates by newer tickets of other customers sharing a common word.
        for ticket in open_tickets.filter(customer__name=customer_name).order_by("-recorded_at", "-id")[
            :SAME_CUSTOMER_LIMIT
        ]:
            candidates[ticket.pk] = ticket
    if conditions:
        for ticket in open_tickets.filter(conditions).order_by("-recorded_at", "-id")[:50]:
            candidates.setdefault(ticket.pk, ticket)

    typed = _bigrams(description)
    normalised_error = normalise_text(error)
    results = []
    for ticket in candidates.values():
        theirs = _bigrams(ticket.description)
        text_score = len(typed & theirs) / len(typed | theirs) if typed and theirs else 0.0
        same_customer = bool(customer_name) and ticket.customer.name == customer_name
        same_error = has_error and normalise_text(ticket.error_message) == normalised_error
        duplicate = same_customer and (same_error or near_same_text(description, ticket.description))
        score = text_score + (0.5 if same_error else 0) + (0.3 if same_customer else 0)
        if score >= 0.15:
            results.append(SimilarTicket(ticket, round(score, 3), same_customer, same_error, duplicate))
    results.sort(key=lambda item: (item.duplicate, item.score), reverse=True)
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
