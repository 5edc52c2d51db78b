"""Bulk actions on the diagnosis table: one action on many tickets, all or nothing.

Each ticket goes through the same single-ticket service a person would use on its page
(toolkit.services), so the same permissions (toolkit.permissions) and rules apply and each ticket gets
the one history entry that service writes. The whole batch is one transaction: when any ticket is
refused, nothing changes and the refusals say which tickets and why.

The selection is either the ids of the rows ticked on the page, or "every ticket matching the filter",
carried as the table's own query string (never as a giant id list) and resolved here with the table's
selector. At most settings.BULK_ACTION_MAX_TICKETS tickets at once.
"""

from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import TextChoices
from django.http import QueryDict
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from toolkit import events
from toolkit import services as core
from toolkit.choices import Priority, Stage
from toolkit.db import retry_on_conflict
from toolkit.models import Ticket
from toolkit.permissions import CHANGE_TICKET

from .selectors import ticket_list

# How many refusals the page lists one by one; the rest are counted.
REFUSALS_LISTED = 10


class BulkAction(TextChoices):
    ASSIGN = "assign", gettext_lazy("Assign to")
    PRIORITY = "priority", gettext_lazy("Change priority")
    PARENT = "parent", gettext_lazy("Link under a parent incident")
    STAGE = "stage", gettext_lazy("Move to stage")
    CLOSE = "close", gettext_lazy("Close")
    DUPLICATE = "duplicate", gettext_lazy("Cancel as duplicate")


# The actions whose single-ticket form asks why (the stage flow, a priority override): so does bulk.
REASON_REQUIRED = {BulkAction.PRIORITY, BulkAction.STAGE, BulkAction.CLOSE}
# "Close" is its own action; cancelling is "cancel as duplicate" (or the ticket page, one at a time).
MOVABLE_STAGES = [stage for stage in Stage if stage not in (Stage.CLOSED, Stage.CANCELLED)]


@dataclass(frozen=True)
class Refusal:
    number: str
    message: str


class BulkRefused(Exception):
    """Some tickets refused the action; the transaction was rolled back, nothing changed."""

    def __init__(self, refusals: list[Refusal]):
        super().__init__(refusals)
        self.refusals = refusals

    def summary(self) -> list[str]:
        """One line per refused ticket (the first few), then how many more."""
        lines = [
            _("%(number)s: %(reason)s") % {"number": refusal.number, "reason": refusal.message}
            for refusal in self.refusals[:REFUSALS_LISTED]
        ]
        more = len(self.refusals) - REFUSALS_LISTED
        if more > 0:
            lines.append(
                ngettext(
                    "and %(count)d more ticket refused",
                    "and %(count)d more tickets refused",
                    more,
                )
                % {"count": more}
            )
        return lines


def refusal_message(refused: BulkRefused, *, action, selected: int):
    """The page's message for a refused batch: nothing changed, then which tickets and why (safe HTML,
    every part escaped; the messages framework keeps it safe through the redirect)."""
    heading = ngettext(
        "Nothing was changed: %(refused)d of the %(selected)d selected ticket refused “%(action)s”.",
        "Nothing was changed: %(refused)d of the %(selected)d selected tickets refused “%(action)s”.",
        selected,
    ) % {"refused": len(refused.refusals), "selected": selected, "action": BulkAction(action).label}
    items = format_html_join("", "<li>{}</li>", ((line,) for line in refused.summary()))
    return format_html('{}<ul class="mb-0" id="bulk-refusals">{}</ul>', heading, items)


def bulk_max_tickets() -> int:
    """settings.BULK_ACTION_MAX_TICKETS (environment variable of the same name), 1,000 by default."""
    return settings.BULK_ACTION_MAX_TICKETS


# ---------------------------------------------------------------- the form


class TicketIdsField(forms.Field):
    """The ticked rows: a list of ticket ids (``ticket=12&ticket=15``)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        if isinstance(value, str):
            value = [value]
        try:
            ids = list(dict.fromkeys(int(item) for item in value))
        except (TypeError, ValueError):
            ids = [0]
        # Out of the id column's range would be a database error on PostgreSQL, not a refusal.
        if not all(0 < pk < 2**63 for pk in ids):
            raise ValidationError(_("The selected rows were not understood."), code="invalid")
        return ids


class BulkActionForm(forms.Form):
    """What to do and to which tickets. Checks the input only; the service checks each ticket."""

    SELECTED, MATCHING = "selected", "matching"

    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=BulkAction.choices)
    scope = forms.ChoiceField(
        choices=[(SELECTED, SELECTED), (MATCHING, MATCHING)], required=False, widget=forms.HiddenInput
    )
    ticket = TicketIdsField(required=False)
    # The table's query string: which tickets "all matching" means, and where to go back to.
    query = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    # How many tickets the page said match: a filter matching a different number now is not acted on.
    expected = forms.IntegerField(required=False, min_value=0, widget=forms.HiddenInput)
    owner = forms.ModelChoiceField(
        label=gettext_lazy("New owner"), queryset=get_user_model().objects.none(), required=False
    )
    priority = forms.ChoiceField(
        label=gettext_lazy("New priority"), choices=[("", "—"), *Priority.choices], required=False
    )
    to_stage = forms.ChoiceField(
        label=gettext_lazy("New stage"),
        choices=[("", "—"), *[(stage.value, stage.label) for stage in MOVABLE_STAGES]],
        required=False,
    )
    parent_number = forms.CharField(
        label=gettext_lazy("Parent incident (ticket no.)"), max_length=32, required=False
    )
    duplicate_number = forms.CharField(
        label=gettext_lazy("Duplicate of (ticket no.)"), max_length=32, required=False
    )
    # The single stage change asks to confirm a step back to an earlier stage; so does bulk.
    back = forms.BooleanField(label=gettext_lazy("Going back to an earlier stage"), required=False)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)

    def __init__(self, *args, owners=None, **kwargs):
        super().__init__(*args, **kwargs)
        if owners is not None:
            self.fields["owner"].queryset = owners
        self.fields["owner"].label_from_instance = lambda user: user.display_name

    def clean(self):
        cleaned = super().clean()
        action = cleaned.get("action")
        needs = {
            BulkAction.ASSIGN: ("owner", _("Choose the new owner.")),
            BulkAction.PRIORITY: ("priority", _("Choose the new priority.")),
            BulkAction.PARENT: ("parent_number", _("Give the parent incident's ticket number.")),
            BulkAction.STAGE: ("to_stage", _("Choose the stage to move to.")),
            BulkAction.DUPLICATE: ("duplicate_number", _("Give the number of the ticket these duplicate.")),
        }
        if action in needs:
            name, message = needs[BulkAction(action)]
            if not cleaned.get(name):
                self.add_error(name, message)
        if action in REASON_REQUIRED and not (cleaned.get("reason") or "").strip():
            self.add_error("reason", _("Say why: the reason goes into each ticket's history."))
        if action == BulkAction.PARENT and cleaned.get("parent_number"):
            cleaned["parent"] = self._ticket("parent_number", cleaned["parent_number"])
        if action == BulkAction.DUPLICATE and cleaned.get("duplicate_number"):
            cleaned["duplicate"] = self._ticket("duplicate_number", cleaned["duplicate_number"])
        if cleaned.get("scope") != self.MATCHING and not cleaned.get("ticket"):
            self.add_error(None, _("Select at least one ticket."))
        return cleaned

    def _ticket(self, name, number):
        number = number.strip()
        ticket = Ticket.objects.filter(number=number).first()
        if ticket is None:
            self.add_error(name, _("No ticket has the number %(number)s.") % {"number": number})
        return ticket

    def back_query(self) -> str:
        """The table's query string, to go back to the same filtered page (also when the form is bad)."""
        return str(self.data.get("query", ""))[:2000]


# ---------------------------------------------------------------- selection


def bulk_selection(*, scope: str, ids: list[int], query: str, expected: int | None, user) -> list[int]:
    """The ids of the tickets to act on, in id order (the lock order). Raises ValidationError for a bad
    filter, a selection above the cap, or a filter that no longer matches what the page showed."""
    limit = bulk_max_tickets()
    if scope == BulkActionForm.MATCHING:
        filterset = ticket_list(data=QueryDict(query), user=user)  # owner=me is `user`
        if not filterset.is_valid():
            raise ValidationError(_("The table's filters are not valid; nothing was changed."))
        # One more than the cap: enough to know it is too many without reading every id.
        ids = list(filterset.qs.order_by().values_list("pk", flat=True)[: limit + 1])
        if expected is not None and len(ids) != expected and len(ids) <= limit:
            raise ValidationError(
                _(
                    "The filter now matches %(now)d tickets, not the %(then)d shown; nothing was changed. "
                    "Look at the table again and repeat the action."
                )
                % {"now": len(ids), "then": expected}
            )
    if len(ids) > limit:
        raise ValidationError(
            _("At most %(limit)d tickets can be changed at once; narrow the filter or select fewer rows.")
            % {"limit": limit}
        )
    return sorted(ids)


# ---------------------------------------------------------------- the service


@retry_on_conflict
@transaction.atomic
def tickets_bulk_apply(
    *,
    ticket_ids: list[int],
    action: str,
    by,
    owner=None,
    priority: str = "",
    to_stage: str = "",
    back: bool = False,
    parent: Ticket | None = None,
    duplicate: Ticket | None = None,
    reason: str = "",
) -> int:
    """Apply one action to these tickets through their single-ticket services; returns how many.

    All or nothing: every ticket is tried (so the refusals name all of them), then any refusal rolls
    the whole batch back and raises BulkRefused. The tickets are locked in one query, in id order (the
    order every writer locks in, so two batches never deadlock); each service then writes its ticket.
    """
    if not by.has_perm(CHANGE_TICKET):
        raise PermissionDenied(_("You may not change tickets."))
    action = BulkAction(action)
    reason = (reason or "").strip()
    if action in REASON_REQUIRED and not reason:
        raise ValidationError({"reason": _("Say why: the reason goes into each ticket's history.")})
    tickets = list(
        Ticket.objects.select_for_update(of=("self",))
        .select_related("customer", "owner")
        .filter(pk__in=ticket_ids)
        .order_by("pk")
    )
    if len(tickets) != len(set(ticket_ids)):
        raise ValidationError(_("Some of the selected tickets no longer exist; nothing was changed."))
    act = _action(
        action,
        by=by,
        owner=owner,
        priority=priority,
        to_stage=to_stage,
        back=back,
        parent=parent,
        duplicate=duplicate,
        reason=reason,
    )
    refusals = []
    # Whoever many of these tickets concern hears of them once ("… assigned 40 tickets to you"), not
    # once per ticket; a refused batch tells nobody.
    with events.one_notice_per_person():
        for ticket in tickets:
            try:
                act(ticket)
            except (ValidationError, PermissionDenied) as error:
                refusals.append(Refusal(ticket.number, " ".join(_messages(error))))
        if refusals:
            raise BulkRefused(refusals)
    return len(tickets)


def _messages(error) -> list[str]:
    if isinstance(error, ValidationError):
        return error.messages
    return [str(error) or _("You may not do this.")]


def _action(action, *, by, owner, priority, to_stage, back, parent, duplicate, reason):
    """The single-ticket service call for one ticket."""
    if action == BulkAction.ASSIGN:
        return lambda ticket: core.ticket_update(ticket=ticket, by=by, reason=reason, owner=owner)
    if action == BulkAction.PRIORITY:
        return lambda ticket: core.ticket_update(
            ticket=ticket,
            by=by,
            reason=reason,
            priority=priority,
            # The single edit's rule: a priority other than the suggested one keeps why.
            priority_override_reason="" if priority == ticket.suggested_priority else reason,
        )
    if action == BulkAction.PARENT:
        return lambda ticket: core.ticket_link_parent(ticket=ticket, parent=parent, by=by)
    if action == BulkAction.STAGE:
        return lambda ticket: core.ticket_change_stage(
            ticket=ticket, to_stage=to_stage, reason=reason, by=by, back=back
        )
    if action == BulkAction.CLOSE:
        return lambda ticket: core.ticket_change_stage(
            ticket=ticket, to_stage=Stage.CLOSED, reason=reason, by=by
        )
    if action == BulkAction.DUPLICATE:
        return lambda ticket: core.ticket_cancel_as_duplicate(
            ticket=ticket, duplicate_of=duplicate, by=by, reason=reason
        )
    raise ValueError(action)
