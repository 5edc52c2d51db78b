"""The answer shape every chapter's per-ticket page shares (requirement analysis, solution design, …).

Each change is a POST that answers, under htmx, with the refreshed block of the page (errors included:
htmx swaps only 2xx answers by default, so a form with errors comes back as 200), and without
JavaScript with a redirect back to the page (success) or the page itself with status 400 (errors).
"""

from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect


def require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise PermissionDenied


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
