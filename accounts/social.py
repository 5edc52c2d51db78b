"""Sign-in with WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书): which are on, and who someone is here.

The platforms' own steps (django-allauth's socialaccount flow, our WeCom provider) are in
accounts/social_flow.py, imported at the first sign-in through one of them. This module is what the
login page and the rule need, and imports nothing of allauth.

The rule, once the platform has said who signed in (a member of our organisation, with their directory
user id, name, e-mail address and departments):

1. Their user here is the one linked to that platform user id (a social account, made at an earlier
   sign-in or recorded by an admin), else the user named ``<platform>-<user id>``, else the one active
   user with their directory e-mail address. Nobody yet: a user is made, but only when they get a role.
2. The role: with a department map set for the platform (``<PLATFORM>_ROLE_DEPARTMENTS``), what their
   departments map to, at every sign-in (accounts.sso.roles_for, as LDAP groups and OIDC claims);
   without one, the roles given here stand. No role and SSO_REQUIRE_ROLE: refused, nothing made.
3. Then as for any sign-in: an inactive user is refused, django-axes' lockout applies, and someone with
   two-factor sign-in gives their code next (accounts.sessions.pending_login_start).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from . import selectors, sessions, sso

logger = logging.getLogger(__name__)

# The session's backend after a platform sign-in: the user is loaded as after a password (active only).
BACKEND = "django.contrib.auth.backends.ModelBackend"


@dataclass(frozen=True)
class Platform:
    id: str
    name: Promise
    button: Promise
    switch: str  # the setting that turns it on
    role_map: str  # the setting mapping department ids to roles


PLATFORMS = {
    platform.id: platform
    for platform in (
        Platform(
            "wecom",
            pgettext_lazy("sign-in platform", "WeCom"),
            gettext_lazy("Sign in with WeCom"),
            "WECOM_CORP_ID",
            "WECOM_ROLE_DEPARTMENTS",
        ),
        Platform(
            "dingtalk",
            pgettext_lazy("sign-in platform", "DingTalk"),
            gettext_lazy("Sign in with DingTalk"),
            "DINGTALK_CLIENT_ID",
            "DINGTALK_ROLE_DEPARTMENTS",
        ),
        Platform(
            "feishu",
            pgettext_lazy("sign-in platform", "Feishu"),
            gettext_lazy("Sign in with Feishu"),
            "FEISHU_APP_ID",
            "FEISHU_ROLE_DEPARTMENTS",
        ),
    )
}


def platform_enabled(platform_id: str) -> bool:
    platform = PLATFORMS.get(platform_id)
    return platform is not None and bool(getattr(settings, platform.switch, ""))


def enabled_platforms() -> list[Platform]:
    """The platforms whose settings are set, for the login page's buttons."""
    return [platform for platform in PLATFORMS.values() if platform_enabled(platform.id)]


@dataclass(frozen=True)
class Person:
    """Who signed in, as the platform's directory of our organisation has them."""

    platform: str
    userid: str
    name: str
    email: str
    departments: tuple[str, ...]


class Refused(Exception):
    """Not signed in; the message says why, on the login page."""


# ---------------------------------------------------------------- messages on the login page


def refuse(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("login")


def not_member_message(platform_id: str) -> str:
    return _("Only members of our organisation on %(platform)s can sign in here.") % {
        "platform": PLATFORMS[platform_id].name
    }


def failed_message(platform_id: str) -> str:
    return _(
        "%(platform)s did not answer as expected, so you are not signed in. Please try again later, "
        "or sign in with your password."
    ) % {"platform": PLATFORMS[platform_id].name}


def cancelled_message(platform_id: str) -> str:
    return _("Signing in with %(platform)s was cancelled or has expired. Please try again.") % {
        "platform": PLATFORMS[platform_id].name
    }


# ---------------------------------------------------------------- the rule


def _user_and_roles(person: Person, linked):
    """(user, roles to set or None to leave them) for this person; the user is unsaved when new."""
    User = get_user_model()
    platform = PLATFORMS[person.platform]
    username = f"{platform.id}-{person.userid}"[:150]
    user = linked or User.objects.filter(username=username).first()
    if user is None and person.email:
        matches = list(User.objects.filter(email__iexact=person.email)[:2])
        if len(matches) > 1:
            raise Refused(
                _(
                    "More than one account here has the e-mail address of your %(platform)s account. "
                    "Ask an administrator to link yours."
                )
                % {"platform": platform.name}
            )
        user = matches[0] if matches else None
    if user is not None and not user.is_active:
        raise Refused(_("Your account here is switched off. Ask an administrator if you need it again."))
    mapping = getattr(settings, platform.role_map, {}) or {}
    if mapping:
        roles: set[str] | None = sso.roles_for(person.departments, mapping)
        has_role = bool(roles)
    else:
        roles = None
        has_role = user is not None and (user.is_superuser or user.groups.filter(name__in=sso.ROLES).exists())
    if not has_role and sso.role_required():
        raise Refused(
            _("Your %(platform)s account has no role here. Ask an administrator to give you one.")
            % {"platform": platform.name}
        )
    if user is None:
        user = User(username=username, first_name=person.name[:150], email=person.email[:254])
        user.set_unusable_password()
    return user, roles


def sign_in(
    request: HttpRequest, *, person: Person, linked, next_url: str, link: Callable[[object], None]
) -> HttpResponse:
    """Sign in the person a platform vouched for (the rule above); ``link`` records the platform user
    id for the user, once they may sign in."""
    from axes.handlers.proxy import AxesProxyHandler

    from .views import locked_out

    try:
        user, roles = _user_and_roles(person, linked)
    except Refused as refusal:
        logger.warning("%s sign-in of %s refused: %s", person.platform, person.userid, refusal)
        return refuse(request, str(refusal))
    if not AxesProxyHandler.is_allowed(request, {"username": user.get_username()}):
        return locked_out(request)
    with transaction.atomic():
        if user.pk is None:
            user.save()
        if roles is not None:
            sso.roles_apply(user, roles)
        link(user)
    user.backend = BACKEND
    if selectors.has_two_factor(user=user):
        sessions.pending_login_start(request.session, user=user, next_url=next_url)
        return redirect("login_code")
    auth_login(request, user, backend=BACKEND)
    return redirect(next_url)
