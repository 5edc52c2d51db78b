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

WeCom (企业微信), DingTalk (钉钉) and Feishu (飞书) / Lark, each on when its ids are set (accounts/social.py;
django-allauth's socialaccount flow, installed only then):
  WECOM_CORP_ID, WECOM_AGENT_ID, WECOM_SECRET   the self-built app's corp id, AgentId and Secret
  WECOM_LOGIN_URL            default https://login.work.weixin.qq.com
  WECOM_API_BASE             default https://qyapi.weixin.qq.com
  DINGTALK_CLIENT_ID, DINGTALK_CLIENT_SECRET    the internal app's Client ID (AppKey) and Client Secret
  DINGTALK_LOGIN_URL         default https://login.dingtalk.com
  DINGTALK_API_BASE          default https://api.dingtalk.com
  DINGTALK_OAPI_BASE         default https://oapi.dingtalk.com (the organisation's directory)
  FEISHU_APP_ID, FEISHU_APP_SECRET              the custom app's App ID and App Secret
  FEISHU_API_BASE            default https://open.feishu.cn; Lark: https://open.larksuite.com
  WECOM_ROLE_DEPARTMENTS, DINGTALK_ROLE_DEPARTMENTS, FEISHU_ROLE_DEPARTMENTS
                             JSON: {"<department id or name>": "engineer" | "manager" | "admin", …}
  SOCIAL_TIMEOUT_SECONDS     deadline of each call to a platform (default 5)
Only members of the organisation (the app's own directory) sign in. Someone is linked at the first
sign-in to the active user with their directory e-mail address (or to the user an admin recorded their
platform user id for: Administration → Social accounts), else created when their departments map to a
role. With a department map set, the role follows the departments at every sign-in (as LDAP groups);
without one, the roles given here stand and the platform only proves who someone is.

SSO_REQUIRE_ROLE (default true): refuse a person no group (department) maps to a role.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured

LDAP_BACKEND = "accounts.sso.LDAPRoleBackend"
OIDC_BACKEND = "accounts.sso.OIDCRoleBackend"
# django-allauth's apps, installed only while one of WeCom, DingTalk or Feishu is configured, so that a
# web worker without them does not load allauth at start-up (issue 15). Their tables come with `migrate`.
SOCIAL_APPS = ["allauth", "allauth.account", "allauth.socialaccount"]
SOCIAL_MIDDLEWARE = "allauth.account.middleware.AccountMiddleware"


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
    values.update(social_settings(env))
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


def social_settings(env) -> dict[str, Any]:
    """WeCom, DingTalk and Feishu (accounts/social.py); SOCIAL_ENABLED says whether any is configured."""
    values: dict[str, Any] = {
        "WECOM_CORP_ID": env.str("WECOM_CORP_ID", default=""),
        "WECOM_AGENT_ID": env.str("WECOM_AGENT_ID", default=""),
        "WECOM_SECRET": env.str("WECOM_SECRET", default=""),
        "WECOM_LOGIN_URL": env.str("WECOM_LOGIN_URL", default="https://login.work.weixin.qq.com"),
        "WECOM_API_BASE": env.str("WECOM_API_BASE", default="https://qyapi.weixin.qq.com"),
        "DINGTALK_CLIENT_ID": env.str("DINGTALK_CLIENT_ID", default=""),
        "DINGTALK_CLIENT_SECRET": env.str("DINGTALK_CLIENT_SECRET", default=""),
        "DINGTALK_LOGIN_URL": env.str("DINGTALK_LOGIN_URL", default="https://login.dingtalk.com"),
        "DINGTALK_API_BASE": env.str("DINGTALK_API_BASE", default="https://api.dingtalk.com"),
        "DINGTALK_OAPI_BASE": env.str("DINGTALK_OAPI_BASE", default="https://oapi.dingtalk.com"),
        "FEISHU_APP_ID": env.str("FEISHU_APP_ID", default=""),
        "FEISHU_APP_SECRET": env.str("FEISHU_APP_SECRET", default=""),
        "FEISHU_API_BASE": env.str("FEISHU_API_BASE", default="https://open.feishu.cn"),
        "WECOM_ROLE_DEPARTMENTS": env.json("WECOM_ROLE_DEPARTMENTS", default={}),
        "DINGTALK_ROLE_DEPARTMENTS": env.json("DINGTALK_ROLE_DEPARTMENTS", default={}),
        "FEISHU_ROLE_DEPARTMENTS": env.json("FEISHU_ROLE_DEPARTMENTS", default={}),
        # django-allauth: our adapter decides who signs in (accounts/social_flow.py); tokens are not kept.
        "SOCIALACCOUNT_ADAPTER": "accounts.social_flow.SocialAdapter",
        "SOCIALACCOUNT_STORE_TOKENS": False,
        "SOCIALACCOUNT_REQUESTS_TIMEOUT": env.float("SOCIAL_TIMEOUT_SECONDS", default=5.0),
    }
    wecom = ("WECOM_CORP_ID", "WECOM_AGENT_ID", "WECOM_SECRET")
    for names in (
        wecom,
        ("DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET"),
        ("FEISHU_APP_ID", "FEISHU_APP_SECRET"),
    ):
        if any(values[name] for name in names) and not all(values[name] for name in names):
            raise ImproperlyConfigured(f"Set all of {', '.join(names)}, or none.")
    values["SOCIAL_ENABLED"] = any(
        values[name] for name in ("WECOM_CORP_ID", "DINGTALK_CLIENT_ID", "FEISHU_APP_ID")
    )
    return values
