"""The engineers' pages for customer links: a customer's report link, a ticket's status link.

A link's token is shown once, right after it is issued (kept in the session only until the next page
shows it): only its hash is stored, so "show again" means issuing a new one.
"""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from toolkit.models import Customer, Ticket
from toolkit.services import TICKET_NUMBER_RE

from . import selectors, services
from .forms import RevokeForm
from .models import ReportLink, StatusLink

manage_required = permission_required(services.MANAGE_PERMISSION, raise_exception=True)
view_customer_required = permission_required("toolkit.view_customer", raise_exception=True)
view_ticket_required = permission_required("toolkit.view_ticket", raise_exception=True)


def _ticket_number(value: str) -> str:
    """A ticket number to link back to, or "" for anything else (it goes into a URL)."""
    return value if TICKET_NUMBER_RE.match(value or "") else ""


def _back_to_report_link(request, customer_pk: int):
    """The report-link page again, still knowing the ticket it was opened from (its "back" link)."""
    url = reverse("portal:report_link", kwargs={"pk": customer_pk})
    number = _ticket_number(request.POST.get("ticket", ""))
    return redirect(f"{url}?{urlencode({'ticket': number})}" if number else url)


def _issued_key(kind: str, pk: int) -> str:
    return f"portal:issued:{kind}:{pk}"


def _remember_issued(request, kind: str, pk: int, issued: services.IssuedLink) -> None:
    request.session[_issued_key(kind, pk)] = issued.token


def _issued_url(request, kind: str, pk: int) -> str:
    token = request.session.pop(_issued_key(kind, pk), "")
    if not services.is_token_shaped(token):
        return ""
    return services.report_url(token) if kind == "report" else services.status_url(token)


@require_GET
@view_customer_required
@manage_required
def customer_report_link(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    links = list(selectors.report_links_of(customer))
    context = {
        "customer": customer,
        "links": links,
        "active": next((link for link in links if link.is_active), None),
        "issued_url": _issued_url(request, "report", customer.pk),
        "revoke_form": RevokeForm(),
        "back": _ticket_number(request.GET.get("ticket", "")),
    }
    return render(request, "portal/report_link.html", context)


@require_POST
@view_customer_required
@manage_required
def customer_report_link_issue(request, pk):
    customer = get_object_or_404(Customer, pk=pk)
    try:
        issued = services.report_link_issue(customer=customer, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _remember_issued(request, "report", customer.pk, issued)
    return _back_to_report_link(request, customer.pk)


@require_POST
@view_customer_required
@manage_required
def report_link_revoke(request, pk):
    link = get_object_or_404(ReportLink, pk=pk)
    form = RevokeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["reason"])
        services.report_link_revoke(link=link, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The report link was revoked: it no longer opens the form."))
    return _back_to_report_link(request, link.customer_id)


@require_GET
@view_ticket_required
@manage_required
def ticket_status_link(request, number):
    ticket = get_object_or_404(Ticket.objects.select_related("customer"), number=number)
    links = list(selectors.status_links_of(ticket))
    context = {
        "ticket": ticket,
        "links": links,
        "active": next((link for link in links if link.is_active), None),
        "issued_url": _issued_url(request, "status", ticket.pk),
        "revoke_form": RevokeForm(),
    }
    return render(request, "portal/status_link.html", context)


@require_POST
@view_ticket_required
@manage_required
def ticket_status_link_issue(request, number):
    ticket = get_object_or_404(Ticket, number=number)
    try:
        issued = services.status_link_issue(ticket=ticket, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        _remember_issued(request, "status", ticket.pk, issued)
    return redirect("portal:status_link", number=ticket.number)


@require_POST
@view_ticket_required
@manage_required
def status_link_revoke(request, pk):
    link = get_object_or_404(StatusLink.objects.select_related("ticket"), pk=pk)
    form = RevokeForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(form.errors["reason"])
        services.status_link_revoke(link=link, by=request.user, reason=form.cleaned_data["reason"])
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The status link was revoked: it no longer opens the status page."))
    return redirect("portal:status_link", number=link.ticket.number)
