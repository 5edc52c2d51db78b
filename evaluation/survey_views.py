"""The customer's survey: public (no login), private link, single use, reveals nothing.

Unknown, used, voided and expired links all get the same page with the same status, byte for byte. GET
only shows the form (mail scanners open links); only a valid POST answers. Lookups and submissions are
rate limited per client address and per link (see ratelimit). A browser signed in to the service desk
gets neither the form nor a look at the link: the answer must come from the customer.

Every page speaks the customer's language: the link carries it (?lang=), the page's 中文/English switch
changes it, and the choice is kept in the language cookie for the pages that follow (the thanks page).
"""

from functools import wraps

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from toolkit import languages

from . import ratelimit, services
from .forms import SurveyAnswerForm

UNAVAILABLE_STATUS = 404
TOO_MANY_STATUS = 429
STAFF_REFUSED_STATUS = 403


def _private(response):
    """The token is in the URL: never send it to another site as a referrer, never index or cache the page.

    Not "no-referrer": browsers then send "Origin: null" with the form's POST, which Django's CSRF check
    rightly refuses.
    """
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _unavailable(request):
    return _private(render(request, "evaluation/survey/unavailable.html", status=UNAVAILABLE_STATUS))


def _too_many(request):
    return _private(render(request, "evaluation/survey/too_many.html", status=TOO_MANY_STATUS))


def _staff_refused(request):
    return _private(render(request, "evaluation/survey/staff_refused.html", status=STAFF_REFUSED_STATUS))


def in_customer_language(view):
    """Answer in the language the link or the switch asks for (?lang=), else the browser's earlier
    choice (the language cookie, read by the locale middleware), else the team's."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        chosen = languages.supported(request.GET.get(services.SURVEY_LANGUAGE_PARAMETER))
        if chosen:
            translation.activate(chosen)
            request.LANGUAGE_CODE = chosen
        response = view(request, *args, **kwargs)
        # Not for a signed-in browser: opening a customer's link must not switch the desk's language.
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
def survey(request, token):
    try:
        services.survey_check_respondent(request.user)
    except PermissionDenied:
        return _staff_refused(request)
    if not ratelimit.allow_survey(request, token):
        return _too_many(request)
    if services.survey_find_usable(token) is None:
        return _unavailable(request)
    status = 200
    if request.method == "POST":
        form = SurveyAnswerForm(request.POST)
        if form.is_valid():
            try:
                answer = services.survey_submit(token=token, answers=form.cleaned_data, user=request.user)
            except PermissionDenied:
                return _staff_refused(request)
            if answer is None:
                return _unavailable(request)
            return _private(redirect("survey:thanks"))
        status = 400
    else:
        form = SurveyAnswerForm()
    return _private(render(request, "evaluation/survey/form.html", {"form": form}, status=status))


@login_not_required
@never_cache
@require_GET
@in_customer_language
def thanks(request):
    return _private(render(request, "evaluation/survey/thanks.html"))
