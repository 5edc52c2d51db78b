"""Every page of every chapter needs a login and a role: walk the whole URL configuration, so a view
added later without its permission check fails here. Only the survey link, the language switch, the
bell's polling fragment, the health probes and the login pages are public."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.factories import TicketFactory

PUBLIC = {
    "survey:answer",
    "survey:thanks",
    # The customer's report form and status page (portal): private token links, no login.
    "portal_public:report",
    "portal_public:status",
    "portal_public:status_file",
    "set_language",
    # Load-balancer probes: JSON naming the checks, nothing about tickets or people.
    "healthz",
    "readyz",
    "notifications_unread",  # answers "stop polling" to anonymous users, nothing else
    "login",
    "login_code",  # the second step of a login (sends anyone without a password step back to login)
    # OpenID Connect sign-in: off to the identity provider and back (404 while OIDC is not configured).
    "oidc_authentication_init",
    "oidc_authentication_callback",
    # WeCom, DingTalk and Feishu sign-in: the same, each 404 while its platform is not configured.
    "social_start",
    "wecom_callback",
    "dingtalk_callback",
    "feishu_callback",
    # A signed-in person's own account and own notifications, whatever their role.
    "password_change",
    "password_change_done",
    "account_security",
    "account_security_start",
    "account_security_confirm",
    "account_security_backup_codes",
    "account_security_disable",
    "account_security_language",
    "notifications",
    "notifications_read_all",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
}
# The REST API answers 401 JSON to a request without a token instead of the login redirect; its own
# walk (tests/api/test_guarded.py) checks every operation for that, and a read token or a role refused.
TOKEN_GUARDED_NAMESPACES = {"api"}
SAMPLE = {"number": None, "pk": "1", "token": "x" * 43, "uidb64": "MQ", "object_id": "1"}


def _named_patterns(resolver=None, prefix="", namespace=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            if entry.namespace == "admin":
                continue  # Django's admin has its own staff check
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _named_patterns(entry, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern) and entry.name:
            yield f"{namespace}{entry.name}", prefix + str(entry.pattern), entry.pattern.regex.groupindex


def _path(route: str, groups, number: str) -> str:
    path = "/" + route
    for name in groups:
        value = number if name == "number" else SAMPLE.get(name, "1")
        for converter in ("str", "int", "slug", "path", ""):
            token = f"<{converter}:{name}>" if converter else f"<{name}>"
            path = path.replace(token, value)
    return path


def _guarded_urls(number):
    return [
        (name, _path(route, groups, number))
        for name, route, groups in _named_patterns()
        if name not in PUBLIC and name.split(":")[0] not in TOKEN_GUARDED_NAMESPACES
    ]


@pytest.fixture
def number(db):
    return TicketFactory().number


def test_the_walk_covers_every_chapter(number):
    names = {name.split(":")[0] for name, _path in _guarded_urls(number)}
    assert {"diagnosis", "requirements_analysis", "solutions", "tracking", "evaluation", "knowledge"} <= names
    assert len(_guarded_urls(number)) > 60


def test_anonymous_users_are_sent_to_the_login_page(client, number):
    for name, path in _guarded_urls(number):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 302, (name, path, response.status_code)
            assert response.url.startswith("/accounts/login/"), (name, path, response.url)


def test_users_without_a_role_get_nothing(client, no_role_user, number):
    client.force_login(no_role_user)
    leaks = []
    for name, path in _guarded_urls(number):
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            # 403 refused, 404 nothing there, 405 wrong method, 400 bad query: never a page, file or change.
            if response.status_code not in (400, 403, 404, 405):
                leaks.append((method, name, path, response.status_code))
    assert leaks == [], "\n".join(map(str, leaks))


# No NUL here: a NUL anywhere is refused before any view runs (the test below), which would hide the rest.
BAD_QUERY = (
    "?q=%27%22%3Cscript%3E&page=-1&page=abc&week=2026-W99&month=13-2026&type=zzz&tag=zzz&status=zzz"
    "&sort=zzz&occurred_after=yesterday&occurred_before=2026-02-30&priority=P9&stage=zzz&owner=abc"
    "&customer=x&sla=zzz&description=%E2%80%AE&error_message=" + "长" * 3000
)


def test_nonsense_in_any_query_string_never_breaks_a_page(client, admin_user, number):
    """An administrator (every permission) sends garbage to every page: a clear answer, never a 500."""
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    broken = []
    for name, path in _guarded_urls(number):
        response = client.get(path + BAD_QUERY)
        if response.status_code >= 500:
            broken.append((name, path, response.status_code))
        if response.streaming:
            # An export was written: read it to the end, which closes its file (closing the response
            # would end the test's database connection on PostgreSQL).
            b"".join(response.streaming_content)
    assert broken == [], "\n".join(map(str, broken))


FORM_FIELDS = [
    "approach",
    "description",
    "reason",
    "comment",
    "note",
    "outcome",
    "title",
    "symptoms",
    "to_stage",
    "status",
    "kind",
    "moscow",
    "value",
    "urgency",
    "effort",
    "estimated_cost",
    "duration_days",
    "people",
    "risk_level",
    "weight",
    "option",
    "direction",
    "planned_start",
    "planned_end",
    "actual_start",
    "actual_end",
    "progress",
    "hours_spent",
    "predecessor",
    "owner",
    "assignee",
    "due_at",
    "due_date",
    "verified_at",
    "method",
    "new_ticket",
    "decision",
    "rollback_plan",
    "parent_number",
    "query_string",
    "article",
    "ticket",
    "tags",
]
BAD_FORM = {field: "-99999999999" for field in FORM_FIELDS} | {
    field: "%00' OR 1=1 --<script>" for field in ("name", "summary", "text", "q")
}


def test_nonsense_in_any_form_never_breaks_a_page(client, admin_user, number):
    """The same for POSTs: every form answers wrong values with errors (or a refusal), never a 500."""
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    broken = []
    for name, path in _guarded_urls(number):
        if name in ("logout",):
            continue
        response = client.post(path, BAD_FORM)
        if response.status_code >= 500:
            broken.append((name, path, response.status_code))
        if response.streaming:
            b"".join(response.streaming_content)
    assert broken == [], "\n".join(map(str, broken))


# Parameter names the pages read; one of them carries a NUL byte (PostgreSQL cannot compare text with NUL).
NUL_PARAMETERS = sorted(
    {*FORM_FIELDS, "name", "summary", "text", "q", "customer_name", "contact_name", "error_message"}
    | {"impact_scope", "business_urgency", "customer_tier", "peak_time", "page", "sort", "week", "month"}
)


def test_a_nul_byte_in_any_parameter_or_path_is_a_clear_400(client, admin_user, number):
    """On PostgreSQL a NUL reaching a query was a 500; on every database it is now a 400 with a reason."""
    admin_user.is_superuser = True
    admin_user.save()
    client.force_login(admin_user)
    wrong = []
    for index, (name, path) in enumerate(_guarded_urls(number)):
        # One parameter carries the NUL, a different one for each URL, among clean values for the rest.
        nul_in = NUL_PARAMETERS[index % len(NUL_PARAMETERS)]
        query = {parameter: "登录\x00x" if parameter == nul_in else "1" for parameter in NUL_PARAMETERS}
        response = client.get(path, query)
        if response.status_code != 400:
            wrong.append(("get", name, nul_in, response.status_code))
        if name != "logout":
            response = client.post(path, {**BAD_FORM, "text": "a\x00b"})
            if response.status_code != 400:
                wrong.append(("post", name, response.status_code))
    for name, path in _guarded_urls("TS-%00"):
        if "TS-%00" in path and client.get(path).status_code != 400:
            wrong.append(("path", name, path))
    assert wrong == [], "\n".join(map(str, wrong[:50]))
