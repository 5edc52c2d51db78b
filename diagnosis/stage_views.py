"""The ticket page's stage and incident actions (issue 14 §6, §7): form → one service call → back to the
page, or, when a stage was started, to the page where that stage is worked."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from toolkit import services as core
from toolkit.choices import Stage
from toolkit.models import Ticket

from . import incidents
from .stage_forms import DuplicateForm, IncidentUpdateForm, StageMoveForm
from .stageflow import stage_page_url

change_required = permission_required("toolkit.change_ticket", raise_exception=True)


def _report(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _back_to_stage_card(ticket: Ticket):
    return redirect(f"{ticket.get_absolute_url()}#stage")


@require_POST
@change_required
def ticket_stage(request, number):
    """Move the ticket; a started stage opens on its chapter's page (ready to work)."""
    ticket = get_object_or_404(Ticket, number=number)
    form = StageMoveForm(request.POST, ticket=ticket)
    if not form.is_valid():
        _report(request, ValidationError([e for errors in form.errors.values() for e in errors]))
        return _back_to_stage_card(ticket)
    data = form.cleaned_data
    try:
        change = core.ticket_change_stage(
            ticket=ticket,
            to_stage=data["to_stage"],
            reason=data["reason"],
            by=request.user,
            back=data["back"],
            resolution=data["resolution"],
        )
    except ValidationError as error:
        _report(request, error)
        return _back_to_stage_card(ticket)
    messages.success(
        request,
        _("%(number)s moved to “%(stage)s”.")
        % {"number": ticket.number, "stage": Stage(change.to_stage).label},
    )
    if change.to_stage in Stage.open_stages() and not data["back"]:
        return redirect(stage_page_url(ticket, change.to_stage))
    return _back_to_stage_card(ticket)


@require_POST
@change_required
def ticket_duplicate(request, number):
    ticket = get_object_or_404(Ticket, number=number)
    form = DuplicateForm(request.POST, ticket=ticket)
    if not form.is_valid():
        _report(request, ValidationError([e for errors in form.errors.values() for e in errors]))
        return _back_to_stage_card(ticket)
    try:
        core.ticket_cancel_as_duplicate(
            ticket=ticket,
            duplicate_of=form.cleaned_data["duplicate_of"],
            by=request.user,
            reason=form.cleaned_data["reason"],
        )
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request,
            _("%(number)s cancelled as a duplicate of %(other)s.")
            % {"number": ticket.number, "other": form.cleaned_data["duplicate_of"].number},
        )
    return _back_to_stage_card(ticket)


@require_POST
@change_required
def incident_group(request, number):
    ticket = get_object_or_404(Ticket, number=number)
    try:
        parent, linked = incidents.incident_group(ticket=ticket, by=request.user)
    except ValidationError as error:
        _report(request, error)
        return redirect(ticket)
    messages.success(
        request,
        ngettext(
            "%(count)d ticket grouped under the parent incident %(number)s.",
            "%(count)d tickets grouped under the parent incident %(number)s.",
            linked,
        )
        % {"count": linked, "number": parent.number},
    )
    return redirect(f"{parent.get_absolute_url()}#incident")


@require_POST
@change_required
def incident_update(request, number):
    parent = get_object_or_404(Ticket, number=number)
    form = IncidentUpdateForm(request.POST)
    if not form.is_valid():
        _report(request, ValidationError([e for errors in form.errors.values() for e in errors]))
        return redirect(f"{parent.get_absolute_url()}#incident")
    try:
        sent = incidents.incident_update_post(
            parent=parent, body=form.cleaned_data["body"], by=request.user, token=form.cleaned_data["token"]
        )
    except ValidationError as error:
        _report(request, error)
    else:
        messages.success(
            request,
            ngettext(
                "Update posted to %(count)d ticket's customer.",
                "Update posted to the customers of %(count)d tickets.",
                sent,
            )
            % {"count": sent},
        )
    return redirect(f"{parent.get_absolute_url()}#incident")
