"""Chapter 3 pages. One page per ticket; every change answers with the refreshed design block under htmx,
or redirects back to the page without JavaScript."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jobs.http import export_response
from toolkit.models import Ticket
from toolkit.pages import RowViews, TicketPage

from . import exports, services
from .forms import (
    ChooseOptionForm,
    CoverageMatrixForm,
    DecisionForm,
    OptionForm,
    RiskForm,
    RollbackPlanForm,
    ScoreMatrixForm,
    criterion_formset,
)
from .models import Risk, SolutionOption
from .selectors import (
    ADD_OPTION,
    ADD_RISK,
    APPROVE_PERMISSION,
    CHANGE_COVERAGE,
    CHANGE_CRITERIA,
    CHANGE_DESIGN,
    CHANGE_OPTION,
    CHANGE_RISK,
    CHANGE_SCORES,
    DELETE_OPTION,
    DELETE_RISK,
    VIEW_PERMISSION,
    criteria_of,
    design_of,
    design_page_data,
    designs_awaiting_decision,
    requirements_of,
)

view_required = permission_required(VIEW_PERMISSION, raise_exception=True)


def _ticket(number):
    return get_object_or_404(Ticket.objects.select_related("customer"), number=number)


def _url(name, ticket, **kwargs):
    return reverse(f"solutions:{name}", kwargs={"number": ticket.number, **kwargs})


def _option_form(ticket, data=None, instance=None):
    if instance is None:
        return OptionForm(
            data, action=_url("option_add", ticket), form_id="option-add-form", submit_label=_("Add option")
        )
    return OptionForm(
        data,
        instance=instance,
        action=_url("option_edit", ticket, pk=instance.pk),
        form_id=f"option-edit-form-{instance.pk}",
    )


def _risk_form(ticket, data=None, instance=None):
    if instance is None:
        return RiskForm(
            data, action=_url("risk_add", ticket), form_id="risk-add-form", submit_label=_("Add risk")
        )
    return RiskForm(
        data,
        instance=instance,
        action=_url("risk_edit", ticket, pk=instance.pk),
        form_id=f"risk-edit-form-{instance.pk}",
    )


def _render(request, ticket, *, status=200, notice="", errors=None, **forms):
    """The page (or, under htmx, just the design block) with fresh data and any bound forms given."""
    design = design_of(ticket) or services.design_get_or_create(ticket=ticket)
    context = design_page_data(ticket, design=design, user=request.user)
    data = context["data"]
    option_editing = forms.pop("option_edit_form", None)
    risk_editing = forms.pop("risk_edit_form", None)
    score_form = forms.pop("score_form", None) or ScoreMatrixForm(
        options=data.options,
        rows=data.criteria,
        initial={
            ScoreMatrixForm.cell_name(entry.option.pk, criterion_id): value
            for entry in data.ranked
            for criterion_id, value in entry.scores.items()
        },
    )
    coverage_form = forms.pop("coverage_form", None) or CoverageMatrixForm(
        options=data.options,
        rows=[row.requirement for row in data.coverage_rows],
        initial={
            CoverageMatrixForm.cell_name(option.pk, row.requirement.pk): level
            for row in data.coverage_rows
            for option, level in row.cells
        },
    )
    context |= {
        "option_form": forms.pop("option_form", None) or _option_form(ticket),
        "option_edit_form": option_editing,
        "option_editing_pk": option_editing.instance.pk if option_editing is not None else None,
        "criteria_formset": forms.pop("criteria_formset", None) or criterion_formset(data.criteria),
        "score_form": score_form,
        "score_grid": score_form.grid(),
        "coverage_form": coverage_form,
        # Each requirement row beside its form fields: [(row, [(option, level, field)])].
        "coverage_table": [
            (
                row,
                [
                    (option, level, field)
                    for (option, level), (_o, field) in zip(row.cells, cells, strict=True)
                ],
            )
            for row, (_requirement, cells) in zip(data.coverage_rows, coverage_form.grid(), strict=True)
        ],
        "risk_form": forms.pop("risk_form", None)
        or (_risk_form(ticket) if context["can_add_risk"] else None),
        "risk_edit_form": risk_editing,
        "risk_editing_pk": risk_editing.instance.pk if risk_editing is not None else None,
        "rollback_form": forms.pop("rollback_form", None)
        or RollbackPlanForm(initial={"rollback_plan": design.rollback_plan}),
        "decision_form": forms.pop("decision_form", None) or DecisionForm(),
        "errors": errors or {},
        "notice": notice,
    }
    template = "solutions/_design.html" if request.htmx else "solutions/design.html"
    return render(request, template, context, status=status)


page = TicketPage(render=_render, url=lambda ticket: _url("design", ticket))


def _failed(request, ticket, *, section="", error=None, **forms):
    """Errors of a whole section (from a service, or a matrix's cells) are shown above that section."""
    errors = {section: error.messages} if error is not None else None
    return page.failed(request, ticket, errors=errors, **forms)


@require_GET
@permission_required(APPROVE_PERMISSION, raise_exception=True)
def approval_queue(request):
    return render(
        request, "solutions/approvals.html", {"designs": list(designs_awaiting_decision(request.user))}
    )


@require_GET
@view_required
def design_page(request, number):
    return _render(request, _ticket(number))


options = RowViews(
    page=page,
    ticket=_ticket,
    rows=lambda ticket: SolutionOption.objects.filter(ticket=ticket),
    form=_option_form,
    form_keys=("option_form", "option_edit_form"),
    perms=(ADD_OPTION, CHANGE_OPTION, DELETE_OPTION),
    required=(VIEW_PERMISSION,),
    create=lambda *, ticket, by, data: services.option_create(ticket=ticket, by=by, **data),
    update=lambda *, row, by, data: services.option_update(option=row, by=by, **data),
    delete=lambda *, row, by: services.option_delete(option=row, by=by),
    added=lambda option: _("%(label)s added.") % {"label": option.display_label},
    deleted=lambda option: _("%(label)s deleted.") % {"label": option.display_label},
    section="options",
)
option_add = options.add_view()
option_edit = options.edit_view()
option_delete = options.delete_view()


@require_POST
@view_required
@permission_required(CHANGE_DESIGN, raise_exception=True)
def option_choose(request, number):
    ticket = _ticket(number)
    form = ChooseOptionForm(request.POST)
    option = None
    if form.is_valid() and form.cleaned_data["option"]:
        option = get_object_or_404(SolutionOption, pk=form.cleaned_data["option"], ticket=ticket)
    try:
        services.option_choose(ticket=ticket, option=option, by=request.user)
    except ValidationError as error:
        return _failed(request, ticket, section="approval", error=error)
    if option is None:
        return page.done(request, ticket, _("No option chosen."))
    return page.done(request, ticket, _("%(label)s chosen.") % {"label": option.display_label})


@require_POST
@view_required
@permission_required(CHANGE_CRITERIA, raise_exception=True)
def criteria_save(request, number):
    ticket = _ticket(number)
    formset = criterion_formset(criteria_of(ticket), data=request.POST)
    if formset.is_valid():
        try:
            services.criteria_replace(ticket=ticket, rows=formset.rows(), by=request.user)
        except ValidationError as error:
            return _failed(request, ticket, section="criteria", error=error, criteria_formset=formset)
        return page.done(request, ticket, _("Criteria saved."))
    return _failed(request, ticket, criteria_formset=formset)


def _matrix_save(request, number, *, form_class, rows_of, save, section, form_key, notice):
    """Save the cells posted: the whole matrix (its form without JavaScript) or one cell (saved as it
    changes, issue 17 item 5). Cells not posted keep their value. The answer carries ``X-Autosave:
    saved`` or ``failed`` for the page's script; a one-cell answer shows the cells as stored, since
    its form holds no other cell's value."""
    ticket = _ticket(number)
    options = list(SolutionOption.objects.filter(ticket=ticket).order_by("number"))
    rows = rows_of(ticket)
    form = form_class(request.POST, options=options, rows=rows)
    one_cell = sum(1 for key in request.POST if key.startswith(f"{form_class.prefix_letter}-")) == 1
    shown = {} if one_cell else {form_key: form}
    saved = False
    if form.is_valid():
        posted = {
            cell: value
            for cell, value in form.values().items()
            if form_class.cell_name(*cell) in request.POST
        }
        try:
            save(ticket, posted, rows)
        except ValidationError as error:
            response = _failed(request, ticket, section=section, error=error, **shown)
        else:
            saved = True
            # One cell saved as it changed: the "all saved" indicator says so, not a notice.
            response = page.done(request, ticket, "" if one_cell and request.htmx else notice)
    else:
        response = _failed(
            request, ticket, section=section, error=ValidationError(form.cell_errors()), **shown
        )
    response["X-Autosave"] = "saved" if saved else "failed"
    return response


@require_POST
@view_required
@permission_required(CHANGE_SCORES, raise_exception=True)
def scores_save(request, number):
    return _matrix_save(
        request,
        number,
        form_class=ScoreMatrixForm,
        rows_of=lambda ticket: list(criteria_of(ticket)),
        save=lambda ticket, values, rows: services.scores_save(ticket=ticket, values=values, by=request.user),
        section="scores",
        form_key="score_form",
        notice=_("Scores saved."),
    )


@require_POST
@view_required
@permission_required(CHANGE_COVERAGE, raise_exception=True)
def coverage_save(request, number):
    return _matrix_save(
        request,
        number,
        form_class=CoverageMatrixForm,
        rows_of=lambda ticket: list(requirements_of(ticket)),
        save=lambda ticket, values, rows: services.coverage_save(
            ticket=ticket, values=values, requirement_ids={row.pk for row in rows}, by=request.user
        ),
        section="coverage",
        form_key="coverage_form",
        notice=_("Coverage saved."),
    )


risks = RowViews(
    page=page,
    ticket=_ticket,
    rows=lambda ticket: Risk.objects.filter(ticket=ticket),
    form=_risk_form,
    form_keys=("risk_form", "risk_edit_form"),
    perms=(ADD_RISK, CHANGE_RISK, DELETE_RISK),
    required=(VIEW_PERMISSION,),
    create=lambda *, ticket, by, data: services.risk_create(ticket=ticket, by=by, **data),
    update=lambda *, row, by, data: services.risk_update(risk=row, by=by, **data),
    delete=lambda *, row, by: services.risk_delete(risk=row, by=by),
    added=lambda risk: _("Risk added."),
    deleted=lambda risk: _("Risk deleted."),
    section="risks",
)
risk_add = risks.add_view()
risk_edit = risks.edit_view()
risk_delete = risks.delete_view()


@require_POST
@view_required
@permission_required(CHANGE_DESIGN, raise_exception=True)
def rollback_save(request, number):
    ticket = _ticket(number)
    form = RollbackPlanForm(request.POST)
    response, saved = None, False
    if form.is_valid():
        try:
            services.rollback_plan_save(
                ticket=ticket, text=form.cleaned_data["rollback_plan"], by=request.user
            )
        except ValidationError as error:
            response = _failed(request, ticket, section="rollback", error=error, rollback_form=form)
        else:
            saved = True
            response = page.done(request, ticket, _("Rollback plan saved."))
    response = response or _failed(request, ticket, rollback_form=form)
    response["X-Autosave"] = "saved" if saved else "failed"  # the plan saves as it changes
    return response


@require_POST
@view_required
@permission_required(CHANGE_DESIGN, raise_exception=True)
def design_submit(request, number):
    ticket = _ticket(number)
    try:
        services.design_submit(ticket=ticket, by=request.user)
    except ValidationError as error:
        return _failed(request, ticket, section="approval", error=error)
    return page.done(request, ticket, _("Design submitted for approval."))


@require_POST
@view_required
def design_decide(request, number):
    """Approve or reject (the button pressed says which). Who may decide is the service's rule."""
    ticket = _ticket(number)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return _failed(request, ticket, decision_form=form)
    comment = form.cleaned_data["comment"]
    decision = request.POST.get("decision")
    try:
        if decision == "approve":
            services.design_approve(ticket=ticket, by=request.user, comment=comment)
            notice = _("Design approved; the ticket moves to implementation.")
        elif decision == "reject":
            services.design_reject(ticket=ticket, by=request.user, comment=comment)
            notice = _("Design rejected and handed back for rework.")
        else:
            raise ValidationError(_("Approve or reject the design."))
    except ValidationError as error:
        return _failed(request, ticket, section="approval", error=error, decision_form=form)
    if request.htmx and decision == "approve":
        # The ticket changed stage: reload the whole page so its header shows the new stage.
        messages.success(request, notice)
        return HttpResponse(status=204, headers={"HX-Redirect": _url("design", ticket)})
    return page.done(request, ticket, notice)


@require_GET
@view_required
@permission_required(exports.EXPORT_PERMISSION, raise_exception=True)
def design_export(request, number):
    # The file now, or 303 to a background job's page above EXPORT_INLINE_MAX_ROWS options.
    return export_response(request, name=exports.COMPARISON_EXPORT, params={"ticket": _ticket(number).number})
