"""Writes to the core ticket. Every change of a ticket goes through here."""

import re
from collections.abc import Iterable
from datetime import date
from typing import cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Field
from django.utils import timezone
from django.utils.translation import gettext as _

from . import chapters, events, permissions, signals, sla
from .choices import STAGE_SEQUENCE, EventKind, Stage
from .db import retry_on_conflict
from .history import save_with_history
from .models import Clarification, Contact, Customer, StageChange, Ticket, TicketNumberSequence
from .privacy import can_see_contact_details, mask_free_text

TICKET_NUMBER_RE = re.compile(r"^TS-(?P<day>\d{8})-(?P<seq>\d{4,})$")

# Fields an engineer may edit after intake. The description is deliberately absent.
EDITABLE_TICKET_FIELDS = [
    "contact_details",
    "source",
    "occurred_at",
    "error_message",
    "problem_type",
    "impact_scope",
    "users_affected",
    "frequency",
    "business_urgency",
    "peak_time",
    "priority",
    "suggested_priority",
    "priority_override_reason",
    "preliminary_judgement",
    "judgement_unverified",
    "owner",
]


# The contact details, and editable free text that may hold a phone number or e-mail address.
CONTACT_DATA_FIELDS = [
    "contact_details",
    "error_message",
    "preliminary_judgement",
    "priority_override_reason",
]


def format_ticket_number(day: date, seq: int) -> str:
    return f"TS-{day:%Y%m%d}-{seq:04d}"


@transaction.atomic
def ticket_numbers_reserve(*, day: date, count: int = 1) -> list[str]:
    """Hand out `count` consecutive numbers for `day` (TS-YYYYMMDD-NNNN).

    The row lock serialises concurrent intakes on PostgreSQL; SQLite's IMMEDIATE
    transactions serialise writers anyway.
    """
    TicketNumberSequence.objects.get_or_create(day=day)
    sequence = TicketNumberSequence.objects.select_for_update().get(day=day)
    first = sequence.last_value + 1
    sequence.last_value = F("last_value") + count
    sequence.save(update_fields=["last_value"])
    return [format_ticket_number(day, seq) for seq in range(first, first + count)]


@transaction.atomic
def ticket_number_claim(*, number: str) -> None:
    """Keep an imported number and move the day's sequence past it so it is never handed out again."""
    match = TICKET_NUMBER_RE.match(number)
    if match is None:
        raise ValueError(f"Not a ticket number: {number!r}")
    day = date(int(match["day"][:4]), int(match["day"][4:6]), int(match["day"][6:]))
    TicketNumberSequence.objects.get_or_create(day=day)
    sequence = TicketNumberSequence.objects.select_for_update().get(day=day)
    if sequence.last_value < int(match["seq"]):
        sequence.last_value = int(match["seq"])
        sequence.save(update_fields=["last_value"])


def validate_occurred_at(value):
    if value and value > timezone.now():
        raise ValidationError(_("The occurrence time cannot be in the future."), code="future")


def validate_priority_override(*, priority, suggested_priority, reason):
    if suggested_priority and priority != suggested_priority and not (reason or "").strip():
        raise ValidationError(
            {
                "priority_override_reason": _(
                    "The priority differs from the suggested %(suggested)s: give the reason for the override."
                )
                % {"suggested": suggested_priority}
            },
            code="override_reason",
        )


def truncate_to_minute(value):
    return value.replace(second=0, microsecond=0) if value else value


@transaction.atomic
def customer_get_or_create(*, name: str, tier: str | None = None) -> Customer:
    customer, created = Customer.objects.get_or_create(
        name=name.strip(), defaults={"tier": tier or "standard"}
    )
    return customer


@transaction.atomic
def contact_get_or_create(*, customer: Customer, name: str, details: str = "") -> Contact:
    contact, created = Contact.objects.get_or_create(
        customer=customer, name=name.strip(), defaults={"details": details.strip()}
    )
    if not created and details and not contact.details:
        contact.details = details.strip()
        contact.save(update_fields=["details"])
    return contact


@retry_on_conflict
@transaction.atomic
def ticket_create(*, recorded_by, number: str = "", by=None, **fields) -> Ticket:
    """Log a new ticket. Raises ValidationError for a future occurrence time or an unexplained override.

    `by` is who performs the write when it is not the recorder (an import by a manager).
    """
    fields["occurred_at"] = truncate_to_minute(fields["occurred_at"])
    validate_occurred_at(fields["occurred_at"])
    validate_priority_override(
        priority=fields["priority"],
        suggested_priority=fields.get("suggested_priority", ""),
        reason=fields.get("priority_override_reason", ""),
    )
    if fields["contact"].customer_id != fields["customer"].pk:
        raise ValidationError({"contact": _("This contact belongs to another customer.")})
    recorded_at = truncate_to_minute(fields.pop("recorded_at", None) or timezone.now())
    if number:
        ticket_number_claim(number=number)
    else:
        [number] = ticket_numbers_reserve(day=timezone.localdate(recorded_at))
    ticket = Ticket(number=number, recorded_by=recorded_by, recorded_at=recorded_at, **fields)
    save_with_history(ticket, by=by or recorded_by)
    sla.sla_start(ticket)
    # Logged for someone else (routing, a colleague at the phone): they hear of it.
    events.notify(kind=EventKind.ASSIGNED, recipients=[ticket.owner], actor=by or recorded_by, ticket=ticket)
    signals.emit(signals.TICKET_CREATED, ticket=ticket)  # outbound webhooks (toolkit/signals.py)
    return ticket


@retry_on_conflict
@transaction.atomic
def ticket_update(*, ticket: Ticket, by, reason: str = "", **changes) -> Ticket:
    """Edit the fields that may change after intake; the original description never does.

    A new owner needs permissions.can_assign (PermissionDenied otherwise): an engineer cannot make
    themselves the owner of someone else's ticket. Both owners are told (toolkit.events): the new one
    that it is theirs, the previous one who has it now and ``reason`` (why it was reassigned), which
    is also kept in the ticket's history; a new owner without a reason is a ValidationError.
    """
    unknown = set(changes) - set(EDITABLE_TICKET_FIELDS)
    if unknown:
        raise ValidationError(
            _("These fields cannot be changed: %(fields)s") % {"fields": ", ".join(sorted(unknown))}
        )
    if not can_see_contact_details(by, ticket):
        # Someone who sees the details masked would be overwriting them blind.
        for name in CONTACT_DATA_FIELDS:
            old = getattr(ticket, name)
            holds_contact_data = name == "contact_details" or mask_free_text(old) != old
            if name in changes and changes[name] != old and holds_contact_data:
                raise PermissionDenied(
                    _("Only those who may see the customer's contact details can change “%(field)s”.")
                    % {"field": cast(Field, Ticket._meta.get_field(name)).verbose_name}
                )
    previous_owner = None
    if "owner" in changes and getattr(changes["owner"], "pk", None) != ticket.owner_id:
        permissions.ensure_can_assign(by, ticket, changes["owner"])
        previous_owner = ticket.owner
        if previous_owner is not None and not (reason or "").strip():
            # 转派 is recorded with its reason, which both owners are told.
            raise ValidationError({"reason": _("Say why the ticket is reassigned.")})
    if "occurred_at" in changes:
        changes["occurred_at"] = truncate_to_minute(changes["occurred_at"])
        validate_occurred_at(changes["occurred_at"])
    priority_before = ticket.priority
    for name, value in changes.items():
        setattr(ticket, name, value)
    validate_priority_override(
        priority=ticket.priority,
        suggested_priority=ticket.suggested_priority,
        reason=ticket.priority_override_reason,
    )
    # Only the edited fields: the SLA columns are the engine's, and may have moved since the form loaded.
    reason = (reason or "").strip()
    save_with_history(ticket, by=by, reason=reason, update_fields=[*changes, "updated_at"])
    sla.sla_record_response(ticket)
    if ticket.priority != priority_before:
        sla.sla_recompute(ticket)
    if previous_owner is not None:
        _tell_owners(ticket=ticket, previous_owner=previous_owner, by=by, reason=reason)
    signals.ticket_updated(ticket, changed=changes, priority_before=priority_before)  # outbound webhooks
    return ticket


def _tell_owners(*, ticket: Ticket, previous_owner, by, reason: str) -> None:
    """转派 notifies both people: the new owner has it, the previous one hears who has it and why."""
    params = {"reason": reason} if reason else None
    events.notify(kind=EventKind.ASSIGNED, recipients=[ticket.owner], actor=by, ticket=ticket, params=params)
    events.notify(
        kind=EventKind.REASSIGNED_AWAY,
        recipients=[previous_owner],
        actor=by,
        ticket=ticket,
        params={"new_owner": ticket.owner.display_name, "reason": reason},
    )


def allowed_next_stages(stage: str) -> list[str]:
    """Forward or back between work stages (the middle ones are optional), hold, cancel, reopen."""
    if stage == Stage.CANCELLED:
        return []
    if stage == Stage.CLOSED:
        return [Stage.DIAGNOSIS]  # reopen
    work = [s for s in STAGE_SEQUENCE if s != stage]
    if stage == Stage.ON_HOLD:
        return [*work, Stage.CANCELLED]
    return [*work, Stage.ON_HOLD, Stage.CANCELLED]


def forward_stages(stage: str) -> list[Stage]:
    """The work stages after this one (what a "start the next stage" button may offer)."""
    if stage not in STAGE_SEQUENCE:
        return []
    return STAGE_SEQUENCE[STAGE_SEQUENCE.index(Stage(stage)) + 1 :]


def stages_allowed_to(*, user, ticket: Ticket, stages: list[str]) -> list[str]:
    """Those of `stages` that `user` may move `ticket` to (what the ticket page offers them)."""
    return [stage for stage in stages if permissions.can_change_stage(user, ticket, stage)]


def is_backward(from_stage: str, to_stage: str) -> bool:
    """Back to an earlier work stage (reopening a closed ticket included); holding and resuming are not."""
    if from_stage not in STAGE_SEQUENCE or to_stage not in STAGE_SEQUENCE:
        return False
    return STAGE_SEQUENCE.index(Stage(to_stage)) < STAGE_SEQUENCE.index(Stage(from_stage))


def resolution_verified(ticket: Ticket) -> bool | None:
    """Whether the ticket's resolution is verified (the evaluation chapter records it); None when no
    installed chapter records verifications."""
    try:
        verification_of = chapters.provided("verification_of")
    except LookupError:
        return None
    return verification_of(ticket) is not None


@retry_on_conflict
@transaction.atomic
def ticket_change_stage(
    *,
    ticket: Ticket,
    to_stage: str,
    reason: str,
    by,
    chapter_step: bool = False,
    back: bool = False,
    resolution: str = "",
    already_told: Iterable[int] = (),
) -> StageChange:
    """Move the ticket to another stage, recording who, when and why.

    Only those permissions.can_change_stage allows (PermissionDenied otherwise): cancelling stops the
    SLA clocks and closing meets them. chapter_step=True is a chapter's own step (approval, plan
    complete, resolution verified), which moves the ticket forward for whoever may take that step.

    The flow's guard rails (ValidationError): going back to an earlier work stage (reopening included)
    is a deliberate choice, ``back=True``, with its reason; closing needs a resolution — a verified one
    when the evaluation chapter is installed (else a ``resolution`` text, kept in the reason). A ticket
    that is a duplicate of another is cancelled with ticket_cancel_as_duplicate.

    The owner and the followers are told (events.STAGE_CHANGED), but for ``already_told``: the ids of
    those whom the caller's own notice tells of the move (a design's approval, a customer's reply).
    """
    return _move(
        ticket=ticket,
        to_stage=to_stage,
        reason=reason,
        by=by,
        chapter_step=chapter_step,
        back=back,
        resolution=resolution,
        already_told=already_told,
    )


def _move(
    *,
    ticket: Ticket,
    to_stage: str,
    reason: str,
    by,
    chapter_step: bool = False,
    back: bool = False,
    resolution: str = "",
    fields: dict | None = None,
    already_told: Iterable[int] = (),
) -> StageChange:
    """ticket_change_stage's work; ``fields`` are set on the ticket in the same history entry."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the stage changes.")})
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    if to_stage not in allowed_next_stages(ticket.stage):
        raise ValidationError(
            {
                "to_stage": _("A ticket in stage “%(from)s” cannot move to “%(to)s”.")
                % {"from": Stage(ticket.stage).label, "to": Stage(to_stage).label}
            }
        )
    permissions.ensure_can_change_stage(by, ticket, to_stage, chapter_step=chapter_step)
    if is_backward(ticket.stage, to_stage) and not back:
        message = _(
            "Moving back from “%(from)s” to “%(to)s” is a deliberate step: confirm that you are going "
            "back, and say why."
        ) % {"from": Stage(ticket.stage).label, "to": Stage(to_stage).label}
        raise ValidationError({"to_stage": ValidationError(message, code="back")})
    if to_stage == Stage.CLOSED:
        reason = _closing_reason(ticket, reason=reason, resolution=resolution)
    change = StageChange.objects.create(
        ticket=ticket, from_stage=ticket.stage, to_stage=to_stage, reason=reason[:500], changed_by=by
    )
    ticket.stage = to_stage
    for name, value in (fields or {}).items():
        setattr(ticket, name, value)
    save_with_history(
        ticket, by=by, reason=reason[:100], update_fields=["stage", *(fields or {}), "updated_at"]
    )
    sla.sla_record_response(ticket, at=change.changed_at)
    sla.sla_on_stage_change(ticket, from_stage=change.from_stage, to_stage=to_stage, at=change.changed_at)
    signals.emit(signals.TICKET_STAGE_CHANGED, ticket=ticket, from_stage=change.from_stage, to_stage=to_stage)
    # The owner (when someone else moved it) and the followers hear of it.
    events.notify(
        kind=EventKind.STAGE_CHANGED,
        recipients=[ticket.owner],
        actor=by,
        ticket=ticket,
        params={"from_stage": change.from_stage, "to_stage": to_stage, "reason": reason[:200]},
        already_told=already_told,
    )
    return change


def _closing_reason(ticket: Ticket, *, reason: str, resolution: str) -> str:
    """Closing needs a resolution: the verification, or (no evaluation chapter) a resolution text."""
    verified = resolution_verified(ticket)
    if verified:
        return reason
    resolution = (resolution or "").strip()
    if verified is None and resolution:
        return _("%(reason)s — resolution: %(resolution)s") % {"reason": reason, "resolution": resolution}
    if verified is None:
        message = _("Closing needs a resolution: say how the problem was resolved.")
        raise ValidationError({"resolution": ValidationError(message, code="resolution")})
    message = _(
        "Closing needs a resolution: verify it first (evaluation), or cancel the ticket as a duplicate "
        "of another."
    )
    raise ValidationError({"to_stage": ValidationError(message, code="resolution")})


@retry_on_conflict
@transaction.atomic
def ticket_cancel_as_duplicate(*, ticket: Ticket, duplicate_of: Ticket, by, reason: str = "") -> StageChange:
    """Cancel ``ticket`` as a duplicate of ``duplicate_of``: one stage change and one history entry
    naming the other ticket, and ``ticket.duplicate_of`` set.

    ValidationError for the ticket itself, a cancelled target (a duplicate is cancelled too: name the
    ticket it duplicates), a target that leads back here, or a ticket that can no longer be cancelled;
    PermissionDenied for those who may not cancel it (permissions.can_change_stage).
    """
    if duplicate_of.pk == ticket.pk:
        raise ValidationError({"duplicate_of": _("A ticket cannot be a duplicate of itself.")})
    target = Ticket.objects.only("pk", "number", "stage", "duplicate_of_id").get(pk=duplicate_of.pk)
    if target.stage == Stage.CANCELLED:
        raise ValidationError(
            {
                "duplicate_of": _("%(number)s is cancelled: name the ticket that is being worked.")
                % {"number": target.number}
            }
        )
    seen = {ticket.pk}
    step = target
    while step.duplicate_of_id is not None:
        if step.duplicate_of_id in seen or len(seen) > 50:
            raise ValidationError(
                {"duplicate_of": _("%(number)s is a duplicate of this ticket.") % {"number": target.number}}
            )
        seen.add(step.pk)
        step = Ticket.objects.only("pk", "duplicate_of_id").get(pk=step.duplicate_of_id)
    if step.pk in seen:
        raise ValidationError(
            {"duplicate_of": _("%(number)s is a duplicate of this ticket.") % {"number": target.number}}
        )
    reason = (reason or "").strip()
    text = _("Duplicate of %(number)s") % {"number": target.number}
    if reason:
        text = f"{text}: {reason}"
    return _move(
        ticket=ticket,
        to_stage=Stage.CANCELLED,
        reason=text,
        by=by,
        fields={"duplicate_of": target},
    )


@retry_on_conflict
@transaction.atomic
def ticket_add_clarification(*, ticket: Ticket, text: str, by) -> Clarification:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("Write the clarification.")})
    clarification = Clarification.objects.create(ticket=ticket, text=text, added_by=by)
    sla.sla_record_response(ticket, at=clarification.added_at)
    return clarification


@retry_on_conflict
@transaction.atomic
def ticket_link_parent(*, ticket: Ticket, parent: Ticket | None, by) -> Ticket:
    """Group a ticket under a parent incident (or ungroup it with parent=None). One level deep."""
    if parent is not None:
        if parent.pk == ticket.pk:
            raise ValidationError({"parent": _("A ticket cannot be its own parent.")})
        if parent.parent_id is not None:
            raise ValidationError(
                {
                    "parent": _("%(number)s is itself grouped under another incident.")
                    % {"number": parent.number}
                }
            )
        if ticket.children.exists():
            raise ValidationError(
                {"parent": _("This ticket is a parent incident; it cannot be grouped under another.")}
            )
    ticket.parent = parent
    save_with_history(ticket, by=by, update_fields=["parent", "updated_at"])
    return ticket
