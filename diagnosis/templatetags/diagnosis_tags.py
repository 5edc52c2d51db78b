from django import template
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from toolkit.choices import SlaClock, SlaState
from toolkit.notifications import format_minutes
from toolkit.privacy import can_see_contact_details, mask_contact_details, mask_person_name

register = template.Library()


@register.simple_tag(takes_context=True)
def contact_name(context, ticket):
    """The contact's name, masked unless the viewer may see contact details."""
    name = ticket.contact.name
    return name if can_see_contact_details(context["request"].user, ticket) else mask_person_name(name)


@register.simple_tag(takes_context=True)
def contact_details(context, ticket):
    value = ticket.contact_details
    return value if can_see_contact_details(context["request"].user, ticket) else mask_contact_details(value)


# ---------------------------------------------------------------- SLA

SLA_BADGE_CLASSES = {
    SlaState.OK: "text-bg-success",
    SlaState.AT_RISK: "text-bg-warning",
    SlaState.BREACHED: "text-bg-danger",
}


def sla_time_text(due_at, now=None) -> str:
    """ "2 h 5 min left" before the due time, "overdue by 2 h 5 min" after it; "" without a due time.

    Rounded to the nearest minute, at least 1 min, so the text never reads "0 min"."""
    if due_at is None:
        return ""
    seconds = (due_at - (now or timezone.now())).total_seconds()
    duration = format_minutes(max(1, round(abs(seconds) / 60)))
    if seconds > 0:
        return _("%(duration)s left") % {"duration": duration}
    return _("overdue by %(duration)s") % {"duration": duration}


@register.simple_tag
def sla_badge(state, due_at=None, stacked=False):
    """The SLA state as a coloured badge, with the time left or overdue when a due time is running.

    Works from values already on the row (Ticket.sla_state / sla_due_at, or one TicketSla): no query.
    Leave out due_at for a target that is met or on hold: then only the state shows. ``stacked`` puts
    the time under the badge (the narrow priority cell of the table). Written in Python, not an
    inclusion template: the table shows one per row."""
    try:
        state = SlaState(state)
    except ValueError:  # "" = no SLA targets
        return ""
    now = timezone.now()
    # f-strings with each text escaped, not format_html(): the table shows one badge per row.
    title, label = escape(_("SLA")), escape(state.label)
    badge = f'<span class="badge {SLA_BADGE_CLASSES[state]}" title="{title}">{label}</span>'
    time_text = sla_time_text(due_at, now)
    if time_text:
        colour = "text-danger" if due_at is not None and due_at <= now else "text-body-secondary"
        badge += f'{"<br>" if stacked else " "}<small class="sla-time {colour}">{escape(time_text)}</small>'
    block = " d-block mt-1" if stacked else ""
    return mark_safe(f'<span class="sla-badge{block}" data-sla="{state.value}">{badge}</span>')  # noqa: S308


@register.simple_tag
def sla_target_text(minutes, clock, working_day_minutes=None):
    """A target as people read it: 15 min, 2 h 5 min, 3 d 4 h on the 24×7 clock; on business hours
    whole working days count as such ("3 working days", "1 working day 2 h"), not as 24-hour days."""
    if minutes in (None, ""):
        return ""
    minutes = int(minutes)
    if clock == SlaClock.BUSINESS and working_day_minutes and minutes >= working_day_minutes:
        days, rest = divmod(minutes, working_day_minutes)
        text = ngettext("%(days)d working day", "%(days)d working days", days) % {"days": days}
        return f"{text} {format_minutes(rest)}" if rest else text
    return format_minutes(minutes)
