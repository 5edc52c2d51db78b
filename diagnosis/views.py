"""Chapter 1 pages. Each view: permission check → form/FilterSet → one service or selector call."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch
from django.http import (
    FileResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from attachments.services import attachments_add
from toolkit import chapters
from toolkit import services as core
from toolkit.audit import contact_details_viewed
from toolkit.choices import SlaClock, ViewSurface
from toolkit.models import Clarification, Ticket
from toolkit.pages import export_refused
from toolkit.paginators import EstimatedCountPaginator

from . import bulk, exports, imports
from .forms import (
    ClarificationForm,
    ImportForm,
    LinkParentForm,
    SavedFilterForm,
    TicketEditForm,
    assignable_users,
)
from .models import SavedFilter
from .selectors import (
    incident_children,
    incident_comparison,
    similar_open_tickets,
    ticket_list,
    ticket_slas,
    working_day_minutes,
)
from .services import saved_filter_save
from .table_rows import table_rows
from .timeline import remember_timeline, ticket_timeline

view_required = permission_required("toolkit.view_ticket", raise_exception=True)
add_required = permission_required("toolkit.add_ticket", raise_exception=True)
change_required = permission_required("toolkit.change_ticket", raise_exception=True)


@require_GET
@view_required
def ticket_table(request):
    filterset = ticket_list(data=request.GET, user=request.user)
    # Exact up to TABLE_EXACT_COUNT_MAX matches, PostgreSQL's estimate above ("about N").
    paginator = EstimatedCountPaginator(filterset.qs, settings.DIAGNOSIS_PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    contact_details_viewed(user=request.user, tickets=page.object_list, surface=ViewSurface.TABLE)
    query = request.GET.copy()
    query.pop("page", None)
    can_bulk = request.user.has_perm("toolkit.change_ticket")
    context = {
        "filter": filterset,
        "page": page,
        "rows": table_rows(page.object_list, request.user, first_row=page.start_index(), can_bulk=can_bulk),
        "query_string": query.urlencode(),
        # Filters in use (the phone's folded "Filters" button says how many).
        "filters_used": sum(1 for name in filterset.form.fields if name != "sort" and query.get(name)),
        "saved_filters": SavedFilter.objects.filter(user=request.user),
        "saved_filter_form": SavedFilterForm(initial={"query_string": query.urlencode()}),
        "can_save_filters": request.user.has_perm("diagnosis.add_savedfilter"),
        "can_bulk": can_bulk,
        "bulk_form": bulk.BulkActionForm(owners=assignable_users()) if can_bulk else None,
        "bulk_max": bulk.bulk_max_tickets(),
    }
    template = "diagnosis/_table.html" if request.htmx else "diagnosis/ticket_list.html"
    return render(request, template, context)


@require_POST
@change_required
def ticket_bulk(request):
    """One action on the ticked rows (or on every ticket matching the filter), all or nothing."""
    form = bulk.BulkActionForm(request.POST, owners=assignable_users())
    back = reverse("diagnosis:list")
    query = QueryDict(form.back_query()).urlencode()
    back = f"{back}?{query}" if query else back
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
        return redirect(back)
    data = form.cleaned_data
    action = bulk.BulkAction(data["action"])
    try:
        ids = bulk.bulk_selection(
            scope=data["scope"],
            ids=data["ticket"],
            query=data["query"],
            expected=data["expected"],
            user=request.user,
        )
        count = bulk.tickets_bulk_apply(
            ticket_ids=ids,
            action=action,
            by=request.user,
            owner=data["owner"],
            priority=data["priority"],
            to_stage=data["to_stage"],
            back=data["back"],
            parent=data.get("parent"),
            duplicate=data.get("duplicate"),
            reason=data["reason"],
        )
    except bulk.BulkRefused as refused:
        messages.error(request, bulk.refusal_message(refused, action=action, selected=len(ids)))
    except (ValidationError, PermissionDenied) as error:
        for message in getattr(error, "messages", None) or [str(error)]:
            messages.error(request, message)
    else:
        messages.success(
            request,
            ngettext(
                "“%(action)s” done for %(count)d ticket.",
                "“%(action)s” done for %(count)d tickets.",
                count,
            )
            % {"action": action.label, "count": count},
        )
    return redirect(back)


@require_GET
@add_required
def similar_tickets(request):
    matches = similar_open_tickets(
        description=request.GET.get("description", "")[:2000],
        error_message=request.GET.get("error_message", "")[:500],
        customer_name=request.GET.get("customer_name", "")[:200],
    )
    return render(request, "diagnosis/_similar.html", {"matches": matches})


@require_GET
@view_required
def ticket_detail(request, number):
    ticket = get_object_or_404(
        Ticket.objects.with_list_relations()
        # The chapters' cards read their one-to-one relations from this ticket (toolkit.chapters).
        .select_related("parent", *chapters.ticket_relations())
        .annotate(has_children=Exists(Ticket.objects.filter(parent=OuterRef("pk"))))
        .prefetch_related(Prefetch("clarifications", Clarification.objects.select_related("added_by"))),
        number=number,
    )
    remember_timeline(ticket)  # the page's history and the conversation card's read it once
    chapters.relations_loaded(ticket)
    children = list(incident_children(ticket)) if ticket.has_children else []
    slas = ticket_slas(ticket)
    context = {
        "ticket": ticket,
        "children": children,
        "comparison": incident_comparison(children, viewer=request.user) if children else [],
        "timeline": ticket_timeline(ticket, viewer=request.user),
        "slas": slas,
        # The other chapters' cards, in chapter order (toolkit.chapters).
        "chapter_panels": chapters.ticket_panels(ticket, request.user),
        "working_day_minutes": (
            working_day_minutes() if any(sla.clock == SlaClock.BUSINESS for sla in slas) else None
        ),
        "clarifications": ticket.clarifications.all(),
        "can_change": request.user.has_perm("toolkit.change_ticket"),
        # Only the moves this person may make (toolkit.permissions): the chapters' "start …" buttons (the
        # stage card works out its own, diagnosis.stageflow).
        "forward_stages": core.stages_allowed_to(
            user=request.user, ticket=ticket, stages=core.forward_stages(ticket.stage)
        ),
        "clarification_form": ClarificationForm(ticket=ticket),
        "link_form": LinkParentForm(
            ticket=ticket, initial={"parent_number": getattr(ticket.parent, "number", "")}
        ),
    }
    contact_details_viewed(user=request.user, tickets=[ticket], surface=ViewSurface.PAGE)
    return render(request, "diagnosis/ticket_detail.html", context)


@change_required
def ticket_edit(request, number):
    ticket = get_object_or_404(Ticket.objects.select_related("customer"), number=number)
    form = TicketEditForm(request.POST or None, instance=ticket, user=request.user)
    if request.method == "POST" and form.is_valid():
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in form.cleaned_data}
        changes.pop("reassign_reason", None)
        changes["suggested_priority"] = form.cleaned_data["suggested_priority"]
        changes["priority_override_reason"] = form.cleaned_data.get("priority_override_reason", "")
        try:
            core.ticket_update(
                ticket=Ticket.objects.get(pk=ticket.pk),
                by=request.user,
                reason=form.cleaned_data.get("reassign_reason", ""),
                **changes,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(ticket)
    contact_details_viewed(user=request.user, tickets=[ticket], surface=ViewSurface.EDIT)
    return render(request, "diagnosis/ticket_edit.html", {"ticket": ticket, "form": form})


def _post_action(request, number, form_class, action):
    """Shared shape of the small forms on the detail page: validate, act, report, go back."""
    ticket = get_object_or_404(Ticket, number=number)
    form = form_class(request.POST, request.FILES, ticket=ticket)
    if form.is_valid():
        try:
            action(ticket, form.cleaned_data)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("Saved."))
    else:
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, message)
    return redirect(ticket)


@require_POST
@change_required
def ticket_clarify(request, number):
    return _post_action(
        request,
        number,
        ClarificationForm,
        lambda ticket, data: _clarify(ticket, data, request.user),
    )


@transaction.atomic
def _clarify(ticket, data, user):
    """The clarification and its files together: a refused file adds neither."""
    clarification = core.ticket_add_clarification(ticket=ticket, text=data["text"], by=user)
    attachments_add(ticket=ticket, files=data["files"], by=user, target=clarification)
    return clarification


@require_POST
@change_required
def ticket_link(request, number):
    return _post_action(
        request,
        number,
        LinkParentForm,
        lambda ticket, data: core.ticket_link_parent(
            ticket=ticket, parent=data["parent_number"], by=request.user
        ),
    )


@require_GET
@permission_required("toolkit.export_ticket", raise_exception=True)
def ticket_export(request):
    filterset = ticket_list(data=request.GET, user=request.user)
    problems = [
        error if name == "__all__" else f"{name}: {error}"
        for name, errors in filterset.errors.items()
        for error in errors
    ]
    try:
        columns = exports.export_columns(request.GET)
    except exports.UnknownLayout:
        columns = None
        problems.append(_("layout: “document” (the document's 15 columns) or nothing (the full table)."))
    if problems:
        return export_refused(
            request,
            heading=_("Export not possible"),
            intro=_("The export uses the same filters as the table, and some of them are not valid:"),
            problems=problems,
            back_url=reverse("diagnosis:list"),
            back_label=_("Back to the table"),
        )
    if not exports.export_is_inline(filterset):
        job = exports.export_job_start(user=request.user, query_string=request.GET.urlencode())
        # 303: the browser follows with a GET to the job's page (progress, then the download link).
        response = HttpResponseRedirect(reverse("jobs:export_detail", args=[job.pk]))
        response.status_code = 303
        return response
    exported = exports.export_diagnosis_table(
        filterset=filterset, user=request.user, query_string=request.GET.urlencode(), columns=columns
    )
    return FileResponse(exported.file, as_attachment=True, filename=exported.filename)


@permission_required(["toolkit.import_ticket", "toolkit.add_ticket"], raise_exception=True)
def ticket_import(request):
    """Upload: size checked at once, then the import runs as a background job with its own page."""
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_job_start(
                upload=form.cleaned_data["file"], user=request.user, rows_are=form.cleaned_data["rows_are"]
            )
        except imports.ImportRejected as rejected:
            form.add_error("file", rejected.message)
        else:
            # 303: the browser fetches the job's page with GET (a reload does not upload again).
            response = HttpResponseRedirect(reverse("jobs:import_detail", args=[job.pk]))
            response.status_code = 303
            return response
    status = 400 if form.is_bound else 200
    return render(request, "diagnosis/ticket_import.html", {"form": form}, status=status)


@require_GET
@permission_required(["toolkit.import_ticket", "toolkit.add_ticket"], raise_exception=True)
def import_template(request):
    """The import's empty layout (title and headers in the page's language) to fill in and upload."""
    template = exports.import_template()
    return FileResponse(template.file, as_attachment=True, filename=template.filename)


@require_POST
@permission_required("diagnosis.add_savedfilter", raise_exception=True)
def saved_filter_create(request):
    form = SavedFilterForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Give the view a name."))
    saved = saved_filter_save(
        user=request.user, name=form.cleaned_data["name"], query_string=form.cleaned_data["query_string"]
    )
    messages.success(request, _("View “%(name)s” saved.") % {"name": saved.name})
    return redirect(f"{reverse('diagnosis:list')}?{saved.query_string}")


@require_POST
@permission_required("diagnosis.delete_savedfilter", raise_exception=True)
def saved_filter_delete(request, pk):
    saved = get_object_or_404(SavedFilter, pk=pk, user=request.user)
    saved.delete()
    messages.success(request, _("View “%(name)s” deleted.") % {"name": saved.name})
    return redirect("diagnosis:list")
