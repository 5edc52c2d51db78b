"""The ticket's history as one time-ordered list: field changes, stage changes, clarifications."""

from dataclasses import dataclass, field
from datetime import datetime

from django.utils.translation import gettext as _

from toolkit.choices import Stage
from toolkit.history import made_via_api, without_via_api
from toolkit.models import Ticket
from toolkit.privacy import can_see_contact_details, mask_contact_details, mask_free_text

# Stage changes have their own entries with the reason; don't repeat them as field diffs. The SLA
# summary is the engine's bookkeeping (shown in the SLA card), not a change anyone made: without this,
# a later edit would show the engine's updates since the previous record as that person's change.
_SKIPPED_FIELDS = {"stage", "sla_state", "sla_due_at"}


@dataclass
class TimelineEntry:
    at: datetime
    who: str
    kind: str  # created | changed | stage | clarification
    title: str
    details: list[tuple[str, str, str]] = field(default_factory=list)  # (field label, old, new)
    text: str = ""


def _label(name):
    return str(Ticket._meta.get_field(name).verbose_name)


def _value(name, value, masked=False):
    model_field = Ticket._meta.get_field(name)
    if value in (None, ""):
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if masked and name == "contact_details":
        return mask_contact_details(str(value))
    if masked and isinstance(value, str):
        return mask_free_text(value)
    return str(value)


def _who(name: str, reason) -> str:
    """The person, or "via API by <person>" for a write made through the REST API (toolkit.history)."""
    return _("via API by %(user)s") % {"user": name} if made_via_api(reason) else name


def ticket_timeline(ticket: Ticket, viewer=None) -> list[TimelineEntry]:
    """Newest first. Three queries whatever the length of the history.

    Contact details, and phones and e-mails in any text, are masked unless `viewer` may see them
    (toolkit.privacy); without a viewer everything is masked.
    """
    masked = viewer is None or not can_see_contact_details(viewer, ticket)
    # The ticket page and its conversation card both ask for it: the page puts a dict on its ticket
    # (remember_timeline) and the history is read once; elsewhere it is read on every call.
    memo = ticket.__dict__.get("_timeline_memo")
    if memo is None:
        return _timeline(ticket, masked)
    if masked not in memo:
        memo[masked] = _timeline(ticket, masked)
    return list(memo[masked])


def remember_timeline(ticket: Ticket) -> Ticket:
    """Read the history of this ticket instance once, however many cards ask (one request's life)."""
    ticket.__dict__["_timeline_memo"] = {}
    return ticket


def _timeline(ticket: Ticket, masked: bool) -> list[TimelineEntry]:
    text = mask_free_text if masked else str
    entries = []
    records = list(ticket.history.select_related("history_user").order_by("history_date", "history_id"))
    previous = None
    for record in records:
        who = record.history_user.display_name if record.history_user else _("system")
        who = _who(who, record.history_change_reason)
        if previous is None:
            entries.append(TimelineEntry(record.history_date, who, "created", _("Ticket logged")))
        else:
            delta = record.diff_against(previous, excluded_fields=_SKIPPED_FIELDS)
            details = [
                (
                    _label(change.field),
                    _value(change.field, change.old, masked),
                    _value(change.field, change.new, masked),
                )
                for change in delta.changes
            ]
            if details:
                entries.append(
                    TimelineEntry(record.history_date, who, "changed", _("Fields changed"), details)
                )
        previous = record
    for change in ticket.stage_changes.select_related("changed_by"):
        entries.append(
            TimelineEntry(
                change.changed_at,
                _who(change.changed_by.display_name, change.reason),
                "stage",
                _("Stage: %(from)s → %(to)s")
                % {"from": Stage(change.from_stage).label, "to": Stage(change.to_stage).label},
                text=text(without_via_api(change.reason)),
            )
        )
    for note in _clarifications(ticket):
        entries.append(
            TimelineEntry(
                note.added_at,
                note.added_by.display_name,
                "clarification",
                _("Clarification added"),
                text=text(note.text),
            )
        )
    entries.sort(key=lambda entry: entry.at, reverse=True)
    return entries


def _clarifications(ticket: Ticket):
    """The ticket page prefetches them (with who added each) for its own list: use those when there."""
    if "clarifications" in getattr(ticket, "_prefetched_objects_cache", {}):
        return ticket.clarifications.all()
    return ticket.clarifications.select_related("added_by")
