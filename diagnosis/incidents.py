"""Batch incidents (issue 14 §7): when several customers report the same problem within a short window,
the ticket page proposes grouping their tickets under one parent incident; a status update posted on the
parent reaches every grouped ticket's contact through the conversation (each ticket once).

Similar means the same error message once normalised (case, spaces, punctuation), or, between tickets
without an error message, nearly the same description (bigram overlap). Candidates: the open tickets
recorded within the window either side of the ticket (index ticket_recorded_idx), at most
CANDIDATE_LIMIT of them, compared in Python.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from toolkit import chapters
from toolkit import services as core
from toolkit.models import Ticket

from .selectors import _NO_ERROR_NORMALISED, _bigrams, is_placeholder_error, normalise_text

CANDIDATE_LIMIT = 500
# Descriptions without an error message count as the same problem from this bigram overlap up.
DESCRIPTION_OVERLAP = 0.6
CHANGE_TICKET = "toolkit.change_ticket"


def min_customers() -> int:
    return max(2, int(getattr(settings, "BATCH_INCIDENT_MIN_CUSTOMERS", 3)))


def window() -> timedelta:
    return timedelta(minutes=max(1, int(getattr(settings, "BATCH_INCIDENT_WINDOW_MINUTES", 60))))


_QUOTES = "\"'“”‘’「」『』"


@dataclass
class IncidentProposal:
    ticket: Ticket
    key: str  # what they share: the error message, else the start of the description
    members: list[Ticket] = field(default_factory=list)  # the ticket itself included, oldest first
    customer_count: int = 0
    # The page's ticket's own incident; else the one most of them belong to; else the first reported.
    parent: Ticket | None = None
    to_link: list[Ticket] = field(default_factory=list)
    parent_has_children: bool = False  # the parent is an incident already (add to it, not start one)

    @property
    def window_minutes(self) -> int:
        return int(window().total_seconds() // 60)


# Every ticket page compares the same few hundred candidates of its window again: their normalised error
# messages and description bigrams are pure functions of the text, kept per process for two windows'
# worth of candidates. Only texts up to _CACHED_TEXT_MAX_CHARS are kept (longer ones are worked out each
# time), which bounds the memory: about 4 KB per typical 30-character description, 25 KB at most.
_CACHED_TEXT_MAX_CHARS = 300


@lru_cache(maxsize=2 * CANDIDATE_LIMIT)
def _normalised_cached(text: str) -> str:
    return normalise_text(text)


def _normalised(text: str) -> str:
    text = text or ""
    return _normalised_cached(text) if len(text) <= _CACHED_TEXT_MAX_CHARS else normalise_text(text)


@lru_cache(maxsize=2 * CANDIDATE_LIMIT)
def _bigrams_cached(text: str) -> frozenset[str]:
    return frozenset(_bigrams(text))


def _description_bigrams(text: str) -> frozenset[str]:
    text = text or ""
    return _bigrams_cached(text) if len(text) <= _CACHED_TEXT_MAX_CHARS else frozenset(_bigrams(text))


def _same_problem_as(ticket: Ticket) -> Callable[[str, str], bool]:
    """Whether another ticket (its error message and description) reports the same problem as ``ticket``;
    ``ticket``'s own normalised error and bigrams are worked out once, not once per candidate."""
    if not is_placeholder_error(ticket.error_message):
        error = normalise_text(ticket.error_message)
        return lambda error_message, description: _normalised(error_message) == error
    mine = _bigrams(ticket.description)
    if len(mine) < 4:
        return lambda error_message, description: False

    def same(error_message: str, description: str) -> bool:
        if _normalised(error_message) not in _NO_ERROR_NORMALISED:
            return False
        theirs = _description_bigrams(description)
        if len(theirs) < 4:
            return False
        return len(mine & theirs) / len(mine | theirs) >= DESCRIPTION_OVERLAP

    return same


_MEMBER_FIELDS = ("number", "customer", "parent", "recorded_at")


def _similar_in_window(ticket: Ticket) -> list[Ticket]:
    """The open tickets of the window reporting the same problem, ``ticket`` included, oldest first.

    Two passes, so that a ticket page without a proposal stays cheap: the candidates' few compared
    columns as plain tuples (no model instances, no joins), then — only when enough customers share
    the problem — the members themselves, with their customer, parent and whether they have children.
    """
    span = window()
    candidates = (
        Ticket.objects.open()
        .filter(recorded_at__gte=ticket.recorded_at - span, recorded_at__lte=ticket.recorded_at + span)
        .order_by("-recorded_at", "-id")
        .values_list("pk", "customer_id", "error_message", "description")[:CANDIDATE_LIMIT]
    )
    same_problem = _same_problem_as(ticket)
    matched = {
        pk: customer_id
        for pk, customer_id, error_message, description in candidates
        if pk == ticket.pk or same_problem(error_message, description)
    }
    matched[ticket.pk] = ticket.customer_id
    if len(set(matched.values())) < min_customers():
        return [ticket]
    # Only the columns the proposal compares: a whole ticket row and its customer for each of a few dozen
    # members cost more than the candidates' pass (incident_group reads the ones it links in full).
    members = list(
        Ticket.objects.filter(pk__in=matched)
        .select_related("parent")
        .only(*_MEMBER_FIELDS, *(f"parent__{name}" for name in _MEMBER_FIELDS))
        .annotate(has_children=Exists(Ticket.objects.filter(parent=OuterRef("pk"))))
    )
    return sorted(members, key=lambda other: (other.recorded_at, other.pk))


def incident_proposal(ticket: Ticket) -> IncidentProposal | None:
    """The proposal to show on ``ticket``'s page, or None: fewer than min_customers() customers, a closed
    ticket, or everyone already grouped under one incident. One bounded query: the candidates, with
    whether each has children (a second one, for the members, only when there are enough customers)."""
    if not ticket.is_open:
        return None
    members = _similar_in_window(ticket)
    customers = {member.customer_id for member in members}
    if len(customers) < min_customers():
        return None
    # The members that are incidents with children of their own (has_children, read with them; the
    # ticket itself when it fell outside the candidates: one query); the incidents they belong to came
    # with them (select_related("parent")), so every possible parent is already in hand.
    with_children = {
        member.pk
        for member in members
        if getattr(member, "has_children", None)
        or (not hasattr(member, "has_children") and Ticket.objects.filter(parent=member).exists())
    }
    parents = {member.parent.pk: member.parent for member in members if member.parent is not None}
    parents |= {member.pk: member for member in members if member.pk in with_children}
    own_incident = ticket.pk if ticket.pk in with_children else ticket.parent_id
    if own_incident in parents:
        # The page's ticket is grouped already (or is the incident): the others join its incident, never
        # another one of the same problem, which would leave this ticket apart from them.
        parent = parents[own_incident]
    elif parents:
        # The incident most of them already belong to (the oldest on a tie).
        parent = min(
            parents.values(),
            key=lambda p: (-sum(m.parent_id == p.pk for m in members), p.recorded_at, p.pk),
        )
    else:
        parent = members[0]
    to_link = [member for member in members if member.pk != parent.pk and member.parent_id is None]
    # A ticket that is itself an incident with its own children stays where it is.
    to_link = [member for member in to_link if member.pk not in with_children]
    if not to_link:
        return None
    if not is_placeholder_error(ticket.error_message):
        key = ticket.error_message.strip()
    else:
        key = ticket.description.strip().replace("\n", " ")[:40]
    # The page quotes it: an error typed with its own quotes (“…”) would show them twice.
    key = key.strip(_QUOTES).strip() or key
    return IncidentProposal(
        ticket=ticket,
        key=key,
        members=members,
        customer_count=len(customers),
        parent=parent,
        to_link=to_link,
        parent_has_children=bool(parents),
    )


@transaction.atomic
def incident_group(*, ticket: Ticket, by) -> tuple[Ticket, int]:
    """Take the proposal for ``ticket``: link the similar tickets under the parent (``ticket``'s own
    incident, else one some already belong to, else the oldest of them), one history entry each.
    Returns (parent, linked)."""
    if not by.has_perm(CHANGE_TICKET):
        raise PermissionDenied(_("You may not change tickets."))
    proposal = incident_proposal(ticket)
    if proposal is None or proposal.parent is None:
        raise ValidationError(_("There is nothing to group any more: the proposal no longer applies."))
    # The proposal's tickets hold only the compared columns; linking saves (and records history of) the
    # whole ticket, so read them in full.
    parent = Ticket.objects.get(pk=proposal.parent.pk)
    to_link = Ticket.objects.filter(pk__in=[member.pk for member in proposal.to_link])
    for member in to_link.order_by("recorded_at", "id"):
        core.ticket_link_parent(ticket=member, parent=parent, by=by)
    return parent, len(proposal.to_link)


def incident_recipients(parent: Ticket) -> list[Ticket]:
    """The tickets an update on ``parent`` goes to: the parent and each grouped ticket, once each."""
    tickets = [parent, *parent.children.select_related("customer", "contact").order_by("recorded_at", "id")]
    unique: dict[int, Ticket] = {}
    for ticket in tickets:
        unique.setdefault(ticket.pk, ticket)
    return list(unique.values())


def update_sender():
    """The conversation's reply (mailed to the contact, on the status page), or None without that app."""
    try:
        return chapters.provided("conversation_reply_send")
    except LookupError:
        return None


@transaction.atomic
def incident_update_post(*, parent: Ticket, body: str, by, token: str = "") -> int:
    """Post ``body`` as a customer-visible reply on the parent and every grouped ticket (each its own
    timeline entry and mail). ``token`` (from the form) makes a repeated submission send nothing again.
    Returns how many tickets got the reply."""
    if not by.has_perm(CHANGE_TICKET):
        raise PermissionDenied(_("You may not change tickets."))
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Write the update.")})
    send = update_sender()
    if send is None:
        raise ValidationError(_("Updates to customers need the conversation, which is not installed."))
    if not parent.children.exists():
        raise ValidationError(_("%(number)s has no grouped tickets.") % {"number": parent.number})
    if token and not cache.add(f"incident-update:{parent.pk}:{token}", 1, timeout=24 * 3600):
        raise ValidationError(_("This update was already posted."))
    recipients = incident_recipients(parent)
    for ticket in recipients:
        send(ticket=ticket, body=body, by=by)
    return len(recipients)
