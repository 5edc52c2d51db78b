from django import template
from django.utils.html import format_html

from ..exports import constraint_display
from ..models import ConfirmationStatus, MoSCoW, RequirementKind

register = template.Library()

MOSCOW_CLASSES = {
    MoSCoW.MUST: "text-bg-danger",
    MoSCoW.SHOULD: "text-bg-warning",
    MoSCoW.COULD: "text-bg-info",
    MoSCoW.WONT: "text-bg-secondary",
}
KIND_CLASSES = {
    RequirementKind.EXPLICIT: "text-bg-primary",
    RequirementKind.IMPLICIT: "text-bg-light border",
    RequirementKind.CONSTRAINT: "text-bg-dark",
}
STATUS_CLASSES = {
    ConfirmationStatus.PENDING: "text-bg-light border",
    ConfirmationStatus.CONFIRMED: "text-bg-success",
    ConfirmationStatus.DISPUTED: "text-bg-danger",
}


@register.simple_tag
def moscow_badge(item):
    return format_html(
        '<span class="badge {} moscow-badge" data-moscow="{}">{}</span>',
        MOSCOW_CLASSES.get(item.moscow, "text-bg-secondary"),
        item.moscow,
        item.get_moscow_display(),
    )


@register.simple_tag
def kind_badge(item):
    return format_html(
        '<span class="badge {}">{}</span>',
        KIND_CLASSES.get(item.kind, "text-bg-light"),
        item.get_kind_display(),
    )


@register.simple_tag
def status_badge(stakeholder):
    return format_html(
        '<span class="badge {}" data-status="{}">{}</span>',
        STATUS_CLASSES.get(stakeholder.status, "text-bg-light"),
        stakeholder.status,
        stakeholder.get_status_display(),
    )


@register.filter
def constraint_value(item):
    return constraint_display(item)
