"""Chapter 4 pages. One page per ticket; every change answers with the refreshed plan block under htmx,
or redirects back to the page without JavaScript (see toolkit.pages)."""

from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from attachments.selectors import attachments_for
from attachments.services import attachments_add
from jobs.http import export_response
from toolkit.models import Ticket
from toolkit.pages import RowViews, TicketPage, export_refused

from . import exports, services
from .forms import ProgressForm, TaskForm
from .models import Task
from .selectors import (
    VIEW_PERMISSION,
    approved_option,
    parse_week,
    plan_from,
    tasks_with_log,
    tickets_in_implementation,
    week_label,
)
from .timeline import build_timeline

ADD_TASK = "tracking.add_task"
CHANGE_TASK = "tracking.change_task"
DELETE_TASK = "tracking.delete_task"
LOG_PROGRESS = "tracking.add_progressentry"
# Tickets in implementation at once are tens, not thousands; the cap keeps the page bounded anyway.
OVERVIEW_LIMIT = 300


def _ticket(number):
    return get_object_or_404(Ticket.objects.select_related("customer", "owner"), number=number)


def _page_url(ticket):
    return reverse("tracking:plan", kwargs={"number": ticket.number})


def _task_form(ticket, data=None, instance=None):
    if instance is None:
        action = reverse("tracking:task_add", kwargs={"number": ticket.number})
        return TaskForm(
            data, ticket=ticket, action=action, form_id="task-add-form", submit_label=_("Add task")
        )
    action = reverse("tracking:task_edit", kwargs={"number": ticket.number, "pk": instance.pk})
    return TaskForm(
        data, ticket=ticket, instance=instance, action=action, form_id=f"task-edit-form-{instance.pk}"
    )


def _render(request, ticket, *, status=200, notice="", **forms):
    """The page (or, under htmx, just the plan block) with fresh data and any bound forms given."""
    tasks = list(tasks_with_log(ticket))
    plan = plan_from(tasks)
    editing = forms.pop("edit_form", None)
    can_add = request.user.has_perm(ADD_TASK)
    context = {
        "ticket": ticket,
        "plan": plan,
        "timeline": build_timeline(plan),
        "approved_option": approved_option(ticket) if not tasks else None,
        "can_add": can_add,
        "can_edit": request.user.has_perm(CHANGE_TASK),
        "can_delete": request.user.has_perm(DELETE_TASK),
        "can_log": request.user.has_perm(LOG_PROGRESS),
        "can_export": request.user.has_perm(exports.EXPORT_PERMISSION),
        "can_complete": services.can_complete(tasks, ticket) and request.user.has_perm(CHANGE_TASK),
        "task_form": (forms.pop("task_form", None) or _task_form(ticket))
        if can_add and editing is None
        else None,
        "edit_form": editing,
        "editing_pk": editing.instance.pk if editing is not None else None,
        "progress_errors": forms.pop("progress_errors", None),
        "progress_form": ProgressForm(),
        # The files of every progress entry on the page, in one query.
        "entry_files": attachments_for(entry for task in tasks for entry in task.progress_entries.all()),
        "this_week": week_label(plan.today),
        "notice": notice,
    }
    template = "tracking/_plan.html" if request.htmx else "tracking/plan.html"
    return render(request, template, context, status=status)


page = TicketPage(render=_render, url=_page_url)


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def plan_page(request, number):
    return _render(request, _ticket(number))


@require_POST
@permission_required(ADD_TASK, raise_exception=True)
def plan_generate(request, number):
    ticket = _ticket(number)
    try:
        tasks = services.plan_generate(ticket=ticket, by=request.user)
    except ValidationError as error:
        return page.action_failed(request, ticket, error)
    return page.done(
        request, ticket, _("Plan generated: %(count)d tasks and milestones.") % {"count": len(tasks)}
    )


tasks = RowViews(
    page=page,
    ticket=_ticket,
    rows=lambda ticket: Task.objects.filter(ticket=ticket),
    form=_task_form,
    form_keys=("task_form", "edit_form"),
    perms=(ADD_TASK, CHANGE_TASK, DELETE_TASK),
    create=lambda *, ticket, by, data: services.task_create(ticket=ticket, by=by, **data),
    update=lambda *, row, by, data: services.task_update(task=row, by=by, **data),
    delete=lambda *, row, by: services.task_delete(task=row, by=by),
    added=lambda task: _("Task “%(name)s” added.") % {"name": task.name},
    deleted=lambda task: _("Task “%(name)s” deleted.") % {"name": task.name},
)
task_add = tasks.add_view()
task_edit = tasks.edit_view()
task_delete = tasks.delete_view()


@require_POST
@permission_required(LOG_PROGRESS, raise_exception=True)
def progress_add(request, number, pk):
    ticket = _ticket(number)
    task = get_object_or_404(Task, pk=pk, ticket=ticket)
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            _log_progress(ticket, task, request.user, dict(form.cleaned_data))
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return page.done(request, ticket, _("Progress of “%(name)s” logged.") % {"name": task.name})
    return page.failed(request, ticket, progress_errors={"pk": task.pk, "form": form})


@transaction.atomic
def _log_progress(ticket, task, user, data):
    """The entry and its files together: a refused file logs neither."""
    files = data.pop("files", [])
    entry = services.progress_log(task=task, by=user, **data)
    attachments_add(ticket=ticket, files=files, by=user, target=entry)


@require_POST
@permission_required(CHANGE_TASK, raise_exception=True)
def plan_complete(request, number):
    ticket = _ticket(number)
    try:
        services.plan_complete(ticket=ticket, by=request.user)
    except ValidationError as error:
        return page.action_failed(request, ticket, error)
    return page.done(request, ticket, _("Implementation complete: the ticket moved to Evaluation."))


@require_GET
@permission_required(exports.EXPORT_PERMISSION, raise_exception=True)
def plan_export(request, number):
    ticket = _ticket(number)
    # The file now, or 303 to a background job's page when the plan has more than EXPORT_INLINE_MAX_ROWS.
    return export_response(request, name=exports.PLAN_EXPORT, params={"ticket": ticket.number})


@require_GET
@permission_required(exports.EXPORT_PERMISSION, raise_exception=True)
def weekly_export(request):
    week = request.GET.get("week", "")
    try:
        monday, sunday = parse_week(week)
    except ValueError:
        return export_refused(
            request,
            heading=_("The week is not valid"),
            problems=[
                _("“%(week)s” is not a week. Give it as year and ISO week number, for example 2026-W48.")
                % {"week": week}
            ],
            back_url=reverse("tracking:overview"),
            back_label=_("Implementation tracking"),
        )
    return export_response(request, name=exports.WEEKLY_EXPORT, params={"monday": monday.isoformat()})


@require_GET
@permission_required(VIEW_PERMISSION, raise_exception=True)
def overview(request):
    """Tickets in implementation, most overdue first, and the weekly report."""
    return render(
        request,
        "tracking/overview.html",
        {
            "tickets": tickets_in_implementation()[:OVERVIEW_LIMIT],
            "this_week": week_label(timezone.localdate()),
            "can_export": request.user.has_perm(exports.EXPORT_PERMISSION),
        },
    )
