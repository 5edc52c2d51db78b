"""Display helpers of the requirement analysis page (its badges are the core's {% badge %} tag)."""

from django import template

from toolkit.badges import BadgeStyle, badge_style_register

from ..exports import constraint_display
from ..models import ConfirmationStatus, MoSCoW, RequirementKind

register = template.Library()

# Badge colours of this chapter's choices for the core's {% badge %} tag. Django imports every
# template library when its template engine starts, so these are declared before any page renders.
badge_style_register(
    "moscow",
    BadgeStyle(
        MoSCoW,
        {
            MoSCoW.MUST: "text-bg-danger",
            MoSCoW.SHOULD: "text-bg-warning",
            MoSCoW.COULD: "text-bg-info",
            MoSCoW.WONT: "text-bg-secondary",
        },
        css="moscow-badge",
        data="moscow",
    ),
)
badge_style_register(
    "requirement_kind",
    BadgeStyle(
        RequirementKind,
        {
            RequirementKind.EXPLICIT: "text-bg-primary",
            RequirementKind.IMPLICIT: "text-bg-light border",
            RequirementKind.CONSTRAINT: "text-bg-dark",
        },
        fallback="text-bg-light",
    ),
)
badge_style_register(
    "confirmation",
    BadgeStyle(
        ConfirmationStatus,
        {
            ConfirmationStatus.PENDING: "text-bg-light border",
            ConfirmationStatus.CONFIRMED: "text-bg-success",
            ConfirmationStatus.DISPUTED: "text-bg-danger",
        },
        fallback="text-bg-light",
        data="status",
    ),
)


@register.filter
def constraint_value(item):
    return constraint_display(item)
