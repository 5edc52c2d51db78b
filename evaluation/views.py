"""Chapter 5 pages. One page per ticket; every change answers with the refreshed evaluation block under
htmx, or redirects back to the page without JavaScript (see toolkit.pages)."""

import re

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from toolkit.choices import Stage
from toolkit.models import Ticket
from toolkit.pages import TicketPage, require
from toolkit.permissions import can_change_stage
from toolkit.privacy import can_see_contact_details, mask_contact_details

from . import exports, services
from .forms import (
    DATETIME_LOCAL,
    ActionForm,
    CloseForm,
    FollowUpDoneForm,
    FollowUpForm,
    RecurrenceForm,
    SurveyCreateForm,
    SurveyVoidForm,
    VerificationForm,
)
from .models import FollowUp, ImprovementAction, Recurrence, Survey, SurveyDelivery
from .selectors import (
    VIEW_PERMISSION,
    actions_of,
    follow_ups_of,
    recurrence_candidates,
    recurrence_of_links,
    recurrences_of,
    results_of,
    surveys_of,
    ticket_for_page,
    verification_of,
)

VERIFY = "evaluation.add_verification"
CHANGE_VERIFICATION = "evaluation.change_verification"
ADD_FOLLOW_UP = "evaluation.add_followup"
CHANGE_FOLLOW_UP = "evaluation.change_followup"
ADD_RECURRENCE = "evaluation.add_recurrence"
DELETE_RECURRENCE = "evaluation.delete_recurrence"
ADD_ACTION = "evaluation.add_improvementaction"
CHANGE_ACTION = "evaluation.change_improvementaction"
ADD_SURVEY = "evaluation.add_survey"

MONTH_RE = re.compile(r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})")

view_required = permission_required(VIEW_PERMISSION, raise_exception=True)


def _ticket(number) -> Ticket:
    return get_object_or_404(Ticket.objects.select_related("customer", "owner"), number=number)


def _url(name, ticket, **kwargs):
    return reverse(f"evaluation:{name}", kwargs={"number": ticket.number, **kwargs})


def _local_minute(value):
    return timezone.localtime(value).replace(second=0, microsecond=0, tzinfo=None).strftime(DATETIME_LOCAL)


def _render(request, ticket, *, status=200, notice="", errors=None, **forms):
    """The page (or, under htmx, just the evaluation block) with fresh data and any bound forms given."""
    ticket = ticket_for_page(ticket.number)
    verification = verification_of(ticket)
    perms = request.user.get_all_permissions()
    reference = (
        services.recurrence_reference_time(ticket) if verification is None else verification.verified_at
    )
    follow_ups = list(follow_ups_of(ticket))
    follow_up_editing = forms.pop("follow_up_edit_form", None)
    action_editing = forms.pop("action_edit_form", None)
    email = services.contact_email(ticket)
    if email and not can_see_contact_details(request.user, ticket):
        email = mask_contact_details(email)
    surveys = list(surveys_of(ticket))
    now = timezone.now()
    pending = next((survey for survey in surveys if survey.is_usable(now)), None)
    can_void_survey = services.user_can_void_survey(request.user, ticket)
    verification_form = forms.pop("verification_form", None) or VerificationForm(
        initial={
            "method": verification.method if verification else "",
            "verified_at": _local_minute(verification.verified_at if verification else timezone.now()),
            "note": verification.note if verification else "",
        }
    )
    follow_up_form = forms.pop("follow_up_form", None) or FollowUpForm(
        initial={
            "due_at": _local_minute(services.follow_up_default_due(ticket)),
            "assignee": ticket.owner_id,
        },
        also_pk=ticket.owner_id,
    )
    context = {
        "ticket": ticket,
        "results": results_of(ticket),
        "verification": verification,
        "follow_ups": follow_ups,
        "recurrences": list(recurrences_of(ticket)),
        "recurrence_of": list(recurrence_of_links(ticket)),
        "candidates": list(recurrence_candidates(ticket, reference_time=reference)),
        "reference_time": reference,
        "actions": list(actions_of(ticket)),
        "surveys": surveys,
        "pending_survey": pending,
        "survey_answered": any(survey.used_at for survey in surveys),
        "can_void_survey": can_void_survey,
        "contact_email": email,
        "now": now,
        "can_verify": ticket.stage != Stage.CANCELLED and {VERIFY, CHANGE_VERIFICATION} <= perms,
        "can_close": verification is not None
        and ticket.is_open
        and CHANGE_VERIFICATION in perms
        and can_change_stage(request.user, ticket, Stage.CLOSED),
        "can_add_follow_up": ADD_FOLLOW_UP in perms,
        "can_change_follow_up": CHANGE_FOLLOW_UP in perms,
        "can_link": ADD_RECURRENCE in perms and reference is not None,
        "can_unlink": DELETE_RECURRENCE in perms,
        "can_add_action": ADD_ACTION in perms,
        "can_change_action": CHANGE_ACTION in perms,
        "can_survey": ADD_SURVEY in perms
        and ticket.stage != Stage.CANCELLED
        and not any(survey.used_at for survey in surveys)
        and (pending is None or can_void_survey),
        "can_export": exports.EXPORT_PERMISSION in perms,
        "verification_form": verification_form,
        "follow_up_form": follow_up_form,
        "follow_up_edit_form": follow_up_editing,
        "follow_up_editing_pk": follow_up_editing.follow_up_pk if follow_up_editing is not None else None,
        "follow_up_done_form": forms.pop("follow_up_done_form", None),
        "follow_up_done_pk": forms.pop("follow_up_done_pk", None),
        "recurrence_form": forms.pop("recurrence_form", None) or RecurrenceForm(),
        "action_form": forms.pop("action_form", None) or ActionForm(initial={"owner": request.user.pk}),
        "action_edit_form": action_editing,
        "action_editing_pk": action_editing.action_pk if action_editing is not None else None,
        "survey_form": forms.pop("survey_form", None)
        or SurveyCreateForm(
            has_email=bool(email),
            initial={"delivery": SurveyDelivery.EMAIL if email else SurveyDelivery.SHOWN},
        ),
        "survey_void_form": forms.pop("survey_void_form", None) or SurveyVoidForm(),
        "new_link": forms.pop("new_link", ""),
        "close_form": forms.pop("close_form", None) or CloseForm(),
        "errors": errors or {},
        "notice": notice,
    }
    template = "evaluation/_evaluation.html" if request.htmx else "evaluation/evaluation.html"
    return render(request, template, context, status=status)


page = TicketPage(render=_render, url=lambda ticket: _url("page", ticket))


def _failed(request, ticket, *, section, error, **forms):
    return page.failed(request, ticket, errors={section: error.messages}, **forms)


@require_GET
@view_required
def evaluation_page(request, number):
    return _render(request, _ticket(number))


# ---------------------------------------------------------------- verification and closing


@require_POST
@view_required
def verify(request, number):
    require(request, VERIFY)
    require(request, CHANGE_VERIFICATION)
    ticket = _ticket(number)
    form = VerificationForm(request.POST)
    return page.save_form(
        request,
        ticket,
        form,
        save=lambda data: services.verification_record(ticket=ticket, by=request.user, **data),
        notice=_("Resolution verified."),
        form_key="verification_form",
    )


@require_POST
@view_required
def close(request, number):
    require(request, CHANGE_VERIFICATION)
    ticket = _ticket(number)
    form = CloseForm(request.POST)
    if not form.is_valid():
        return page.failed(request, ticket, close_form=form)
    try:
        services.ticket_close(ticket=ticket, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        return _failed(request, ticket, section="close", error=error, close_form=form)
    return page.done(request, ticket, _("Ticket closed."))


# ---------------------------------------------------------------- follow-up visits


@require_POST
@view_required
def follow_up_add(request, number):
    require(request, ADD_FOLLOW_UP)
    ticket = _ticket(number)
    form = FollowUpForm(request.POST, also_pk=ticket.owner_id)
    return page.save_form(
        request,
        ticket,
        form,
        save=lambda data: services.follow_up_schedule(ticket=ticket, by=request.user, **data),
        notice=_("Follow-up visit scheduled."),
        form_key="follow_up_form",
    )


def _follow_up_edit_form(data, follow_up):
    form = FollowUpForm(
        data,
        initial={"due_at": _local_minute(follow_up.due_at), "assignee": follow_up.assignee_id},
        also_pk=follow_up.assignee_id,
        auto_id="id_edit_followup_%s",
    )
    form.follow_up_pk = follow_up.pk
    return form


@view_required
def follow_up_edit(request, number, pk):
    require(request, CHANGE_FOLLOW_UP)
    ticket = _ticket(number)
    follow_up = get_object_or_404(FollowUp, pk=pk, ticket=ticket, done_at__isnull=True)
    return page.edit(
        request,
        ticket,
        follow_up,
        form_for=_follow_up_edit_form,
        save=lambda data: services.follow_up_update(follow_up=follow_up, by=request.user, **data),
        form_key="follow_up_edit_form",
        notice=_("Changes saved."),
    )


@require_POST
@view_required
def follow_up_done(request, number, pk):
    require(request, CHANGE_FOLLOW_UP)
    ticket = _ticket(number)
    follow_up = get_object_or_404(FollowUp, pk=pk, ticket=ticket, done_at__isnull=True)
    form = FollowUpDoneForm(request.POST)
    if form.is_valid():
        try:
            services.follow_up_done(
                follow_up=follow_up, by=request.user, outcome=form.cleaned_data["outcome"]
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return page.done(request, ticket, _("Follow-up visit done."))
    return page.failed(request, ticket, follow_up_done_form=form, follow_up_done_pk=follow_up.pk)


# ---------------------------------------------------------------- recurrences


@require_POST
@view_required
def recurrence_add(request, number):
    require(request, ADD_RECURRENCE)
    ticket = _ticket(number)
    form = RecurrenceForm(request.POST)
    return page.save_form(
        request,
        ticket,
        form,
        save=lambda data: services.recurrence_link(
            original=ticket, new_ticket=data["new_ticket"], by=request.user, note=data["note"]
        ),
        notice=lambda link: _("%(number)s linked as a recurrence.") % {"number": link.new_ticket.number},
        form_key="recurrence_form",
    )


@require_POST
@view_required
def recurrence_delete(request, number, pk):
    require(request, DELETE_RECURRENCE)
    ticket = _ticket(number)
    recurrence = get_object_or_404(Recurrence, pk=pk, original=ticket)
    services.recurrence_unlink(recurrence=recurrence, by=request.user)
    return page.done(request, ticket, _("Recurrence link removed."))


# ---------------------------------------------------------------- improvement actions


@require_POST
@view_required
def action_add(request, number):
    require(request, ADD_ACTION)
    ticket = _ticket(number)
    form = ActionForm(request.POST)
    return page.save_form(
        request,
        ticket,
        form,
        save=lambda data: services.action_create(ticket=ticket, by=request.user, **data),
        notice=_("Improvement action added."),
        form_key="action_form",
    )


def _action_edit_form(data, action):
    form = ActionForm(
        data,
        initial={
            "description": action.description,
            "owner": action.owner_id,
            "due_date": action.due_date,
            "status": action.status,
        },
        also_pk=action.owner_id,
        auto_id="id_edit_action_%s",
    )
    form.action_pk = action.pk
    return form


@view_required
def action_edit(request, number, pk):
    require(request, CHANGE_ACTION)
    ticket = _ticket(number)
    action = get_object_or_404(ImprovementAction, pk=pk, ticket=ticket)
    return page.edit(
        request,
        ticket,
        action,
        form_for=_action_edit_form,
        save=lambda data: services.action_update(action=action, by=request.user, **data),
        form_key="action_edit_form",
        notice=_("Changes saved."),
    )


@require_POST
@view_required
def action_done(request, number, pk):
    require(request, CHANGE_ACTION)
    ticket = _ticket(number)
    action = get_object_or_404(ImprovementAction, pk=pk, ticket=ticket)
    services.action_done(action=action, by=request.user)
    return page.done(request, ticket, _("Improvement action done."))


# ---------------------------------------------------------------- survey links


@never_cache
@require_POST
@view_required
def survey_create(request, number):
    """A link e-mailed to the contact, or shown once in this answer for sending by chat (only its hash is
    stored, and nobody sees it again): no redirect for the latter, even without JavaScript."""
    require(request, ADD_SURVEY)
    ticket = _ticket(number)
    form = SurveyCreateForm(request.POST, has_email=bool(services.contact_email(ticket)))
    if form.is_valid():
        try:
            new = services.survey_create(
                ticket=ticket,
                by=request.user,
                delivery=form.cleaned_data["delivery"],
                replace_reason=form.cleaned_data["reason"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if new.survey.delivery == SurveyDelivery.EMAIL:
                return page.done(request, ticket, _("Survey link sent to the contact by email."))
            notice = _("Survey link created. Copy it now and send it to the customer: it is shown only once.")
            return _render(request, ticket, notice=notice, new_link=new.url)
    return page.failed(request, ticket, survey_form=form)


@require_POST
@view_required
def survey_void(request, number, pk):
    require(request, ADD_SURVEY)
    ticket = _ticket(number)
    survey = get_object_or_404(Survey, pk=pk, ticket=ticket)
    form = SurveyVoidForm(request.POST)
    return page.save_form(
        request,
        ticket,
        form,
        save=lambda data: services.survey_void(survey=survey, by=request.user, reason=data["reason"]),
        notice=_("Survey link voided."),
        form_key="survey_void_form",
    )


# ---------------------------------------------------------------- exports


def parse_month(value: str | None):
    """ "YYYY-MM" → (year, month); empty → this month; anything else → None."""
    if not value:
        today = timezone.localdate()
        return today.year, today.month
    match = MONTH_RE.fullmatch(value)
    if match is None:
        return None
    year, month = int(match["year"]), int(match["month"])
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return year, month


@require_GET
@view_required
def report_export(request):
    require(request, exports.EXPORT_PERMISSION)
    month = parse_month(request.GET.get("month"))
    if month is None:
        return HttpResponseBadRequest(_("Give the month as YYYY-MM, e.g. 2026-03."))
    exported = exports.export_month(year=month[0], month=month[1], user=request.user)
    return FileResponse(exported.file, as_attachment=True, filename=exported.filename)


@require_GET
@view_required
def ticket_export(request, number):
    require(request, exports.EXPORT_PERMISSION)
    try:
        exported = exports.export_ticket(number=number, user=request.user)
    except Ticket.DoesNotExist:
        raise Http404 from None
    return FileResponse(exported.file, as_attachment=True, filename=exported.filename)
