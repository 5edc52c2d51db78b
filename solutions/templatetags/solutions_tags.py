"""Small display helpers for the solution design page."""

from django import template
from django.utils.html import format_html

from ..models import CoverageLevel, DesignStatus, Level

register = template.Library()

LEVEL_CLASSES = {Level.LOW: "text-bg-success", Level.MEDIUM: "text-bg-warning", Level.HIGH: "text-bg-danger"}
STATUS_CLASSES = {
    DesignStatus.DRAFT: "text-bg-secondary",
    DesignStatus.SUBMITTED: "text-bg-primary",
    DesignStatus.APPROVED: "text-bg-success",
    DesignStatus.REJECTED: "text-bg-danger",
}
COVERAGE_CLASSES = {
    CoverageLevel.FULL: "coverage-full bg-success-subtle",
    CoverageLevel.PARTIAL: "coverage-partial bg-warning-subtle",
    CoverageLevel.NONE: "coverage-none bg-danger-subtle",
}


@register.simple_tag
def level_badge(value):
    """A coloured badge for low / medium / high."""
    if not value:
        return ""
    return format_html('<span class="badge {}">{}</span>', LEVEL_CLASSES[value], Level(value).label)


@register.simple_tag
def status_badge(status):
    return format_html(
        '<span class="badge {} design-status" data-status="{}">{}</span>',
        STATUS_CLASSES[status],
        status,
        DesignStatus(status).label,
    )


@register.filter
def coverage_class(level):
    return COVERAGE_CLASSES.get(level, "coverage-unknown")


@register.filter
def coverage_label(level):
    return CoverageLevel(level).label if level else "—"
