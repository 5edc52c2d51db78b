"""The ticket page's stage card and batch-incident proposal (diagnosis.stageflow, diagnosis.incidents)."""

from django import template
from django.utils.functional import Promise

from toolkit.choices import STAGE_SEQUENCE, Stage

from .. import incidents
from ..stage_forms import IncidentUpdateForm
from ..stageflow import stage_actions

register = template.Library()


def _progress(ticket) -> list[tuple[str, str | Promise, str]]:
    """The work stages with where the ticket is: (value, label, "done" / "current" / "todo")."""
    current = ticket.stage if ticket.stage in STAGE_SEQUENCE else None
    index = STAGE_SEQUENCE.index(Stage(current)) if current else -1
    steps: list[tuple[str, str | Promise, str]] = []
    for position, stage in enumerate(STAGE_SEQUENCE):
        state = "current" if position == index else "done" if position < index else "todo"
        steps.append((stage.value, stage.label, state))
    return steps


@register.inclusion_tag("diagnosis/_stage_card.html", takes_context=True)
def stage_card(context, ticket):
    user = context["request"].user
    return {
        "ticket": ticket,
        "actions": stage_actions(ticket, user) if user.has_perm("toolkit.change_ticket") else None,
        "can_change": user.has_perm("toolkit.change_ticket"),
        "progress": _progress(ticket),
        "csrf_token": context.get("csrf_token"),
        "request": context["request"],
    }


@register.inclusion_tag("diagnosis/_incident_proposal.html", takes_context=True)
def incident_proposal(context, ticket):
    user = context["request"].user
    can_change = user.has_perm("toolkit.change_ticket")
    return {
        "ticket": ticket,
        "proposal": incidents.incident_proposal(ticket) if can_change else None,
        "request": context["request"],  # for private_text: whether this viewer sees the text unmasked
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("diagnosis/_incident_update.html", takes_context=True)
def incident_update_form(context, parent):
    user = context["request"].user
    return {
        "parent": parent,
        "form": IncidentUpdateForm(),
        "available": user.has_perm("toolkit.change_ticket") and incidents.update_sender() is not None,
        "csrf_token": context.get("csrf_token"),
    }
