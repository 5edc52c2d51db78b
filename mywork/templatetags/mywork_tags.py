from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from toolkit.choices import SlaState
from toolkit.notifications import format_minutes

register = template.Library()

SLA_CLASSES = {
    SlaState.OK: "text-bg-success",
    SlaState.AT_RISK: "text-bg-warning",
    SlaState.BREACHED: "text-bg-danger",
}


@register.simple_tag
def sla_left(state, due_at):
    """(badge class, state label, "2 h left" / "overdue by 2 h", overdue?) from the row's values; no query."""
    try:
        state = SlaState(state)
    except ValueError:  # no SLA targets
        return None
    if due_at is None:
        return (SLA_CLASSES[state], state.label, "", False)
    seconds = (due_at - timezone.now()).total_seconds()
    duration = format_minutes(max(1, round(abs(seconds) / 60)))
    if seconds > 0:
        return (SLA_CLASSES[state], state.label, _("%(duration)s left") % {"duration": duration}, False)
    return (SLA_CLASSES[state], state.label, _("overdue by %(duration)s") % {"duration": duration}, True)


@register.filter
def when(value) -> str:
    """A day as 2026-03-12, a moment to the minute in local time (2026-03-12 14:30); "" for none."""
    if value is None or value == "":
        return ""
    if isinstance(value, datetime):
        return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"
    return f"{value:%Y-%m-%d}"
