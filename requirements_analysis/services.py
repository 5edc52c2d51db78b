"""Writes for chapter 2: requirement items and stakeholder consensus.

Consensus rule: the analysis is confirmed when it has at least one item and one stakeholder and every
stakeholder has confirmed. Any change to the items (add, edit, delete, reorder) sends every answer
already given back to pending, with the reason, so nobody stays "confirmed" on a list they never saw.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from toolkit.history import delete_with_history, save_with_history
from toolkit.models import Ticket

from .models import ConfirmationStatus, RequirementItem, Stakeholder

EDITABLE_ITEM_FIELDS = (
    "kind",
    "summary",
    "surface_need",
    "essential_need",
    "collection_method",
    "source_person",
    "source_department",
    "constraint_type",
    "constraint_amount",
    "constraint_date",
    "constraint_text",
    "value",
    "urgency",
    "effort",
    "moscow",
)
UP = "up"
DOWN = "down"


def _ensure_open(ticket: Ticket) -> None:
    if not ticket.is_open:
        raise ValidationError(
            _("Ticket %(number)s is closed or cancelled: its requirement analysis can no longer change.")
            % {"number": ticket.number}
        )


def confirmations_reset(*, ticket: Ticket, reason: str, by) -> int:
    """Send every given answer (confirmed or disputed) back to pending, recording why. Returns how many."""
    now = timezone.now()
    answered = (
        Stakeholder.objects.select_for_update()
        .filter(ticket=ticket)
        .exclude(status=ConfirmationStatus.PENDING)
    )
    count = 0
    for stakeholder in answered:
        stakeholder.status = ConfirmationStatus.PENDING
        stakeholder.reset_reason = reason[:300]
        stakeholder.reset_at = now
        save_with_history(stakeholder, by=by, reason=reason[:100])
        count += 1
    return count


@transaction.atomic
def requirement_item_create(*, ticket: Ticket, by, **fields) -> RequirementItem:
    """Add an item at the end of the manual order. Validates (constraint value by type) before saving."""
    _ensure_open(ticket)
    unknown = set(fields) - set(EDITABLE_ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown requirement fields: {sorted(unknown)}")
    last = RequirementItem.objects.filter(ticket=ticket).aggregate(last=Max("position"))["last"]
    item = RequirementItem(ticket=ticket, created_by=by, position=0 if last is None else last + 1, **fields)
    item.full_clean()
    reason = _("Requirement “%(summary)s” added.") % {"summary": item.summary}
    save_with_history(item, by=by, reason=reason)
    confirmations_reset(ticket=ticket, reason=reason, by=by)
    return item


@transaction.atomic
def requirement_item_update(*, item: RequirementItem, by, **fields) -> RequirementItem:
    """Change an item's fields; if anything changed, answers already given go back to pending."""
    _ensure_open(item.ticket)
    unknown = set(fields) - set(EDITABLE_ITEM_FIELDS)
    if unknown:
        raise TypeError(f"Unknown requirement fields: {sorted(unknown)}")
    item = RequirementItem.objects.select_for_update().select_related("ticket").get(pk=item.pk)
    before = {name: getattr(item, name) for name in EDITABLE_ITEM_FIELDS}
    for name, value in fields.items():
        setattr(item, name, value)
    item.full_clean()  # also normalises: a non-constraint keeps no constraint value
    if all(getattr(item, name) == before[name] for name in EDITABLE_ITEM_FIELDS):
        return item
    reason = _("Requirement “%(summary)s” changed.") % {"summary": item.summary}
    save_with_history(item, by=by, reason=reason)
    confirmations_reset(ticket=item.ticket, reason=reason, by=by)
    return item


@transaction.atomic
def requirement_item_delete(*, item: RequirementItem, by) -> None:
    _ensure_open(item.ticket)
    ticket = item.ticket
    reason = _("Requirement “%(summary)s” deleted.") % {"summary": item.summary}
    delete_with_history(item, by=by, reason=reason)
    confirmations_reset(ticket=ticket, reason=reason, by=by)


@transaction.atomic
def requirement_item_move(*, item: RequirementItem, direction: str, by) -> RequirementItem:
    """Swap the item with its neighbour in the manual order. Position also breaks ties in the ranking."""
    if direction not in (UP, DOWN):
        raise ValidationError(_("Move an item up or down."))
    _ensure_open(item.ticket)
    siblings = list(
        RequirementItem.objects.select_for_update()
        .filter(ticket_id=item.ticket_id)
        .order_by("position", "id")
    )
    index = next(i for i, sibling in enumerate(siblings) if sibling.pk == item.pk)
    other_index = index - 1 if direction == UP else index + 1
    if not 0 <= other_index < len(siblings):
        return siblings[index]  # already first / last: nothing changes
    siblings[index], siblings[other_index] = siblings[other_index], siblings[index]
    moved = siblings[other_index]
    reason = _("Requirement “%(summary)s” moved.") % {"summary": moved.summary}
    # Renumber densely: positions may hold gaps or duplicates after deletes.
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            save_with_history(sibling, by=by, reason=reason)
    confirmations_reset(ticket=item.ticket, reason=reason, by=by)
    return moved


@transaction.atomic
def stakeholder_add(*, ticket: Ticket, name: str, department: str = "", user=None, by) -> Stakeholder:
    """A new stakeholder starts pending, so a confirmed analysis is no longer confirmed until they agree."""
    _ensure_open(ticket)
    stakeholder = Stakeholder(
        ticket=ticket, name=(name or "").strip(), department=(department or "").strip(), user=user
    )
    stakeholder.full_clean()
    save_with_history(stakeholder, by=by)
    return stakeholder


@transaction.atomic
def stakeholder_remove(*, stakeholder: Stakeholder, by) -> None:
    _ensure_open(stakeholder.ticket)
    delete_with_history(stakeholder, by=by)


@transaction.atomic
def stakeholder_respond(*, stakeholder: Stakeholder, status: str, comment: str = "", by) -> Stakeholder:
    """Record a confirmation or a dispute (a dispute must say what is disputed)."""
    stakeholder = Stakeholder.objects.select_for_update().select_related("ticket").get(pk=stakeholder.pk)
    _ensure_open(stakeholder.ticket)
    comment = (comment or "").strip()
    if status not in (ConfirmationStatus.CONFIRMED, ConfirmationStatus.DISPUTED):
        raise ValidationError({"status": _("Confirm or dispute the requirement list.")})
    if status == ConfirmationStatus.DISPUTED and not comment:
        raise ValidationError({"comment": _("Say what is disputed.")})
    if not RequirementItem.objects.filter(ticket_id=stakeholder.ticket_id).exists():
        raise ValidationError(_("There is nothing to confirm yet: add requirement items first."))
    stakeholder.status = status
    stakeholder.comment = comment
    stakeholder.responded_at = timezone.now()
    stakeholder.responded_by = by
    save_with_history(stakeholder, by=by)
    return stakeholder
