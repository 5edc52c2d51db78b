"""What happened to a ticket, for whoever listens (outbound webhooks): one signal, sent by the services.

``ticket_event`` is sent with ``event`` (one of TICKET_EVENTS), ``ticket`` and ``data`` (plain values:
changed field names, the new stage, the SLA target, the design's decision). The core never imports a
listener: a feature app (``hooks``) connects its receiver in its AppConfig.ready(), and with nobody
connected a send costs one check.

Sent inside the service's transaction: a receiver records what it needs in that same transaction and
does its own sending after commit, so a rolled-back change tells nobody and a committed one cannot be
lost between the two. A receiver that raises is logged (``send_robust``), never the caller's failure;
receivers wrap their writes in a savepoint so a database error cannot spoil the caller's transaction.
"""

import logging

from django.dispatch import Signal

logger = logging.getLogger(__name__)

TICKET_CREATED = "ticket.created"
TICKET_UPDATED = "ticket.updated"
TICKET_STAGE_CHANGED = "ticket.stage_changed"
TICKET_PRIORITY_CHANGED = "ticket.priority_changed"
TICKET_REPLIED = "ticket.replied"
SLA_WARNING = "sla.warning"
SLA_BREACHED = "sla.breached"
DESIGN_DECIDED = "design.decided"

TICKET_EVENTS = (
    TICKET_CREATED,
    TICKET_UPDATED,
    TICKET_STAGE_CHANGED,
    TICKET_PRIORITY_CHANGED,
    TICKET_REPLIED,
    SLA_WARNING,
    SLA_BREACHED,
    DESIGN_DECIDED,
)

ticket_event = Signal()
# Sent with reminder_ids by the SLA scan (sla_reminders below).
sla_reminders_recorded = Signal()


def emit(event: str, *, ticket, **data) -> None:
    """Tell the listeners that ``event`` happened to ``ticket`` (call it inside the change's transaction)."""
    if event not in TICKET_EVENTS:
        raise ValueError(f"unknown ticket event {event!r}")
    if not ticket_event.has_listeners():
        return
    for receiver, outcome in ticket_event.send_robust(
        sender=type(ticket), event=event, ticket=ticket, data=data
    ):
        if isinstance(outcome, Exception):
            logger.error("Ticket event %s of %s: receiver %r failed: %s", event, ticket.pk, receiver, outcome)


def ticket_updated(ticket, *, changed, priority_before: str) -> None:
    """ticket_update's one call: ``ticket.updated`` with the changed fields, and
    ``ticket.priority_changed`` as well when the priority moved."""
    emit(TICKET_UPDATED, ticket=ticket, changed=sorted(changed))
    if ticket.priority != priority_before:
        emit(TICKET_PRIORITY_CHANGED, ticket=ticket, priority_before=priority_before)


def sla_reminders(reminder_ids) -> None:
    """The SLA scan's one call: the reminders it recorded, for listeners to tell as ``sla.warning`` or
    ``sla.breached`` (``sla_event``). Costs the scan no query: a listener loads what it needs, if anything."""
    if not reminder_ids or not sla_reminders_recorded.has_listeners():
        return
    for receiver, outcome in sla_reminders_recorded.send_robust(sender=None, reminder_ids=list(reminder_ids)):
        if isinstance(outcome, Exception):
            logger.error("SLA reminders %s: receiver %r failed: %s", reminder_ids, receiver, outcome)


def sla_event(reminder) -> str:
    """The event a reminder is: ``sla.breached`` at the breach threshold, else ``sla.warning``."""
    from .sla import BREACH_THRESHOLD

    return SLA_BREACHED if reminder.threshold >= BREACH_THRESHOLD else SLA_WARNING
