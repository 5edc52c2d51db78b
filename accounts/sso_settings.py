"""Single sign-on settings from the environment, merged into toolkit/settings.py (accounts/sso.py uses them).

LDAP / Active Directory, on when LDAP_SERVER_URI is set:
  LDAP_SERVER_URI            ldap://dc.example.com or ldaps://…
  LDAP_BIND_DN, LDAP_BIND_PASSWORD   the search account (empty: anonymous search)
  LDAP_USER_SEARCH_BASE      ou=people,dc=example,dc=com
  LDAP_USER_FILTER           (uid=%(user)s); Active Directory: (sAMAccountName=%(user)s)
  LDAP_GROUP_SEARCH_BASE     ou=groups,dc=example,dc=com
  LDAP_GROUP_TYPE            groupOfNames (default), groupOfUniqueNames, posixGroup, activeDirectory
  LDAP_ROLE_GROUPS           JSON: {"cn=desk-managers,ou=groups,dc=example,dc=com": "manager", …}
  LDAP_START_TLS             true to upgrade ldap:// with StartTLS
  LDAP_TIMEOUT_SECONDS       network and operation deadline (default 5)

OpenID Connect (Keycloak, Authing, Azure AD, …), on when OIDC_CLIENT_ID is set:
  OIDC_ISSUER                the issuer; endpoints come from its /.well-known/openid-configuration
  OIDC_CLIENT_ID, OIDC_CLIENT_SECRET
  OIDC_PROVIDER_NAME         shown on the sign-in button ("Sign in with <name>")
  OIDC_ROLE_CLAIM            the claim holding groups or roles (default "groups")
  OIDC_ROLE_GROUPS           JSON: {"desk-managers": "manager", …}
  OIDC_USERNAME_CLAIM        default "preferred_username"
  OIDC_SCOPES                default "openid email profile"

SSO_REQUIRE_ROLE (default true): refuse a person no group maps to a role.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

LDAP_BACKEND = "accounts.sso.LDAPRoleBackend"
OIDC_BACKEND = "accounts.sso.OIDCRoleBackend"


def sso_settings(env, backends: list[str]) -> dict[str, Any]:
    """The settings to add; inserts the enabled backends into ``backends`` after django-axes' one."""
    values: dict[str, Any] = {
        "SSO_REQUIRE_ROLE": env.bool("SSO_REQUIRE_ROLE", default=True),
        "LDAP_ROLE_GROUPS": env.json("LDAP_ROLE_GROUPS", default={}),
        "OIDC_ROLE_GROUPS": env.json("OIDC_ROLE_GROUPS", default={}),
        "OIDC_ROLE_CLAIM": env.str("OIDC_ROLE_CLAIM", default="groups"),
        "OIDC_USERNAME_CLAIM": env.str("OIDC_USERNAME_CLAIM", default="preferred_username"),
        "OIDC_PROVIDER_NAME": env.str("OIDC_PROVIDER_NAME", default="OpenID Connect"),
        "OIDC_ISSUER": env.str("OIDC_ISSUER", default=""),
        "OIDC_RP_CLIENT_ID": env.str("OIDC_CLIENT_ID", default=""),
        "OIDC_RP_CLIENT_SECRET": env.str("OIDC_CLIENT_SECRET", default=""),
        "OIDC_RP_SIGN_ALGO": env.str("OIDC_SIGN_ALGO", default="RS256"),
        "OIDC_RP_SCOPES": env.str("OIDC_SCOPES", default="openid email profile"),
        "OIDC_CREATE_USER": True,
        "OIDC_USE_NONCE": True,
        "OIDC_USE_PKCE": True,
        "OIDC_TIMEOUT": env.float("OIDC_TIMEOUT_SECONDS", default=5.0),
        "OIDC_STORE_ID_TOKEN": False,
        # Endpoints set one by one win over discovery (a provider without a discovery document).
        "OIDC_OP_AUTHORIZATION_ENDPOINT": env.str("OIDC_AUTHORIZATION_ENDPOINT", default=""),
        "OIDC_OP_TOKEN_ENDPOINT": env.str("OIDC_TOKEN_ENDPOINT", default=""),
        "OIDC_OP_USER_ENDPOINT": env.str("OIDC_USERINFO_ENDPOINT", default=""),
        "OIDC_OP_JWKS_ENDPOINT": env.str("OIDC_JWKS_ENDPOINT", default=""),
    }
    server = env.str("LDAP_SERVER_URI", default="")
    if server:
        values.update(ldap_settings(env, server))
        backends.insert(1, LDAP_BACKEND)
    if values["OIDC_RP_CLIENT_ID"]:
        backends.insert(1, OIDC_BACKEND)
    return values


def ldap_settings(env, server: str) -> dict[str, Any]:
    try:
        import ldap
        from django_auth_ldap import config
    except ImportError as error:  # the "ldap" extra: python-ldap compiles against libldap2-dev/libsasl2-dev
        raise ImproperlyConfigured(
            "LDAP_SERVER_URI is set but django-auth-ldap is not installed: pip install -e '.[ldap]' "
            "(with the OpenLDAP and SASL headers, e.g. apt-get install libldap2-dev libsasl2-dev)."
        ) from error

    group_types = {
        "groupofnames": config.GroupOfNamesType,
        "groupofuniquenames": config.GroupOfUniqueNamesType,
        "posixgroup": config.PosixGroupType,
        "activedirectory": config.NestedActiveDirectoryGroupType,
    }
    group_type = env.str("LDAP_GROUP_TYPE", default="groupOfNames").lower()
    group_filter = {
        "groupofnames": "(objectClass=groupOfNames)",
        "groupofuniquenames": "(objectClass=groupOfUniqueNames)",
        "posixgroup": "(objectClass=posixGroup)",
        "activedirectory": "(objectClass=group)",
    }[group_type]
    timeout = env.float("LDAP_TIMEOUT_SECONDS", default=5.0)
    return {
        "AUTH_LDAP_SERVER_URI": server,
        "AUTH_LDAP_BIND_DN": env.str("LDAP_BIND_DN", default=""),
        "AUTH_LDAP_BIND_PASSWORD": env.str("LDAP_BIND_PASSWORD", default=""),
        "AUTH_LDAP_START_TLS": env.bool("LDAP_START_TLS", default=False),
        "AUTH_LDAP_USER_SEARCH": config.LDAPSearch(
            env.str("LDAP_USER_SEARCH_BASE"),
            ldap.SCOPE_SUBTREE,
            env.str("LDAP_USER_FILTER", default="(uid=%(user)s)"),
        ),
        "AUTH_LDAP_GROUP_SEARCH": config.LDAPSearch(
            env.str("LDAP_GROUP_SEARCH_BASE"), ldap.SCOPE_SUBTREE, group_filter
        ),
        "AUTH_LDAP_GROUP_TYPE": group_types[group_type](),
        "AUTH_LDAP_USER_ATTR_MAP": {"first_name": "givenName", "last_name": "sn", "email": "mail"},
        "AUTH_LDAP_ALWAYS_UPDATE_USER": True,
        "AUTH_LDAP_CONNECTION_OPTIONS": {
            ldap.OPT_NETWORK_TIMEOUT: timeout,
            ldap.OPT_TIMEOUT: timeout,
            ldap.OPT_REFERRALS: 0,
        },
    }
