"""OpenID Connect sign-in pages: mozilla-django-oidc's two views, answering 404 while OIDC is off, with
the provider's endpoints from discovery and a failed sign-in sent back to our login page with a message."""

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from . import selectors, sessions, sso


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
