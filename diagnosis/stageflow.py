"""The ticket page's stage actions (issue 14 §6): the next sensible step as one primary button, the other
forward choices beside it, going back as a separate deliberate form, and where a started stage is worked.

Only moves the flow allows (toolkit.services.allowed_next_stages) and the person may make
(toolkit.permissions, through services.stages_allowed_to); the service checks both again on saving.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from toolkit import chapters
from toolkit import services as core
from toolkit.choices import STAGE_SEQUENCE, Stage
from toolkit.models import StageChange, Ticket

# Where each chapter's stage is worked: its page (a chapter that is not installed has none).
STAGE_PAGES = {
    Stage.ANALYSIS: "requirements_analysis:analysis",
    Stage.DESIGN: "solutions:design",
    Stage.IMPLEMENTATION: "tracking:plan",
    Stage.EVALUATION: "evaluation:page",
}


@dataclass(frozen=True)
class StageMove:
    to_stage: str
    label: str | Promise
    reason: str | Promise  # recorded as the move's reason (one click)


# From each work stage: the primary next step first, then the other forward choices.
NEXT_STEPS: dict[str, list[StageMove]] = {
    Stage.NEW: [StageMove(Stage.DIAGNOSIS, _("Start diagnosis"), _("Diagnosis started"))],
    Stage.DIAGNOSIS: [
        StageMove(Stage.ANALYSIS, _("Start requirement analysis"), _("Requirement analysis started")),
        StageMove(Stage.DESIGN, _("Go to solution design"), _("Solution design started")),
        StageMove(Stage.EVALUATION, _("Resolve directly"), _("Resolved directly after diagnosis")),
    ],
    Stage.ANALYSIS: [
        StageMove(Stage.DESIGN, _("Start solution design"), _("Solution design started")),
        StageMove(Stage.EVALUATION, _("Resolve directly"), _("Resolved without a solution design")),
    ],
    Stage.DESIGN: [StageMove(Stage.IMPLEMENTATION, _("Start implementation"), _("Implementation started"))],
    Stage.IMPLEMENTATION: [StageMove(Stage.EVALUATION, _("Start evaluation"), _("Implementation done"))],
    Stage.EVALUATION: [StageMove(Stage.CLOSED, _("Close the ticket"), _("Resolution verified; closed"))],
}


@dataclass
class StageActions:
    primary: StageMove | None = None
    secondary: list[StageMove] = field(default_factory=list)
    # Why there is no primary step yet, and where to take it (the chapter's page).
    waiting: str | Promise = ""
    waiting_url: str = ""
    back: list[tuple[str, str | Promise]] = field(default_factory=list)  # earlier stages: (value, label)
    reopen: bool = False  # the only way back from closed
    other: list[tuple[str, str | Promise]] = field(default_factory=list)  # hold, cancel: (value, label)
    can_cancel_as_duplicate: bool = False

    @property
    def any(self) -> bool:
        return bool(self.primary or self.secondary or self.back or self.other or self.can_cancel_as_duplicate)


def stage_page_url(ticket: Ticket, stage: str) -> str:
    """Where a just-started stage is worked: the chapter's page, else the ticket page."""
    name = STAGE_PAGES.get(Stage(stage)) if stage in Stage.values else None
    if name:
        try:
            return reverse(name, args=[ticket.number])
        except NoReverseMatch:
            pass
    return ticket.get_absolute_url()


def _stage_before_hold(ticket: Ticket) -> str:
    from_stage = (
        StageChange.objects.filter(ticket=ticket, to_stage=Stage.ON_HOLD)
        .order_by("-changed_at", "-id")
        .values_list("from_stage", flat=True)
        .first()
    )
    return from_stage if from_stage in STAGE_SEQUENCE and from_stage != Stage.CLOSED else Stage.DIAGNOSIS


def _provided(name: str, ticket: Ticket):
    try:
        return chapters.provided(name)(ticket)
    except LookupError:
        return None


def stage_actions(ticket: Ticket, user) -> StageActions:
    """What the stage card offers `user` on `ticket` (a few queries: permissions, the hold, the chapter)."""
    allowed = set(
        core.stages_allowed_to(user=user, ticket=ticket, stages=core.allowed_next_stages(ticket.stage))
    )
    actions = StageActions()
    if not allowed:
        return actions
    steps = [step for step in NEXT_STEPS.get(ticket.stage, []) if step.to_stage in allowed]
    waiting_for_approval = ticket.stage == Stage.DESIGN and _provided("approved_option", ticket) is None
    if waiting_for_approval and steps:
        # Implementation starts from the approved option (the approval moves the ticket itself).
        steps = []
        actions.waiting = _("Implementation starts when the chosen option is approved.")
        actions.waiting_url = stage_page_url(ticket, Stage.DESIGN)
    # A verified resolution moves an open ticket to evaluation (the evaluation chapter), so only there is
    # closing offered, and asked about (one query).
    verified = core.resolution_verified(ticket) if ticket.stage == Stage.EVALUATION else None
    if ticket.stage == Stage.EVALUATION and steps and not verified:
        steps = []
        actions.waiting = _("Verify the resolution before closing the ticket.")
        actions.waiting_url = stage_page_url(ticket, Stage.EVALUATION)
    if ticket.stage == Stage.ON_HOLD:
        resume = _stage_before_hold(ticket)
        if resume in allowed:
            steps = [StageMove(resume, _("Resume: %(stage)s") % {"stage": Stage(resume).label}, _("Resumed"))]
    if steps:
        actions.primary, actions.secondary = steps[0], steps[1:]
    offered = {step.to_stage for step in steps}
    actions.back = [
        (stage, Stage(stage).label)
        for stage in STAGE_SEQUENCE
        if stage in allowed and stage not in offered and core.is_backward(ticket.stage, stage)
    ]
    actions.reopen = ticket.stage == Stage.CLOSED and bool(actions.back)
    # Any other forward move (the middle stages are optional), then hold and cancel. Closing is offered
    # only once the resolution is verified (the service refuses it before).
    actions.other = [
        (stage, Stage(stage).label)
        for stage in [*STAGE_SEQUENCE, Stage.ON_HOLD, Stage.CANCELLED]
        if stage in allowed
        and stage not in offered
        and not core.is_backward(ticket.stage, stage)
        and (stage != Stage.CLOSED or verified)
        and not (stage == Stage.IMPLEMENTATION and waiting_for_approval)
    ]
    actions.can_cancel_as_duplicate = Stage.CANCELLED in allowed
    return actions
