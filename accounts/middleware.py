"""Per-request sign-in rules: no caching of anything the app answers, sessions that end when idle or
old, and two-factor sign-in where it is on or required."""

import time
from functools import cached_property

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from django.shortcuts import redirect, resolve_url
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

from . import selectors, sessions

# Requests a page makes by itself: they neither count as activity nor need two-factor set-up first.
PASSIVE_URL_NAMES = {"notifications_unread"}
# What a user who must set up two-factor sign-in can still reach.
SET_UP_URL_NAMES = {
    "account_security",
    "account_security_start",
    "account_security_confirm",
    "logout",
    "set_language",
    *PASSIVE_URL_NAMES,
}


class NoStoreMiddleware:
    """Cache-Control: no-store (and friends) on every answer of the app: pages, fragments, exports and
    downloads all hold personal data, and a shared or browser cache must keep none of it. Static files
    are answered by WhiteNoise above this middleware and stay cacheable."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        add_never_cache_headers(response)
        return response


def _to_login(request):
    """Back to the login page, then here again. An htmx request redirects the whole page, not a fragment."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=204)
        response["HX-Redirect"] = resolve_url(settings.LOGIN_URL)
        return response
    return redirect_to_login(request.get_full_path())


class SessionTimeoutMiddleware:
    """A signed-in session ends after settings.SESSION_IDLE_SECONDS without activity and
    settings.SESSION_MAX_SECONDS after its login; the person is sent to the login page with the reason."""

    def __init__(self, get_response):
        self.get_response = get_response

    @cached_property
    def passive_paths(self):
        return {reverse(name) for name in PASSIVE_URL_NAMES}

    def __call__(self, request):
        if request.user.is_authenticated:
            now = time.time()
            ended = sessions.expiry(request.session, now=now)
            if ended is not None:
                logout(request)
                messages.info(request, self._reason(ended))
                return _to_login(request)
            if request.path_info not in self.passive_paths:
                sessions.touch(request.session, now=now)
        return self.get_response(request)

    @staticmethod
    def _reason(ended: str) -> str:
        # No plural forms: Chinese has none, and the limits are many minutes and hours.
        if ended == sessions.IDLE:
            return _(
                "You were signed out after %(minutes)d minutes without activity. Please sign in again."
            ) % {"minutes": settings.SESSION_IDLE_SECONDS // 60}
        return _("Your session ended %(hours)d hours after you signed in. Please sign in again.") % {
            "hours": settings.SESSION_MAX_SECONDS // 3600
        }


class TwoFactorMiddleware:
    """A session that did not pass its code is signed out; a user whose role must use two-factor
    sign-in (settings.OTP_REQUIRED_FOR_ROLES) sets it up before anything else, the admin site included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and sessions.owes_code(request.session):
            logout(request)
            messages.info(
                request,
                _("Your account signs in with a code from your authenticator app. Please sign in again."),
            )
            return _to_login(request)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if not settings.OTP_REQUIRED_FOR_ROLES or not request.user.is_authenticated:
            return None
        if request.user.is_verified() or request.resolver_match.view_name in SET_UP_URL_NAMES:
            return None
        if not selectors.two_factor_required(user=request.user):
            return None
        messages.warning(request, _("Your role must use two-factor sign-in. Set it up here to continue."))
        if request.headers.get("HX-Request") == "true":
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("account_security")
            return response
        return redirect("account_security")
