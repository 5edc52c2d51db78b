"""The answer shape every chapter's per-ticket page shares (requirement analysis, solution design, …).

Each change is a POST that answers, under htmx, with the refreshed block of the page (errors included:
htmx swaps only 2xx answers by default, so a form with errors comes back as 200), and without
JavaScript with a redirect back to the page (success) or the page itself with status 400 (errors).

Permissions are checked by decorators on the views (``permission_required``), the one style every chapter
uses; RowViews applies them to the add/edit/delete views it makes.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST


def export_refused(request, *, heading, problems, intro="", back_url="", back_label=""):
    """The one answer to an export asked for with bad parameters (a week, a month, the table's filters):
    a translated page with status 400 saying what is wrong; no file, nothing logged."""
    context = {
        "heading": heading,
        "intro": intro,
        "problems": problems,
        "back_url": back_url,
        "back_label": back_label,
    }
    return render(request, "toolkit/export_refused.html", context, status=400)


class TicketPage:
    def __init__(self, *, render: Callable, url: Callable):
        """render(request, ticket, *, status=200, notice="", **context) → response; url(ticket) → page URL."""
        self.render = render
        self.url = url

    def done(self, request, ticket, notice: str):
        if request.htmx:
            return self.render(request, ticket, notice=notice)
        messages.success(request, notice)
        return redirect(self.url(ticket))

    def failed(self, request, ticket, **context):
        return self.render(request, ticket, status=200 if request.htmx else 400, **context)

    def action_failed(self, request, ticket, error: ValidationError):
        """A button (no form to show again) was refused: say why, above the block or as a message."""
        text = " ".join(error.messages)
        if request.htmx:
            return self.render(request, ticket, notice=text)
        messages.error(request, text)
        return redirect(self.url(ticket))

    def save_form(self, request, ticket, form, *, save: Callable, notice, form_key: str):
        """Validate form, then save(cleaned_data); a ValidationError from the service lands on the form.

        notice is the success message, or a callable taking save's result and returning it.
        """
        if form.is_valid():
            try:
                result = save(form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                return self.done(request, ticket, notice(result) if callable(notice) else notice)
        return self.failed(request, ticket, **{form_key: form})

    def edit(self, request, ticket, obj, *, form_for: Callable, save: Callable, form_key: str, notice: str):
        """GET: the block with obj's edit form open. POST: save through the service.

        form_for(data, instance) builds the form; it is given a fresh copy of obj so the form's own
        validation never changes the object the service compares against.
        """
        if request.method != "POST":
            return self.render(request, ticket, **{form_key: form_for(None, obj)})
        form = form_for(request.POST, type(obj).objects.get(pk=obj.pk))
        return self.save_form(request, ticket, form, save=save, notice=notice, form_key=form_key)


@dataclass(frozen=True)
class RowViews:
    """The add, edit and delete views of one kind of row on a chapter's ticket page (requirement items,
    options, risks, tasks, follow-up visits…). Each checks its permission, fetches the ticket and the row,
    calls the chapter's service and answers as the page does.

    form(ticket, data, instance) builds the add (instance None) or edit form; create(ticket, by, data),
    update(row, by, data) and delete(row, by) call the services. rows(ticket) is the queryset a row is
    fetched from (so another ticket's row is a 404). added / deleted(row) are the notices; a service's
    refusal to delete shows above ``section`` when given, else above the block.
    """

    page: TicketPage
    ticket: Callable
    rows: Callable
    form: Callable
    form_keys: tuple[str, str]
    perms: tuple[str, str, str]
    required: tuple[str, ...] = ()
    create: Callable | None = None
    update: Callable | None = None
    delete: Callable | None = None
    added: Callable | str = ""
    deleted: Callable | None = None
    section: str = ""

    def _permission(self, perm: str):
        return permission_required([*self.required, perm], raise_exception=True)

    def add_view(self):
        @require_POST
        @self._permission(self.perms[0])
        def add(request, number):
            ticket = self.ticket(number)
            return self.page.save_form(
                request,
                ticket,
                self.form(ticket, request.POST, None),
                save=lambda data: self.create(ticket=ticket, by=request.user, data=data),
                notice=self.added,
                form_key=self.form_keys[0],
            )

        return add

    def edit_view(self):
        @self._permission(self.perms[1])
        def edit(request, number, pk):
            ticket = self.ticket(number)
            row = get_object_or_404(self.rows(ticket), pk=pk)
            return self.page.edit(
                request,
                ticket,
                row,
                form_for=lambda data, instance: self.form(ticket, data, instance),
                save=lambda data: self.update(row=row, by=request.user, data=data),
                form_key=self.form_keys[1],
                notice=_("Changes saved."),
            )

        return edit

    def delete_view(self):
        @require_POST
        @self._permission(self.perms[2])
        def delete(request, number, pk):
            ticket = self.ticket(number)
            row = get_object_or_404(self.rows(ticket), pk=pk)
            notice = self.deleted(row)  # before the row is gone
            try:
                self.delete(row=row, by=request.user)
            except ValidationError as error:
                if self.section:
                    return self.page.failed(request, ticket, errors={self.section: error.messages})
                return self.page.action_failed(request, ticket, error)
            return self.page.done(request, ticket, notice)

        return delete
