"""Template side of the evaluation page: the colours of its badges."""

from django import template

from toolkit.badges import BadgeStyle, badge_style_register

from ..models import ActionStatus

register = template.Library()

# Badge colours of this chapter's choices for the core's {% badge %} tag. Django imports every
# template library when its template engine starts, so these are declared before any page renders.
badge_style_register(
    "action_status",
    BadgeStyle(
        ActionStatus,
        {ActionStatus.DONE: "text-bg-success", ActionStatus.IN_PROGRESS: "text-bg-primary"},
        fallback="text-bg-light border",
    ),
)
