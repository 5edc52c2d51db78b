"""Small display helpers for the implementation plan."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ..models import TaskStatus

register = template.Library()

STATUS_CLASSES = {
    TaskStatus.NOT_STARTED: "text-bg-secondary",
    TaskStatus.IN_PROGRESS: "text-bg-primary",
    TaskStatus.BLOCKED: "text-bg-danger",
    TaskStatus.DONE: "text-bg-success",
    TaskStatus.DELAYED: "text-bg-warning",
}
# SVG fills of the actual bar, by status (print in colour and in grey alike).
STATUS_FILLS = {
    TaskStatus.NOT_STARTED: "#6c757d",
    TaskStatus.IN_PROGRESS: "#0d6efd",
    TaskStatus.BLOCKED: "#dc3545",
    TaskStatus.DONE: "#198754",
    TaskStatus.DELAYED: "#fd7e14",
}


@register.simple_tag
def task_status_badge(status):
    return format_html(
        '<span class="badge {} task-status" data-status="{}">{}</span>',
        STATUS_CLASSES[status],
        status,
        TaskStatus(status).label,
    )


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
    return format_html(
        '<span class="badge {} variance" data-days="{}">{}</span>', css, days, variance_text(days)
    )
