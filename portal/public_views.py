"""The customer's pages: the report form (/report/<token>/) and the status page (/status/<token>/).

Public (no login), private link, nothing else reachable. Unknown, malformed and revoked links get the
same page with the same status. Every request is rate limited per client address and per link. A
browser signed in to the service desk is refused, as on the survey. The pages speak the customer's
language: ?lang= (the link or the page's switch, kept in the language cookie), else the browser's
earlier choice or its Accept-Language, else the team's.
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from toolkit import languages

from . import channels, ratelimit, selectors, services
from .forms import ReportForm, StatusMessageForm, clean_files

UNAVAILABLE_STATUS = 404
TOO_MANY_STATUS = 429
STAFF_REFUSED_STATUS = 403


def _private(response):
    """The token is in the URL: no referrer carries it anywhere (not even the path to our own server),
    no index, no cache (never_cache).

    Not "no-referrer": browsers then send "Origin: null" with the form's POST, which Django's CSRF check
    rightly refuses; "strict-origin" sends only the site's origin, so CSRF's origin check still passes.
    """
    response["Referrer-Policy"] = "strict-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _page(request, template, context=None, status=200):
    return _private(render(request, template, context or {}, status=status))


def _unavailable(request):
    return _page(request, "portal/public/unavailable.html", status=UNAVAILABLE_STATUS)


def _refusal(request, token, *, submit_scope):
    """The answer that stops a request before the link is looked at, or None to go on."""
    try:
        services.check_customer_browser(request.user)
    except PermissionDenied:
        return _page(request, "portal/public/staff_refused.html", status=STAFF_REFUSED_STATUS)
    if not ratelimit.allow_request(request, token, submit_scope=submit_scope):
        return _page(request, "portal/public/too_many.html", status=TOO_MANY_STATUS)
    return None


def in_customer_language(view):
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        chosen = languages.supported(request.GET.get(services.LANGUAGE_PARAMETER))
        # No choice on the link: the cookie, else the browser's Accept-Language, else the team's.
        language = chosen or translation.get_language_from_request(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = view(request, *args, **kwargs)
        if chosen and not request.user.is_authenticated:
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                chosen,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                path=settings.LANGUAGE_COOKIE_PATH,
                domain=settings.LANGUAGE_COOKIE_DOMAIN,
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
            )
        return response

    return wrapped


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
@in_customer_language
def report(request, token):
    refused = _refusal(request, token, submit_scope="report_submit")
    if refused is not None:
        return refused
    link = services.report_link_find(token)
    if link is None:
        return _unavailable(request)
    status = 200
    if request.method == "POST":
        form = ReportForm(request.POST)
        if form.is_valid():
            try:
                submitted = services.report_submit(
                    token=token,
                    status_token=form.cleaned_data["status_token"],
                    answers=form.cleaned_data,
                    files=clean_files(request.FILES.getlist("files")),
                    language=request.LANGUAGE_CODE,
                    user=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                if submitted is None:
                    return _unavailable(request)
                url = reverse("portal_public:status", kwargs={"token": submitted.status_token})
                return _private(redirect(f"{url}?new=1"))
        status = 400
    else:
        form = ReportForm(initial={"status_token": services.new_token()})
    context = {"form": form, "customer": link.customer, "can_attach": channels.attachments_installed()}
    return _page(request, "portal/public/report.html", context, status=status)


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
@in_customer_language
def status(request, token):
    refused = _refusal(request, token, submit_scope="message_submit")
    if refused is not None:
        return refused
    link = services.status_link_find(token)
    if link is None:
        return _unavailable(request)
    http_status = 200
    form = StatusMessageForm(request.POST or None)
    if request.method == "POST":
        if not channels.conversation_installed():
            return _unavailable(request)
        if form.is_valid():
            try:
                services.status_message_add(
                    link=link,
                    body=form.cleaned_data["body"],
                    files=clean_files(request.FILES.getlist("files")),
                    user=request.user,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                url = reverse("portal_public:status", kwargs={"token": token})
                return _private(redirect(f"{url}?sent=1#messages"))
        http_status = 400
    else:
        services.status_link_touch(link=link)
    context = {
        "page": selectors.status_page(link),
        "form": form,
        "token": token,
        "is_new": request.GET.get("new") == "1",
        "sent": request.GET.get("sent") == "1",
    }
    return _page(request, "portal/public/status.html", context, status=http_status)


@login_not_required
@never_cache
@require_GET
def status_file(request, token, pk):
    """A file of the ticket's public conversation, through the status link only."""
    refused = _refusal(request, token, submit_scope="message_submit")
    if refused is not None:
        return refused
    link = services.status_link_find(token)
    attachment = None if link is None else selectors.public_attachment(link.ticket, pk)
    if attachment is None:
        raise Http404
    return _private(channels.attachment_response(attachment))
