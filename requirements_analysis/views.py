"""Chapter 2 pages. One page per ticket; every change answers with the refreshed analysis block under htmx,
or redirects back to the page without JavaScript."""

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from jobs.http import export_response
from toolkit.models import Ticket
from toolkit.pages import RowViews, TicketPage

from . import exports, services
from .forms import MoveForm, RequirementItemForm, ResponseForm, StakeholderForm
from .models import RequirementItem, Stakeholder
from .selectors import (
    consensus_from,
    items_in_order,
    ranked_items,
    stakeholders_of,
    user_can_read,
    user_can_respond,
)

ADD_ITEM = "requirements_analysis.add_requirementitem"
CHANGE_ITEM = "requirements_analysis.change_requirementitem"
DELETE_ITEM = "requirements_analysis.delete_requirementitem"
ADD_STAKEHOLDER = "requirements_analysis.add_stakeholder"
DELETE_STAKEHOLDER = "requirements_analysis.delete_stakeholder"
CHANGE_STAKEHOLDER = "requirements_analysis.change_stakeholder"


def _ticket(number):
    return get_object_or_404(Ticket.objects.select_related("customer", "owner"), number=number)


def _page_url(ticket):
    return reverse("requirements_analysis:analysis", kwargs={"number": ticket.number})


def _item_form(ticket, data=None, instance=None):
    """The add form (no instance) or the edit form of one item."""
    if instance is None:
        action = reverse("requirements_analysis:item_add", kwargs={"number": ticket.number})
        return RequirementItemForm(
            data, action=action, form_id="item-add-form", submit_label=_("Add requirement")
        )
    action = reverse("requirements_analysis:item_edit", kwargs={"number": ticket.number, "pk": instance.pk})
    return RequirementItemForm(
        data, instance=instance, action=action, form_id=f"item-edit-form-{instance.pk}"
    )


def _render(request, ticket, *, status=200, notice="", **forms):
    """The page (or, under htmx, just the analysis block) with fresh data and any bound forms given."""
    items = list(items_in_order(ticket))
    stakeholders = list(stakeholders_of(ticket))
    editing = forms.pop("edit_form", None)
    context = {
        "ticket": ticket,
        "items": items,
        "ranked": list(ranked_items(ticket)) if items else [],
        "stakeholders": stakeholders,
        "consensus": consensus_from(item_count=len(items), stakeholders=stakeholders),
        "can_add": request.user.has_perm(ADD_ITEM),
        "can_edit": request.user.has_perm(CHANGE_ITEM),
        "can_delete": request.user.has_perm(DELETE_ITEM),
        "can_manage_stakeholders": request.user.has_perm(ADD_STAKEHOLDER),
        "can_remove_stakeholders": request.user.has_perm(DELETE_STAKEHOLDER),
        "can_respond_for_all": request.user.has_perm(CHANGE_STAKEHOLDER),
        "can_export": request.user.has_perm(exports.EXPORT_PERMISSION),
        "item_form": forms.pop("item_form", None) or _item_form(ticket),
        "edit_form": editing,
        "editing_pk": editing.instance.pk if editing is not None else None,
        "stakeholder_form": forms.pop("stakeholder_form", None)
        or StakeholderForm(action=reverse("requirements_analysis:stakeholder_add", args=[ticket.number])),
        "response_errors": forms.pop("response_errors", None),
        "notice": notice,
    }
    template = (
        "requirements_analysis/_analysis.html" if request.htmx else "requirements_analysis/analysis.html"
    )
    return render(request, template, context, status=status)


page = TicketPage(render=_render, url=_page_url)


@require_GET
def analysis_page(request, number):
    ticket = _ticket(number)
    # A stakeholder with an account but no service role reads and answers here; nobody else without a role.
    if not user_can_read(request.user, ticket):
        raise PermissionDenied
    return _render(request, ticket)


items = RowViews(
    page=page,
    ticket=_ticket,
    rows=lambda ticket: RequirementItem.objects.filter(ticket=ticket),
    form=_item_form,
    form_keys=("item_form", "edit_form"),
    perms=(ADD_ITEM, CHANGE_ITEM, DELETE_ITEM),
    create=lambda *, ticket, by, data: services.requirement_item_create(ticket=ticket, by=by, **data),
    update=lambda *, row, by, data: services.requirement_item_update(
        item=row, by=by, **{name: data[name] for name in RequirementItemForm.Meta.fields}
    ),
    delete=lambda *, row, by: services.requirement_item_delete(item=row, by=by),
    added=lambda item: _("Requirement “%(summary)s” added.") % {"summary": item.summary},
    deleted=lambda item: _("Requirement “%(summary)s” deleted.") % {"summary": item.summary},
)
item_add = items.add_view()
item_edit = items.edit_view()
item_delete = items.delete_view()


@require_POST
@permission_required(CHANGE_ITEM, raise_exception=True)
def item_move(request, number, pk):
    ticket = _ticket(number)
    item = get_object_or_404(RequirementItem, pk=pk, ticket=ticket)
    form = MoveForm(request.POST)
    if not form.is_valid():
        return page.action_failed(request, ticket, ValidationError(_("Move an item up or down.")))
    try:
        services.requirement_item_move(item=item, direction=form.cleaned_data["direction"], by=request.user)
    except ValidationError as error:
        return page.action_failed(request, ticket, error)
    return page.done(request, ticket, _("Order saved."))


@require_POST
@permission_required(ADD_STAKEHOLDER, raise_exception=True)
def stakeholder_add(request, number):
    ticket = _ticket(number)
    form = StakeholderForm(
        request.POST, action=reverse("requirements_analysis:stakeholder_add", args=[ticket.number])
    )
    return page.save_form(
        request,
        ticket,
        form,
        save=lambda data: services.stakeholder_add(ticket=ticket, by=request.user, **data),
        notice=lambda stakeholder: _("Stakeholder %(name)s added.") % {"name": stakeholder.name},
        form_key="stakeholder_form",
    )


@require_POST
@permission_required(DELETE_STAKEHOLDER, raise_exception=True)
def stakeholder_remove(request, number, pk):
    ticket = _ticket(number)
    stakeholder = get_object_or_404(Stakeholder, pk=pk, ticket=ticket)
    try:
        services.stakeholder_remove(stakeholder=stakeholder, by=request.user)
    except ValidationError as error:
        return page.action_failed(request, ticket, error)
    return page.done(request, ticket, _("Stakeholder %(name)s removed.") % {"name": stakeholder.name})


@require_POST
def stakeholder_respond(request, number, pk):
    ticket = _ticket(number)
    stakeholder = get_object_or_404(Stakeholder, pk=pk, ticket=ticket)
    if not user_can_respond(request.user, stakeholder):
        raise PermissionDenied
    form = ResponseForm(request.POST)
    if form.is_valid():
        try:
            services.stakeholder_respond(
                stakeholder=stakeholder,
                status=form.cleaned_data["status"],
                comment=form.cleaned_data["comment"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            return page.done(request, ticket, _("Answer of %(name)s recorded.") % {"name": stakeholder.name})
    return page.failed(request, ticket, response_errors={"pk": stakeholder.pk, "form": form})


@require_GET
@permission_required(exports.EXPORT_PERMISSION, raise_exception=True)
def analysis_export(request, number):
    ticket = _ticket(number)
    # The file now, or 303 to a background job's page above EXPORT_INLINE_MAX_ROWS items.
    return export_response(request, name=exports.TABLE_EXPORT, params={"ticket": ticket.number})
