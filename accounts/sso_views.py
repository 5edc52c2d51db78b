"""OpenID Connect sign-in pages: mozilla-django-oidc's two views, answering 404 while OIDC is off, with
the provider's endpoints from discovery and a failed sign-in sent back to our login page with a message.
WeCom, DingTalk and Feishu sign-in pages likewise (accounts/social.py, accounts/social_flow.py)."""

import functools
import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import selectors, sessions, social, sso

logger = logging.getLogger(__name__)


@functools.cache
def _views():
    """The two views on mozilla-django-oidc, built (and it imported) at the first OIDC request rather
    than by every web worker at start-up."""
    from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

    class _Start(OIDCAuthenticationRequestView):
        @staticmethod
        def get_settings(attr, *args):
            return sso.oidc_setting(attr, *args)

    class _Callback(OIDCAuthenticationCallbackView):
        @staticmethod
        def get_settings(attr, *args):
            return sso.oidc_setting(attr, *args)

        def login_success(self):
            # The two-factor rule applies as to passwords: someone with a device gives its code next.
            if selectors.has_two_factor(user=self.user):
                sessions.pending_login_start(self.request.session, user=self.user, next_url=self.success_url)
                return redirect("login_code")
            return super().login_success()

        def login_failure(self):
            messages.error(
                self.request,
                _("Signing in with %(provider)s did not work, or your account there has no role here.")
                % {"provider": sso.oidc_provider_name()},
            )
            return redirect("login")

    return {"start": _Start.as_view(), "callback": _Callback.as_view()}


def _lazy(name: str):
    def view(request, *args, **kwargs):
        return _views()[name](request, *args, **kwargs)

    return view


def _enabled_only(view):
    @login_not_required
    @never_cache
    def wrapped(request, *args, **kwargs):
        if not sso.oidc_enabled():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


oidc_start = _enabled_only(_lazy("start"))
oidc_callback = _enabled_only(_lazy("callback"))


# ---------------------------------------------------------------- WeCom, DingTalk, Feishu


@functools.cache
def _social_views():
    """allauth's start and callback views of each platform, built (and allauth's socialaccount code
    imported) at the first such request rather than by every web worker at start-up."""
    from . import social_flow

    return social_flow.views()


@login_not_required
@never_cache
def social_start(request, platform):
    """Off to the platform (a POST from the login page's button, so no other site can start it)."""
    if not social.platform_enabled(platform):
        raise Http404
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _social_views()[platform][0](request)


@login_not_required
@never_cache
def social_callback(request, platform):
    """Back from the platform with a code: the person is signed in, sent to the code step, or sent to
    the login page with a message."""
    if not social.platform_enabled(platform):
        raise Http404
    try:
        return _social_views()[platform][1](request)
    except (KeyError, TypeError, ValueError, AttributeError):  # an answer of a shape we did not expect
        logger.exception("%s sign-in: unexpected answer from the platform", platform)
        return social.refuse(request, social.failed_message(platform))
