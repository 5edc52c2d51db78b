"""The API tokens page: a person's own tokens. The secret is shown once, right after it is made."""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import selectors, services
from .forms import TokenCreateForm
from .models import ApiToken

# The API serves the ticket roles; a person without one would get nothing from a token.
role_required = permission_required("toolkit.view_ticket", raise_exception=True)


@role_required
def token_list(request):
    form = TokenCreateForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = services.api_token_create(
            user=request.user,
            name=form.cleaned_data["name"],
            write=form.cleaned_data["scope"] == "write",
            days=form.cleaned_data["days"],
        )
        form = TokenCreateForm()
    context = {"form": form, "issued": issued, "tokens": selectors.tokens_of(request.user)}
    return render(request, "api/tokens.html", context, status=400 if form.errors else 200)


@require_POST
@role_required
def token_revoke(request, pk):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.api_token_revoke(token=token, by=request.user)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("api_tokens:list")
