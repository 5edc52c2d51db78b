"""Login throttling (django-axes): repeated failures lock signing in, with a translated message, on the
login page and the admin's login alike; an admin unlocks it; the cool-off ends it by itself."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.urls import reverse
from django.utils import timezone

from tests.factories import UserFactory

LOGIN = reverse("login")
PASSWORD = "pass-Word-123"


@pytest.fixture
def victim(db):
    return UserFactory(username="victim", role="engineer")


def _attempt(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password})


def _fail(client, username, times):
    for _ in range(times):
        _attempt(client, username, "wrong-password")


def test_the_right_password_is_refused_after_too_many_wrong_ones(axes_on, client, victim):
    _fail(client, "victim", axes_on.AXES_FAILURE_LIMIT - 1)
    assert _attempt(client, "victim", PASSWORD).status_code == 302  # one short of the limit: still fine
    client.logout()
    _fail(client, "victim", axes_on.AXES_FAILURE_LIMIT)  # a success cleared the count; now the limit
    response = _attempt(client, "victim", PASSWORD)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "登录失败次数过多" in page and "30" in page


def test_lockout_message_in_english(axes_on, client, victim):
    client.cookies["django_language"] = "en"
    _fail(client, "victim", axes_on.AXES_FAILURE_LIMIT)
    response = _attempt(client, "victim", PASSWORD)
    assert response.status_code == 429
    assert (
        "Too many failed sign-in attempts. Signing in is locked for 30 minutes" in response.content.decode()
    )


def test_guesses_on_many_accounts_from_one_address_are_locked_too(axes_on, client, db):
    for index in range(axes_on.AXES_FAILURE_LIMIT):
        _attempt(client, f"someone{index}", "Password123")
    UserFactory(username="another")
    assert _attempt(client, "another", PASSWORD).status_code == 429


def test_admin_login_goes_through_the_throttled_login(axes_on, client, victim):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response.url == f"{LOGIN}?next=/admin/"
    _fail(client, "victim", axes_on.AXES_FAILURE_LIMIT)
    assert client.post(response.url, {"username": "victim", "password": PASSWORD}).status_code == 429


def test_an_admin_unlocks_the_account_in_the_admin(axes_on, client, victim, admin_user):
    _fail(client, "victim", axes_on.AXES_FAILURE_LIMIT)
    assert _attempt(client, "victim", PASSWORD).status_code == 429
    attempts = list(AccessAttempt.objects.filter(username="victim"))
    assert attempts

    admin = client.__class__()
    admin.force_login(admin_user)  # the admin role, not a superuser: the role grants the unlock
    listing = admin.get(reverse("admin:axes_accessattempt_changelist"))
    assert listing.status_code == 200 and "victim" in listing.content.decode()
    response = admin.post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in attempts], "post": "yes"},
    )
    assert response.status_code == 302
    assert not AccessAttempt.objects.filter(username="victim").exists()

    response = _attempt(client, "victim", PASSWORD)
    assert response.status_code == 302 and response.url == "/"


def test_the_lock_ends_after_the_cool_off(axes_on, client, victim):
    _fail(client, "victim", axes_on.AXES_FAILURE_LIMIT)
    assert _attempt(client, "victim", PASSWORD).status_code == 429
    with time_machine.travel(timezone.now() + axes_on.AXES_COOLOFF_TIME + timedelta(minutes=1)):
        assert _attempt(client, "victim", PASSWORD).status_code == 302
