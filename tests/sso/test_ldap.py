"""LDAP sign-in against a real slapd (tests/sso/slapd.py): users created at the first sign-in, their
role from their directory groups at every sign-in, throttling and the two-factor step still applied,
local passwords still working."""

import environ
import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.sso_settings import LDAP_BACKEND, ldap_settings
from tests.factories import UserFactory
from tests.sso import slapd

User = get_user_model()


@pytest.fixture
def ldap_on(slapd_server, settings, monkeypatch, db):
    monkeypatch.setenv("LDAP_BIND_DN", slapd.ROOT_DN)
    monkeypatch.setenv("LDAP_BIND_PASSWORD", slapd.ROOT_PASSWORD)
    monkeypatch.setenv("LDAP_USER_SEARCH_BASE", slapd.PEOPLE)
    monkeypatch.setenv("LDAP_GROUP_SEARCH_BASE", slapd.GROUPS)
    monkeypatch.setenv("LDAP_TIMEOUT_SECONDS", "3")
    for name, value in ldap_settings(environ.Env(), slapd_server.uri).items():
        setattr(settings, name, value)
    settings.LDAP_ROLE_GROUPS = {
        slapd.ENGINEERS: "engineer",
        slapd.MANAGERS.upper(): "manager",  # DNs compare case-insensitively
        slapd.ADMINS: "admin",
    }
    settings.SSO_REQUIRE_ROLE = True
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        LDAP_BACKEND,
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.LANGUAGE_CODE = "en"
    return slapd_server


def _sign_in(client, username, password):
    return client.post(reverse("login"), {"username": username, "password": password})


def _roles(user):
    return sorted(
        user.groups.filter(name__in=["engineer", "manager", "admin"]).values_list("name", flat=True)
    )


def test_a_directory_engineer_is_created_at_the_first_sign_in_with_the_engineer_role(ldap_on, client):
    assert not User.objects.filter(username="liwei").exists()
    response = _sign_in(client, "liwei", "li-password")
    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(username="liwei")
    assert _roles(user) == ["engineer"]
    assert (user.first_name, user.last_name, user.email) == ("伟", "李", "liwei@toolkit.test")
    assert not user.has_usable_password() and not user.is_staff
    assert user.has_perm("toolkit.view_ticket") and not user.has_perm("toolkit.view_contact_details")
    assert client.get("/").status_code == 200


def test_the_role_follows_the_directory_groups_at_every_sign_in(ldap_on, client):
    assert _sign_in(client, "zhangmin", "zhang-password").status_code == 302
    user = User.objects.get(username="zhangmin")
    assert _roles(user) == ["manager"]
    assert user.has_perm("solutions.approve_solutiondesign")
    ldap_on.set_member(slapd.MANAGERS, "zhangmin", member=False)
    ldap_on.set_member(slapd.ADMINS, "zhangmin", member=True)
    try:
        client.logout()
        assert _sign_in(client, "zhangmin", "zhang-password").status_code == 302
        user = User.objects.get(username="zhangmin")
        assert _roles(user) == ["admin"] and user.is_staff
    finally:
        ldap_on.set_member(slapd.ADMINS, "zhangmin", member=False)
        ldap_on.set_member(slapd.MANAGERS, "zhangmin", member=True)
    assert User.objects.filter(username="zhangmin").count() == 1


def test_someone_no_group_maps_to_a_role_is_refused_and_not_created(ldap_on, client):
    response = _sign_in(client, "wangfang", "wang-password")
    assert response.status_code == 200 and "correct username and password" in response.content.decode()
    assert not User.objects.filter(username="wangfang").exists()


def test_a_wrong_directory_password_is_refused_and_counted_by_the_throttle(ldap_on, client, settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        response = _sign_in(client, "liwei", "wrong")
        assert response.status_code in (200, 429)
    assert not User.objects.filter(username="liwei").exists()
    # Locked out now: even the right password is refused until the cool-off or an admin unlocks it.
    assert _sign_in(client, "liwei", "li-password").status_code == 429


def test_the_two_factor_step_still_applies_to_a_directory_user(ldap_on, client):
    assert _sign_in(client, "liwei", "li-password").status_code == 302
    user = User.objects.get(username="liwei")
    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    client.logout()
    response = _sign_in(client, "liwei", "li-password")
    assert response.status_code == 302 and response["Location"] == reverse("login_code")
    assert client.get("/").status_code == 302  # not signed in before the code


def test_local_passwords_still_work_for_admins(ldap_on, client):
    admin = UserFactory(username="root", role="admin", is_staff=True)
    admin.set_password("local-admin-password")
    admin.save()
    response = _sign_in(client, "root", "local-admin-password")
    assert response.status_code == 302
    admin.refresh_from_db()
    assert _roles(admin) == ["admin"]


def test_a_directory_that_does_not_answer_gives_the_ordinary_error_not_a_500(ldap_on, client, settings):
    settings.AUTH_LDAP_SERVER_URI = "ldap://127.0.0.1:1"
    response = _sign_in(client, "liwei", "li-password")
    assert response.status_code == 200 and "correct username and password" in response.content.decode()
