"""Chapter 5 pages. One page per ticket; every change answers with the refreshed evaluation block under
htmx, or redirects back to the page without JavaScript (see toolkit.pages)."""

import re

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from jobs.http import export_response
from toolkit.models import Ticket
from toolkit.pages import RowViews, TicketPage, export_refused

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
    ADD_ACTION,
    ADD_FOLLOW_UP,
    ADD_RECURRENCE,
    ADD_SURVEY,
    CHANGE_ACTION,
    CHANGE_FOLLOW_UP,
    CHANGE_VERIFICATION,
    DELETE_RECURRENCE,
    VERIFY,
    VIEW_PERMISSION,
    evaluation_page_data,
    ticket_for_page,
)

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
    context = evaluation_page_data(ticket_for_page(ticket.number), user=request.user)
    ticket, verification = context["ticket"], context["verification"]
    follow_up_editing = forms.pop("follow_up_edit_form", None)
    action_editing = forms.pop("action_edit_form", None)
    context |= {
        "verification_form": forms.pop("verification_form", None)
        or VerificationForm(
            initial={
                "method": verification.method if verification else "",
                "verified_at": _local_minute(verification.verified_at if verification else timezone.now()),
                "note": verification.note if verification else "",
            }
        ),
        "follow_up_form": forms.pop("follow_up_form", None)
        or FollowUpForm(
            initial={
                "due_at": _local_minute(services.follow_up_default_due(ticket)),
                "assignee": ticket.owner_id,
            },
            also_pk=ticket.owner_id,
        ),
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
            has_email=bool(context["contact_email"]),
            initial={"delivery": SurveyDelivery.EMAIL if context["contact_email"] else SurveyDelivery.SHOWN},
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
@permission_required([VERIFY, CHANGE_VERIFICATION], raise_exception=True)
def verify(request, number):
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
@permission_required(CHANGE_VERIFICATION, raise_exception=True)
def close(request, number):
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


def _follow_up_form(ticket, data, instance):
    if instance is None:
        return FollowUpForm(data, also_pk=ticket.owner_id)
    form = FollowUpForm(
        data,
        initial={"due_at": _local_minute(instance.due_at), "assignee": instance.assignee_id},
        also_pk=instance.assignee_id,
        auto_id="id_edit_followup_%s",
    )
    form.follow_up_pk = instance.pk
    return form


follow_ups = RowViews(
    page=page,
    ticket=_ticket,
    rows=lambda ticket: FollowUp.objects.filter(ticket=ticket, done_at__isnull=True),
    form=_follow_up_form,
    form_keys=("follow_up_form", "follow_up_edit_form"),
    perms=(ADD_FOLLOW_UP, CHANGE_FOLLOW_UP, CHANGE_FOLLOW_UP),
    required=(VIEW_PERMISSION,),
    create=lambda *, ticket, by, data: services.follow_up_schedule(ticket=ticket, by=by, **data),
    update=lambda *, row, by, data: services.follow_up_update(follow_up=row, by=by, **data),
    added=lambda follow_up: _("Follow-up visit scheduled."),
)
follow_up_add = follow_ups.add_view()
follow_up_edit = follow_ups.edit_view()


@require_POST
@view_required
@permission_required(CHANGE_FOLLOW_UP, raise_exception=True)
def follow_up_done(request, number, pk):
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


recurrences = RowViews(
    page=page,
    ticket=_ticket,
    rows=lambda ticket: Recurrence.objects.filter(original=ticket),
    form=lambda ticket, data, instance: RecurrenceForm(data),
    form_keys=("recurrence_form", ""),
    perms=(ADD_RECURRENCE, "", DELETE_RECURRENCE),
    required=(VIEW_PERMISSION,),
    create=lambda *, ticket, by, data: services.recurrence_link(
        original=ticket, new_ticket=data["new_ticket"], by=by, note=data["note"]
    ),
    delete=lambda *, row, by: services.recurrence_unlink(recurrence=row, by=by),
    added=lambda link: _("%(number)s linked as a recurrence.") % {"number": link.new_ticket.number},
    deleted=lambda link: _("Recurrence link removed."),
)
recurrence_add = recurrences.add_view()
recurrence_delete = recurrences.delete_view()


# ---------------------------------------------------------------- improvement actions


def _action_form(ticket, data, instance):
    if instance is None:
        return ActionForm(data)
    form = ActionForm(
        data,
        initial={
            "description": instance.description,
            "owner": instance.owner_id,
            "due_date": instance.due_date,
            "status": instance.status,
        },
        also_pk=instance.owner_id,
        auto_id="id_edit_action_%s",
    )
    form.action_pk = instance.pk
    return form


actions = RowViews(
    page=page,
    ticket=_ticket,
    rows=lambda ticket: ImprovementAction.objects.filter(ticket=ticket),
    form=_action_form,
    form_keys=("action_form", "action_edit_form"),
    perms=(ADD_ACTION, CHANGE_ACTION, CHANGE_ACTION),
    required=(VIEW_PERMISSION,),
    create=lambda *, ticket, by, data: services.action_create(ticket=ticket, by=by, **data),
    update=lambda *, row, by, data: services.action_update(action=row, by=by, **data),
    added=lambda action: _("Improvement action added."),
)
action_add = actions.add_view()
action_edit = actions.edit_view()


@require_POST
@view_required
@permission_required(CHANGE_ACTION, raise_exception=True)
def action_done(request, number, pk):
    ticket = _ticket(number)
    action = get_object_or_404(ImprovementAction, pk=pk, ticket=ticket)
    services.action_done(action=action, by=request.user)
    return page.done(request, ticket, _("Improvement action done."))


# ---------------------------------------------------------------- survey links


@never_cache
@require_POST
@view_required
@permission_required(ADD_SURVEY, raise_exception=True)
def survey_create(request, number):
    """A link e-mailed to the contact, or shown once in this answer for sending by chat (only its hash is
    stored, and nobody sees it again): no redirect for the latter, even without JavaScript."""
    ticket = _ticket(number)
    form = SurveyCreateForm(request.POST, has_email=bool(services.contact_email(ticket)))
    if form.is_valid():
        try:
            new = services.survey_create(
                ticket=ticket,
                by=request.user,
                delivery=form.cleaned_data["delivery"],
                replace_reason=form.cleaned_data["reason"],
                language=form.cleaned_data["language"],
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
@permission_required(ADD_SURVEY, raise_exception=True)
def survey_void(request, number, pk):
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
@permission_required(exports.EXPORT_PERMISSION, raise_exception=True)
def report_export(request):
    month = parse_month(request.GET.get("month"))
    if month is None:
        return export_refused(
            request,
            heading=_("The month is not valid"),
            problems=[_("Give the month as YYYY-MM, e.g. 2026-03.")],
        )
    # The file now, or 303 to a background job's page above EXPORT_INLINE_MAX_ROWS tickets.
    return export_response(request, name=exports.MONTH_EXPORT, params={"year": month[0], "month": month[1]})


@require_GET
@view_required
@permission_required(exports.EXPORT_PERMISSION, raise_exception=True)
def ticket_export(request, number):
    return export_response(request, name=exports.TICKET_EXPORT, params={"ticket": number})
