"""The global search page: one box, tickets / articles / customers, each ranked."""

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from . import selectors
from .forms import SearchForm


@require_GET
def results(request):
    # Each section checks its own permission; someone who may read none of them has no search at all.
    if not any(request.user.has_perm(name) for name in selectors.SECTION_PERMISSIONS):
        raise PermissionDenied
    form = SearchForm(request.GET)
    found = None
    if form.is_valid() and form.cleaned_data["q"]:
        found = selectors.global_search(q=form.cleaned_data["q"], user=request.user)
        if found.jump is not None:  # a ticket number typed exactly: straight to the ticket
            return redirect(found.jump)
    status = 400 if form.errors else 200
    return render(request, "search/results.html", {"form": form, "found": found}, status=status)
