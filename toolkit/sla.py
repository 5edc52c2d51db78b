"""SLA engine: due times on the policy's clock, pauses, and the periodic scan. (Being written.)"""


def sla_start(ticket):
    """Create the ticket's response and resolution targets from its priority's policy."""
    raise NotImplementedError


def sla_record_response(ticket, *, at):
    """The first action on the ticket meets the first-response target."""
    raise NotImplementedError


def sla_on_stage_change(ticket, *, from_stage, to_stage, at):
    """On hold pauses the clock, leaving it resumes; closed meets resolution; cancelled stops both."""
    raise NotImplementedError


def sla_recompute(ticket):
    """Priority changed: due times again from the start, on the new policy, pauses excluded."""
    raise NotImplementedError


def sla_scan(*, now=None, batch_size=500) -> list[int]:
    """Targets whose next check has come: record reminders (once each), update states. Returns new Reminder ids."""
    raise NotImplementedError
