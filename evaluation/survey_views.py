"""The customer's survey: public (no login), private link, single use, reveals nothing.

Unknown, used, voided and expired links all get the same page with the same status, byte for byte. GET
only shows the form (mail scanners open links); only a valid POST answers. Lookups and submissions are
rate limited per client address and per link (see ratelimit). A browser signed in to the service desk
gets neither the form nor a look at the link: the answer must come from the customer.
"""

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

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


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
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
def thanks(request):
    return _private(render(request, "evaluation/survey/thanks.html"))
