"""The intake (logging a problem) and its live helpers. Each view: permission → form → one service call.

The similar-tickets panel stays in views.py with the table's selectors.
"""

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from toolkit import chapters

from .forms import IntakeForm
from .services import (
    customer_search,
    intake_assist_for,
    intake_contacts,
    intake_create,
    priority_suggestion_from,
)

add_required = permission_required("toolkit.add_ticket", raise_exception=True)


@add_required
def ticket_new(request):
    form = IntakeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = intake_create(user=request.user, data=form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            # An article picked from the suggestions while typing is linked now that the ticket exists.
            chapters.provided("link_article_chosen_at_intake")(
                article_id=request.POST.get("knowledge_article"), ticket=ticket, by=request.user
            )
            messages.success(request, _("Ticket %(number)s logged.") % {"number": ticket.number})
            return redirect(ticket)
    context = {
        "form": form,
        "priority_suggestion": priority_suggestion_from(form.data) if form.is_bound else None,
        "assist": intake_assist_for(form.data) if form.is_bound else None,
    }
    return render(request, "diagnosis/ticket_new.html", context)


@require_GET
@add_required
def priority_suggestion(request):
    context = {"priority_suggestion": priority_suggestion_from(request.GET)}
    return render(request, "diagnosis/_priority_suggestion.html", context)


@require_GET
@add_required
def contact_names(request):
    # Names of a customer's people are contact data: the service offers only what this person may see.
    contacts = intake_contacts(customer_name=request.GET.get("customer_name", ""), user=request.user)
    return render(request, "diagnosis/_contact_names.html", {"contacts": contacts})


@require_GET
@add_required
def customer_matches(request):
    """The customer picker: the top matches for what was typed (name or pinyin), as JSON."""
    customers = customer_search(request.GET.get("q", "")[:200])
    return JsonResponse(
        {
            "results": [
                {"name": customer.name, "tier": customer.get_tier_display(), "vip": customer.raises_priority}
                for customer in customers
            ]
        }
    )


@require_GET
@add_required
def intake_assist(request):
    """What the intake suggests from the fields so far: type, impact, and where routing would send it."""
    return render(request, "diagnosis/_intake_assist.html", {"assist": intake_assist_for(request.GET)})
