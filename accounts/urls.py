"""Sign-in pages under /accounts/, ahead of django.contrib.auth.urls (same paths and names, so the
login and password reset here replace Django's; the rest of Django's account pages stay)."""

from django.urls import path

from . import sso_views, views

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/code/", views.login_code, name="login_code"),
    # OpenID Connect sign-in (accounts/sso.py); 404 while OIDC is not configured.
    path("oidc/start/", sso_views.oidc_start, name="oidc_authentication_init"),
    path("oidc/callback/", sso_views.oidc_callback, name="oidc_authentication_callback"),
    # WeCom, DingTalk and Feishu sign-in (accounts/social.py); 404 while the platform is not configured.
    # django-allauth finds each callback by the name "<platform>_callback"; none of allauth's own account
    # pages (signup, password reset, e-mail management) is mounted.
    path("social/<slug:platform>/start/", sso_views.social_start, name="social_start"),
    path("wecom/callback/", sso_views.social_callback, {"platform": "wecom"}, name="wecom_callback"),
    path("dingtalk/callback/", sso_views.social_callback, {"platform": "dingtalk"}, name="dingtalk_callback"),
    path("feishu/callback/", sso_views.social_callback, {"platform": "feishu"}, name="feishu_callback"),
    path("password_reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path("security/", views.security, name="account_security"),
    path("security/language/", views.security_language, name="account_security_language"),
    path("security/start/", views.security_start, name="account_security_start"),
    path("security/confirm/", views.security_confirm, name="account_security_confirm"),
    path("security/backup-codes/", views.security_backup_codes, name="account_security_backup_codes"),
    path("security/disable/", views.security_disable, name="account_security_disable"),
]
