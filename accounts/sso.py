"""Single sign-on: LDAP / Active Directory (django-auth-ldap) and OpenID Connect (mozilla-django-oidc).

Each is turned on by settings (accounts/sso_settings.py reads them from the environment) and signs a
person in as one of our users, created at the first sign-in. Their role comes from their directory
groups (LDAP_ROLE_GROUPS: group DN → role) or from a claim of the identity provider (OIDC_ROLE_CLAIM,
OIDC_ROLE_GROUPS: claim value → role), and is evaluated again at every sign-in: a person moved out
of the managers' group is a manager no more the next time they sign in. Someone no group maps to a
role is refused (SSO_REQUIRE_ROLE, on by default) rather than let in with nothing to do.

Only the role groups (toolkit/roles.py) are changed; other groups, superusers and local passwords are
left alone, so local admins still sign in with their password. The sign-in page's throttling
(django-axes counts every failed attempt, whichever backend refused it) and its two-factor step apply
to LDAP sign-ins as to local ones. An OIDC sign-in is the identity provider's to secure (its own
throttling and second factor).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.db import transaction

from toolkit.roles import ADMIN, ROLE_PERMISSIONS

logger = logging.getLogger(__name__)

ROLES = tuple(ROLE_PERMISSIONS)


# ---------------------------------------------------------------- roles from groups


def roles_for(values: Iterable[str], mapping: dict[str, str]) -> set[str]:
    """The roles these group DNs (or claim values) map to; DNs compare case-insensitively."""
    folded = {key.strip().lower(): role for key, role in mapping.items()}
    roles = {folded.get(str(value).strip().lower()) for value in values}
    return {role for role in roles if role in ROLES}


@transaction.atomic
def roles_apply(user, roles: set[str]) -> None:
    """Make the user's role groups exactly ``roles``; other groups stay. Admins get the admin site."""
    wanted = {Group.objects.get_or_create(name=role)[0] for role in roles}
    current = set(user.groups.filter(name__in=ROLES))
    if current - wanted:
        user.groups.remove(*(current - wanted))
    if wanted - current:
        user.groups.add(*(wanted - current))
    staff = ADMIN in roles or user.is_superuser
    if user.is_staff != staff:
        user.is_staff = staff
        user.save(update_fields=["is_staff"])
    # Permissions were cached on the object by the backend's checks: read them again.
    for cache in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):
        user.__dict__.pop(cache, None)


def role_required() -> bool:
    return getattr(settings, "SSO_REQUIRE_ROLE", True)


# ---------------------------------------------------------------- LDAP


# django-auth-ldap (python-ldap) is imported when the backend is first looked up (settings name it only
# when LDAP_SERVER_URI is set), not at start-up: a web worker without LDAP doesn't carry it.
def _ldap_role_backend() -> type | None:
    try:
        from django_auth_ldap.backend import LDAPBackend
    except ImportError:  # python-ldap missing: the backend is simply not offered
        return None

    class LDAPRoleBackend(LDAPBackend):
        """django-auth-ldap, with our roles from the person's directory groups at every sign-in."""

        def get_or_build_user(self, username, ldap_user):
            # Called once the password and AUTH_LDAP_REQUIRE_GROUP passed, before a user is made.
            if role_required() and not roles_for(ldap_user.group_dns, settings.LDAP_ROLE_GROUPS):
                logger.warning("LDAP sign-in of %s refused: no group maps to a role", username)
                raise ldap_user.AuthenticationFailed("no group maps to a role")
            return super().get_or_build_user(username, ldap_user)

        def authenticate_ldap_user(self, ldap_user, password):
            user = super().authenticate_ldap_user(ldap_user, password)
            if user is not None:
                roles_apply(user, roles_for(ldap_user.group_dns, settings.LDAP_ROLE_GROUPS))
            return user

    return LDAPRoleBackend


# ---------------------------------------------------------------- OpenID Connect

_discovery: dict[str, tuple[float, dict]] = {}
_discovery_lock = threading.Lock()
DISCOVERY_TTL_SECONDS = 3600
OIDC_ENDPOINTS = {
    "OIDC_OP_AUTHORIZATION_ENDPOINT": "authorization_endpoint",
    "OIDC_OP_TOKEN_ENDPOINT": "token_endpoint",
    "OIDC_OP_USER_ENDPOINT": "userinfo_endpoint",
    "OIDC_OP_JWKS_ENDPOINT": "jwks_uri",
}


def oidc_enabled() -> bool:
    return bool(getattr(settings, "OIDC_RP_CLIENT_ID", ""))


def oidc_provider_name() -> str:
    return getattr(settings, "OIDC_PROVIDER_NAME", "") or "OpenID Connect"


def oidc_discovery(issuer: str) -> dict:
    """The provider's /.well-known/openid-configuration, fetched once an hour (a 5 s deadline)."""
    now = time.monotonic()
    with _discovery_lock:
        cached = _discovery.get(issuer)
        if cached and now - cached[0] < DISCOVERY_TTL_SECONDS:
            return cached[1]
    import requests  # loaded by an OIDC sign-in, not at start-up

    url = issuer.rstrip("/") + "/.well-known/openid-configuration"
    response = requests.get(url, timeout=5)
    response.raise_for_status()
    document = response.json()
    if document.get("issuer", "").rstrip("/") != issuer.rstrip("/"):
        raise ImproperlyConfigured(f"{url} names another issuer: {document.get('issuer')!r}")
    with _discovery_lock:
        _discovery[issuer] = (now, document)
    return document


def oidc_setting(name: str, *default):
    """An OIDC_* setting (mozilla-django-oidc's get_settings); the provider's endpoints come from its
    discovery document (OIDC_ISSUER) unless set one by one."""
    value = getattr(settings, name, None)
    if name in OIDC_ENDPOINTS and not value and getattr(settings, "OIDC_ISSUER", ""):
        return oidc_discovery(settings.OIDC_ISSUER)[OIDC_ENDPOINTS[name]]
    if value is not None and value != "":
        return value
    if default:
        return default[0]
    raise ImproperlyConfigured(f"Setting {name} not found")


# mozilla-django-oidc (requests, PyJWT, cryptography) likewise: imported at the first look-up of the
# backend, which settings name only when OIDC_CLIENT_ID is set.
def _oidc_role_backend() -> type | None:
    try:
        import requests
        from mozilla_django_oidc.auth import OIDCAuthenticationBackend
    except ImportError:  # pragma: no cover - a dependency of the project
        return None

    class OIDCRoleBackend(OIDCAuthenticationBackend):
        """mozilla-django-oidc: users matched by their username claim, created at the first sign-in,
        their role from OIDC_ROLE_CLAIM at every sign-in."""

        def __init__(self, *args, **kwargs):
            # Nothing is read here: every sign-in, a password one too, loads each backend, and the
            # provider's endpoints come from its discovery document, fetched when an OIDC sign-in needs them.
            self.UserModel = get_user_model()

        OIDC_OP_TOKEN_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_TOKEN_ENDPOINT"))
        OIDC_OP_USER_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_USER_ENDPOINT"))
        OIDC_OP_JWKS_ENDPOINT = property(lambda self: oidc_setting("OIDC_OP_JWKS_ENDPOINT", None))
        OIDC_RP_CLIENT_ID = property(lambda self: oidc_setting("OIDC_RP_CLIENT_ID"))
        OIDC_RP_CLIENT_SECRET = property(lambda self: oidc_setting("OIDC_RP_CLIENT_SECRET"))
        OIDC_RP_SIGN_ALGO = property(lambda self: oidc_setting("OIDC_RP_SIGN_ALGO", "RS256"))
        OIDC_RP_IDP_SIGN_KEY = property(lambda self: oidc_setting("OIDC_RP_IDP_SIGN_KEY", None))

        @staticmethod
        def get_settings(attr, *args):
            return oidc_setting(attr, *args)

        def _username(self, claims) -> str:
            claim = getattr(settings, "OIDC_USERNAME_CLAIM", "preferred_username")
            return str(claims.get(claim) or claims.get("sub") or "")[:150]

        def _roles(self, claims) -> set[str]:
            values = claims.get(getattr(settings, "OIDC_ROLE_CLAIM", "groups")) or []
            if isinstance(values, str):
                values = [values]
            return roles_for(values, getattr(settings, "OIDC_ROLE_GROUPS", {}))

        def verify_claims(self, claims):
            if not self._username(claims):
                return False
            if role_required() and not self._roles(claims):
                logger.warning(
                    "OIDC sign-in of %s refused: no role claim maps to a role", self._username(claims)
                )
                return False
            return True

        def filter_users_by_claims(self, claims):
            username = self._username(claims)
            if not username:
                return self.UserModel.objects.none()
            return self.UserModel.objects.filter(username__iexact=username)

        def create_user(self, claims):
            user = self.UserModel(username=self._username(claims))
            user.set_unusable_password()
            self._copy_claims(user, claims)
            user.save()
            roles_apply(user, self._roles(claims))
            return user

        def update_user(self, user, claims):
            self._copy_claims(user, claims)
            user.save()
            roles_apply(user, self._roles(claims))
            return user

        @staticmethod
        def _copy_claims(user, claims) -> None:
            user.email = str(claims.get("email") or user.email or "")[:254]
            user.first_name = str(claims.get("given_name") or claims.get("name") or user.first_name or "")[
                :150
            ]
            user.last_name = str(claims.get("family_name") or user.last_name or "")[:150]

        def authenticate(self, request, **kwargs):
            # Only our callback page, which has checked the state (and keeps the nonce and PKCE verifier),
            # signs in with a code: a password form posted with ?code=…&state=… is not an OIDC sign-in.
            match = getattr(request, "resolver_match", None)
            if match is None or match.url_name != "oidc_authentication_callback":
                return None
            try:
                return super().authenticate(request, **kwargs)
            except (requests.RequestException, SuspiciousOperation) as error:
                logger.warning("OIDC sign-in failed: %s", error)
                return None

    return OIDCRoleBackend


_backend_builders = {"LDAPRoleBackend": _ldap_role_backend, "OIDCRoleBackend": _oidc_role_backend}
_backend_classes: dict[str, type | None] = {}
_backend_lock = threading.Lock()


def __getattr__(name: str) -> type:
    """accounts.sso.LDAPRoleBackend and OIDCRoleBackend, each built (its package imported) at its first
    look-up."""
    if name not in _backend_builders:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    with _backend_lock:
        if name not in _backend_classes:
            _backend_classes[name] = _backend_builders[name]()
    backend = _backend_classes[name]
    if backend is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r} (its package is not installed)")
    return backend
