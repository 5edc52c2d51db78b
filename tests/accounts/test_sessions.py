"""Sessions end after the idle timeout and after the absolute lifetime, with a translated reason on the
login page; the bell's polling is not activity; htmx requests redirect the whole page."""

import time

import pytest
import time_machine
from django.urls import reverse

HOME = reverse("home")
LOGIN = reverse("login")


@pytest.fixture
def clock():
    with time_machine.travel(time.time(), tick=False) as traveller:
        yield traveller


def test_idle_session_is_signed_out_with_the_reason(clock, manager_client, settings):
    assert manager_client.get(HOME).status_code == 200
    clock.shift(settings.SESSION_IDLE_SECONDS + 1)
    response = manager_client.get(HOME)
    assert response.status_code == 302 and response.url == f"{LOGIN}?next={HOME}"
    assert "_auth_user_id" not in manager_client.session
    page = manager_client.get(response.url).content.decode()
    assert "30 分钟没有操作" in page


def test_activity_keeps_the_session_until_its_absolute_lifetime(clock, manager_client, settings):
    assert settings.SESSION_IDLE_SECONDS == 30 * 60 and settings.SESSION_MAX_SECONDS == 12 * 60 * 60
    for _ in range(12 * 60 // 20 - 1):  # a request every 20 minutes for almost 12 hours
        clock.shift(20 * 60)
        assert manager_client.get(HOME).status_code == 200
    manager_client.cookies["django_language"] = "en"
    clock.shift(20 * 60 + 1)  # 12 hours and a second after the login
    response = manager_client.get(HOME)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    page = manager_client.get(response.url).content.decode()
    assert "Your session ended 12 hours after you signed in." in page


def test_the_bell_polling_is_not_activity(clock, manager_client, settings):
    manager_client.get(HOME)
    for _ in range(settings.SESSION_IDLE_SECONDS // 60):  # polled every minute for the whole idle time
        clock.shift(60)
        assert manager_client.get(reverse("notifications_unread")).status_code == 200
    clock.shift(60)
    response = manager_client.get(reverse("notifications_unread"), headers={"HX-Request": "true"})
    # The page the bell sits on goes to the login page as a whole, not inside the bell.
    assert response.status_code == 204 and response["HX-Redirect"] == LOGIN
    assert "_auth_user_id" not in manager_client.session
