"""Display helpers of the implementation plan (choice badges are the core's {% badge %} tag)."""

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from toolkit.badges import BadgeStyle, badge_html, badge_style_register

from ..models import TaskStatus

register = template.Library()

# Badge colours of this chapter's choices for the core's {% badge %} tag. Django imports every
# template library when its template engine starts, so these are declared before any page renders.
badge_style_register(
    "task_status",
    BadgeStyle(
        TaskStatus,
        {
            TaskStatus.NOT_STARTED: "text-bg-secondary",
            TaskStatus.IN_PROGRESS: "text-bg-primary",
            TaskStatus.BLOCKED: "text-bg-danger",
            TaskStatus.DONE: "text-bg-success",
            TaskStatus.DELAYED: "text-bg-warning",
        },
        css="task-status",
        data="status",
    ),
)

# SVG fills of the actual bar, by status (print in colour and in grey alike).
STATUS_FILLS = {
    TaskStatus.NOT_STARTED: "#6c757d",
    TaskStatus.IN_PROGRESS: "#0d6efd",
    TaskStatus.BLOCKED: "#dc3545",
    TaskStatus.DONE: "#198754",
    TaskStatus.DELAYED: "#fd7e14",
}


@register.filter
def status_fill(status):
    return STATUS_FILLS.get(status, "#6c757d")


def variance_text(days: int) -> str:
    if days > 0:
        return ngettext("%(days)d day behind", "%(days)d days behind", days) % {"days": days}
    if days < 0:
        return ngettext("%(days)d day ahead", "%(days)d days ahead", -days) % {"days": -days}
    return _("on plan")


@register.simple_tag
def variance_badge(days):
    """Days behind (red), ahead (green) or on plan (grey), with the number in data-days for tests."""
    css = "text-bg-danger" if days > 0 else "text-bg-success" if days < 0 else "text-bg-light border"
    return badge_html(css=f"{css} variance", label=variance_text(days), data="days", value=days)
