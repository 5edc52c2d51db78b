"""WeCom, DingTalk and Feishu sign-in on django-allauth's socialaccount flow (state, redirects, the code
exchange), imported at the first request to one of them (accounts/sso_views.py), not at start-up.

DingTalk and Feishu are allauth's providers with their addresses from settings (Lark, and the tests'
local servers) and one step more: the person is looked up in our organisation's directory with the
app's own token, which proves membership and gives the directory user id, e-mail and departments.
WeCom has no allauth provider (allauth's ``weixin`` is WeChat): ours below follows WeCom's web sign-in.
Every answer's error code is checked; whatever goes wrong ends on our login page with a message
(accounts/social.py decides who may sign in).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter, get_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.base import ProviderAccount
from allauth.socialaccount.providers.dingtalk.provider import DingTalkProvider as AllauthDingTalkProvider
from allauth.socialaccount.providers.dingtalk.views import DingTalkOAuth2Adapter
from allauth.socialaccount.providers.feishu.client import FeishuOAuth2Client
from allauth.socialaccount.providers.feishu.provider import FeishuProvider as AllauthFeishuProvider
from allauth.socialaccount.providers.feishu.views import FeishuOAuth2Adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.oauth2.provider import OAuth2Provider
from allauth.socialaccount.providers.oauth2.views import OAuth2Adapter, OAuth2CallbackView, OAuth2LoginView
from django.conf import settings
from django.core.cache import cache
from django.http import Http404
from django.utils.http import urlencode

from . import social


class PlatformError(OAuth2Error):
    """The platform refused a call or answered with an error code."""

    def __init__(self, message: str, code=None):
        super().__init__(message)
        self.code = code


class NotMember(OAuth2Error):
    """The person is not (or no longer) a member of our organisation on the platform."""


# Error codes meaning "this app token is no longer valid": the token is fetched again, once.
TOKEN_EXPIRED = {40014, 42001, 88, 99991661, 99991663, 99991664}


def _base(name: str) -> str:
    return str(getattr(settings, name)).rstrip("/")


def _call(method: str, url: str, *, code_key: str = "errcode", **kwargs) -> dict:
    """One call to a platform's API (allauth's requests session, with its deadline); its error code
    (``errcode``, Feishu's ``code``) must be 0."""
    with get_adapter().get_requests_session() as session:
        response = session.request(method, url, **kwargs)
    response.raise_for_status()
    answer = response.json()
    if not isinstance(answer, dict) or answer.get(code_key) != 0:
        code = answer.get(code_key) if isinstance(answer, dict) else None
        message = (answer.get("errmsg") or answer.get("msg")) if isinstance(answer, dict) else answer
        raise PlatformError(f"{url}: {code_key} {code}: {message}", code=code)
    return answer


def _with_app_token(key: str, fetch: Callable[[], tuple[str, int]], call: Callable[[str], dict]) -> dict:
    """call(token) with the app's access token, kept in the shared cache for its lifetime (the
    platforms limit how often it may be fetched); fetched again once when the platform says it expired."""
    cache_key = "social-app-token:" + hashlib.sha256(key.encode()).hexdigest()
    for attempt in (1, 2):
        token = cache.get(cache_key)
        if token is None:
            token, expires_in = fetch()
            # A little before the platform's end, so a token is never used as it expires.
            cache.set(cache_key, token, max(int(expires_in) - 300, 60))
        try:
            return call(token)
        except PlatformError as error:
            if attempt == 2 or error.code not in TOKEN_EXPIRED:
                raise
            cache.delete(cache_key)
    raise AssertionError("unreachable")


class DirectoryProvider(OAuth2Provider):
    """The person's data is our normalised directory entry: userid, name, email, departments."""

    account_class = ProviderAccount

    def extract_uid(self, data):
        return str(data["userid"])

    def extract_common_fields(self, data):
        return {}


def _person(userid, name, email, departments) -> dict:
    return {
        "userid": str(userid),
        "name": str(name or ""),
        "email": str(email or ""),
        "departments": [str(department) for department in departments or ()],
    }


# ---------------------------------------------------------------- WeCom (企业微信)


class WeComClient(OAuth2Client):
    def get_redirect_url(self, authorization_url, scope, extra_params):
        params = {
            "login_type": "CorpApp",
            "appid": self.consumer_key,
            "agentid": settings.WECOM_AGENT_ID,
            "redirect_uri": self.callback_url,
            "state": self.state,
        }
        return f"{authorization_url}?{urlencode(params)}"


class WeComAdapter(OAuth2Adapter):
    """WeCom's web sign-in: the code names a member through the app's token (no user token)."""

    provider_id = "wecom"
    client_class = WeComClient
    access_token_url = ""

    @property
    def authorize_url(self):
        return _base("WECOM_LOGIN_URL") + "/wwlogin/sso/login"

    def _directory(self, app, path: str, **params) -> dict:
        base = _base("WECOM_API_BASE")

        def fetch():
            answer = _call(
                "GET", f"{base}/cgi-bin/gettoken", params={"corpid": app.client_id, "corpsecret": app.secret}
            )
            return answer["access_token"], answer.get("expires_in", 7200)

        return _with_app_token(
            f"wecom {base} {app.client_id} {app.secret}",
            fetch,
            lambda token: _call("GET", f"{base}{path}", params={"access_token": token, **params}),
        )

    def get_access_token_data(self, request, app, client, pkce_code_verifier=None):
        who = self._directory(app, "/cgi-bin/auth/getuserinfo", code=request.GET.get("code", ""))
        if not who.get("userid"):  # someone outside the organisation has an openid only
            raise NotMember("WeCom: not a member of the organisation")
        self.did_fetch_access_token = True
        return {"access_token": "", "userid": who["userid"]}

    def complete_login(self, request, app, token, **kwargs):
        entry = self._directory(app, "/cgi-bin/user/get", userid=kwargs["response"]["userid"])
        if entry.get("status", 1) != 1:  # 2 disabled, 4 not activated, 5 left
            raise NotMember(f"WeCom: member status {entry.get('status')}")
        person = _person(
            entry["userid"],
            entry.get("name"),
            entry.get("biz_mail") or entry.get("email"),
            entry.get("department"),
        )
        return self.get_provider().sociallogin_from_response(request, person)


class WeComProvider(DirectoryProvider):
    id = "wecom"
    name = "WeCom"
    oauth2_adapter_class = WeComAdapter


# ---------------------------------------------------------------- DingTalk (钉钉)


class DingTalkAdapter(DingTalkOAuth2Adapter):
    access_token_url = property(lambda self: _base("DINGTALK_API_BASE") + "/v1.0/oauth2/userAccessToken")
    authorize_url = property(lambda self: _base("DINGTALK_LOGIN_URL") + "/oauth2/auth")
    profile_url = property(lambda self: _base("DINGTALK_API_BASE") + "/v1.0/contact/users/me")

    def _directory(self, app, path: str, body: dict) -> dict:
        oapi = _base("DINGTALK_OAPI_BASE")

        def fetch():
            answer = _call(
                "GET", f"{oapi}/gettoken", params={"appkey": app.client_id, "appsecret": app.secret}
            )
            return answer["access_token"], answer.get("expires_in", 7200)

        return _with_app_token(
            f"dingtalk {oapi} {app.client_id} {app.secret}",
            fetch,
            lambda token: _call("POST", f"{oapi}{path}", params={"access_token": token}, json=body),
        )["result"]

    def complete_login(self, request, app, token, **kwargs):
        with get_adapter().get_requests_session() as session:
            response = session.get(self.profile_url, headers={"x-acs-dingtalk-access-token": token.token})
        response.raise_for_status()
        union_id = response.json()["unionId"]
        try:
            found = self._directory(app, "/topapi/user/getbyunionid", {"unionid": union_id})
        except PlatformError as error:
            if error.code == 60121:  # no such user in the organisation
                raise NotMember("DingTalk: not a member of the organisation") from error
            raise
        entry = self._directory(app, "/topapi/v2/user/get", {"userid": found["userid"], "language": "zh_CN"})
        if entry.get("active") is False:
            raise NotMember("DingTalk: member not active")
        person = _person(
            found["userid"],
            entry.get("name"),
            entry.get("org_email") or entry.get("email"),
            entry.get("dept_id_list"),
        )
        return self.get_provider().sociallogin_from_response(request, person)


class DingTalkProvider(DirectoryProvider, AllauthDingTalkProvider):
    oauth2_adapter_class = DingTalkAdapter

    def get_auth_params(self):
        return {"prompt": "consent"}


# ---------------------------------------------------------------- Feishu (飞书) / Lark


def _feishu_token(app, kind: str) -> Callable[[], tuple[str, int]]:
    """Fetch the app's app_access_token or tenant_access_token (a self-built app's)."""

    def fetch():
        answer = _call(
            "POST",
            f"{_base('FEISHU_API_BASE')}/open-apis/auth/v3/{kind}/internal",
            json={"app_id": app.client_id, "app_secret": app.secret},
            code_key="code",
        )
        return answer[kind], answer.get("expire", 7200)

    return fetch


class FeishuClient(FeishuOAuth2Client):
    def __init__(self, *args, app, **kwargs):
        super().__init__(*args, **kwargs)
        self.app = app

    def get_access_token(self, code, pkce_code_verifier=None):
        base = _base("FEISHU_API_BASE")
        return _with_app_token(
            f"feishu app {base} {self.app.client_id} {self.app.secret}",
            _feishu_token(self.app, "app_access_token"),
            lambda token: _call(
                "POST",
                self.access_token_url,
                json={"grant_type": "authorization_code", "code": code},
                headers={"Authorization": f"Bearer {token}"},
                code_key="code",
            ),
        )["data"]


class FeishuAdapter(FeishuOAuth2Adapter):
    authorization_url = property(lambda self: _base("FEISHU_API_BASE") + "/open-apis/authen/v1/index")
    access_token_url = property(lambda self: _base("FEISHU_API_BASE") + "/open-apis/authen/v1/access_token")
    user_info_url = property(lambda self: _base("FEISHU_API_BASE") + "/open-apis/authen/v1/user_info")

    def get_client(self, request, app):
        return FeishuClient(
            request,
            app.client_id,
            app.secret,
            self.access_token_method,
            self.access_token_url,
            self.get_callback_url(request, app),
            app=app,
        )

    def complete_login(self, request, app, token, **kwargs):
        info = _call(
            "GET", self.user_info_url, headers={"Authorization": f"Bearer {token.token}"}, code_key="code"
        )
        open_id = info["data"]["open_id"]
        base = _base("FEISHU_API_BASE")
        try:
            entry = _with_app_token(
                f"feishu tenant {base} {app.client_id} {app.secret}",
                _feishu_token(app, "tenant_access_token"),
                lambda token: _call(
                    "GET",
                    f"{base}/open-apis/contact/v3/users/{open_id}",
                    params={"user_id_type": "open_id", "department_id_type": "department_id"},
                    headers={"Authorization": f"Bearer {token}"},
                    code_key="code",
                ),
            )["data"]["user"]
        except PlatformError as error:
            if error.code in (41050, 40013):  # not visible to the app: outside the organisation
                raise NotMember("Feishu: not a member of the organisation") from error
            raise
        status = entry.get("status") or {}
        if status.get("is_frozen") or status.get("is_resigned"):
            raise NotMember("Feishu: member frozen or resigned")
        person = _person(
            entry.get("user_id") or open_id,
            entry.get("name"),
            entry.get("enterprise_email") or entry.get("email"),
            entry.get("department_ids"),
        )
        return self.get_provider().sociallogin_from_response(request, person)


class FeishuProvider(DirectoryProvider, AllauthFeishuProvider):
    oauth2_adapter_class = FeishuAdapter


# ---------------------------------------------------------------- allauth's adapter: our rule decides

PROVIDERS = {provider.id: provider for provider in (WeComProvider, DingTalkProvider, FeishuProvider)}
CREDENTIALS = {
    "wecom": ("WECOM_CORP_ID", "WECOM_SECRET"),
    "dingtalk": ("DINGTALK_CLIENT_ID", "DINGTALK_CLIENT_SECRET"),
    "feishu": ("FEISHU_APP_ID", "FEISHU_APP_SECRET"),
}


class SocialAdapter(DefaultSocialAccountAdapter):
    """The apps come from settings, only our three providers exist, and allauth's own signup and
    login steps are never reached: accounts.social.sign_in answers instead."""

    def list_apps(self, request, provider=None, client_id=None):
        apps = []
        for platform_id, (client, secret) in CREDENTIALS.items():
            if provider in (None, platform_id) and social.platform_enabled(platform_id):
                apps.append(
                    SocialApp(
                        provider=platform_id,
                        name=str(social.PLATFORMS[platform_id].name),
                        client_id=getattr(settings, client),
                        secret=getattr(settings, secret),
                    )
                )
        return [app for app in apps if client_id in (None, app.client_id)]

    def get_provider(self, request, provider, client_id=None):
        if provider not in PROVIDERS or not social.platform_enabled(provider):
            raise Http404
        return PROVIDERS[provider](request, app=self.get_app(request, provider, client_id=client_id))

    def is_open_for_signup(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        account = sociallogin.account
        data = account.extra_data
        person = social.Person(
            platform=account.provider,
            userid=account.uid,
            name=data["name"],
            email=data["email"],
            departments=tuple(data["departments"]),
        )

        def link(user):
            SocialAccount.objects.update_or_create(
                provider=account.provider, uid=account.uid, defaults={"user": user, "extra_data": data}
            )

        raise ImmediateHttpResponse(
            social.sign_in(
                request,
                person=person,
                linked=sociallogin.user if sociallogin.is_existing else None,
                next_url=sociallogin.state.get("next") or settings.LOGIN_REDIRECT_URL,
                link=link,
            )
        )

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        if isinstance(exception, NotMember):
            message = social.not_member_message(provider.id)
        elif exception is None:  # no state or a wrong one, or cancelled (or an error) at the platform
            message = social.cancelled_message(provider.id)
        else:
            message = social.failed_message(provider.id)
        social.logger.warning("%s sign-in failed: %s %s", provider.id, error, exception)
        raise ImmediateHttpResponse(social.refuse(request, message))


def views() -> dict[str, tuple[Callable, Callable]]:
    """(start, callback) view of each platform."""
    return {
        provider_id: (
            OAuth2LoginView.adapter_view(provider.oauth2_adapter_class),
            OAuth2CallbackView.adapter_view(provider.oauth2_adapter_class),
        )
        for provider_id, provider in PROVIDERS.items()
    }
