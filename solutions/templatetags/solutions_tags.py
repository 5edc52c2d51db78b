"""Display helpers of the solution design page (its badges are the core's {% badge %} tag)."""

from django import template

from toolkit.badges import BadgeStyle, badge_style_register

from ..models import CoverageLevel, DesignStatus, Level

register = template.Library()

# Badge colours of this chapter's choices for the core's {% badge %} tag. Django imports every
# template library when its template engine starts, so these are declared before any page renders.
badge_style_register(
    "risk_level",
    BadgeStyle(
        Level,
        {Level.LOW: "text-bg-success", Level.MEDIUM: "text-bg-warning", Level.HIGH: "text-bg-danger"},
    ),
)
badge_style_register(
    "design_status",
    BadgeStyle(
        DesignStatus,
        {
            DesignStatus.DRAFT: "text-bg-secondary",
            DesignStatus.SUBMITTED: "text-bg-primary",
            DesignStatus.APPROVED: "text-bg-success",
            DesignStatus.REJECTED: "text-bg-danger",
        },
        css="design-status",
        data="status",
    ),
)

COVERAGE_CLASSES = {
    CoverageLevel.FULL: "coverage-full bg-success-subtle",
    CoverageLevel.PARTIAL: "coverage-partial bg-warning-subtle",
    CoverageLevel.NONE: "coverage-none bg-danger-subtle",
}


@register.filter
def coverage_class(level):
    return COVERAGE_CLASSES.get(level, "coverage-unknown")


@register.filter
def coverage_label(level):
    return CoverageLevel(level).label if level else "—"
