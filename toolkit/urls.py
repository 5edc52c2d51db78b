from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language

from accounts import views as accounts_views
from toolkit import health
from toolkit import views as toolkit_views
from toolkit.deferred_urls import deferred_include
from toolkit.middleware import API_PATH

# A database that is away answers 503 "not saved, please retry" instead of a bare 500.
handler500 = "toolkit.db.server_error"
handler400 = "toolkit.db.bad_request"

urlpatterns = [
    path("", include("dashboard.urls")),  # the managers' dashboard, named "home"
    path("my/", include("mywork.urls")),  # My work: an engineer's home (what "/" shows engineers)
    path("diagnosis/", include("diagnosis.urls")),
    path("requirements/", include("requirements_analysis.urls")),
    path("solutions/", include("solutions.urls")),
    path("tracking/", include("tracking.urls")),
    path("evaluation/reports/", include("evaluation.report_urls")),
    path("evaluation/", include("evaluation.urls")),
    path("survey/", include("evaluation.survey_urls")),
    # The customer's private report form and status page (/report/<token>/, /status/<token>/), and the
    # engineers' pages that issue and revoke those links.
    path("", include("portal.public_urls")),
    path("portal/", include("portal.urls")),
    path("knowledge/", include("knowledge.urls")),
    path("search/", include("search.urls")),  # the menu's global search
    path("attachments/", include("attachments.urls")),  # permission-checked downloads only
    # The ticket page's conversation card (replies, notes) and the canned-replies page.
    path("conversation/", include("conversation.urls")),
    # Teams, their members and the routing rules; the ticket page's follow and reassign actions.
    path("teams/", include("teams.urls")),
    # The REST API (token-authenticated; its docs page and OpenAPI document too) and the tokens page.
    # Imported on the first API request or reverse("api:…"), so django-ninja and pydantic stay out of
    # web workers that serve only pages (toolkit/deferred_urls.py).
    deferred_include(API_PATH.removeprefix("/"), "api.urls", namespace="api"),
    path("api/tokens/", include("api.token_urls")),
    # Background jobs: /imports/<id>/ (and later /exports/<id>/).
    path("", include("jobs.urls")),
    # Our login (throttled, two-step) and password reset (throttled) first, then Django's other account pages.
    path("accounts/", include("accounts.urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    # Liveness and readiness for load balancers and orchestrators (toolkit/health.py).
    path("healthz", health.liveness, name="healthz"),
    path("readyz", health.readiness, name="readyz"),
    path("notifications/", toolkit_views.notification_list, name="notifications"),
    path("notifications/unread/", toolkit_views.unread_fragment, name="notifications_unread"),
    path("notifications/read-all/", toolkit_views.notification_read_all, name="notifications_read_all"),
    path("notifications/<int:pk>/open/", toolkit_views.notification_open, name="notification_open"),
    # The admin signs in through the same login, not its own form (which has no throttling or code step).
    path("admin/login/", accounts_views.admin_login),
    # The admin and the apps' admin modules are imported on first use, like the API (toolkit/admin_urls.py).
    deferred_include("admin/", "toolkit.admin_urls", namespace="admin"),
]
