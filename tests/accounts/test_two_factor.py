"""Two-factor sign-in (TOTP): anyone enrols from the security page with a real authenticator code
(computed by pyotp, independently of django-otp), the login then asks for a code, backup codes work
once, and OTP_REQUIRED_FOR_ROLES sends managers and admins to set it up before anything else."""

import re
import time
from base64 import b32encode

import pyotp
import pytest
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import services

HOME = reverse("home")
LOGIN = reverse("login")
CODE = reverse("login_code")
SECURITY = reverse("account_security")
PASSWORD = "pass-Word-123"


def authenticator(device) -> pyotp.TOTP:
    """What the phone app holds after scanning: the secret from the QR code's otpauth:// link."""
    return pyotp.parse_uri(device.config_url)


def later_code(device, steps=1) -> str:
    # Each code is accepted once, so a second use in the same test takes the next time step's code.
    return authenticator(device).at(time.time() + 30 * steps)


@pytest.fixture
def enrolled(manager):
    device = services.totp_enrolment_start(user=manager)
    codes = services.totp_enrolment_confirm(user=manager, code=authenticator(device).now())
    device.refresh_from_db()
    return device, codes


def test_enrolment_from_the_security_page(manager_client, manager):
    page = manager_client.get(SECURITY).content.decode()
    assert 'id="two-factor-state"' in page and 'id="two-factor-start-form"' in page

    response = manager_client.post(reverse("account_security_start"))
    assert response.status_code == 302
    page = manager_client.get(SECURITY).content.decode()
    assert "<svg" in page and 'class="segno"' in page  # the QR code, drawn inline
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    device = TOTPDevice.objects.get(user=manager)
    assert not device.confirmed
    assert secret == b32encode(device.bin_key).decode().rstrip("=")

    wrong = manager_client.post(reverse("account_security_confirm"), {"code": "000000"}, follow=True)
    assert "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed
    time.sleep(1.1)  # the throttle after a wrong code

    response = manager_client.post(reverse("account_security_confirm"), {"code": pyotp.TOTP(secret).now()})
    assert response.status_code == 200
    shown = re.findall(r'class="col backup-code">([a-z2-7]+)<', response.content.decode())
    assert len(shown) == 10
    # Stored as keyed digests, never as the codes shown.
    stored = set(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True))
    assert stored == {services.backup_code_digest(code) for code in shown}
    assert not stored & set(shown)
    device.refresh_from_db()
    assert device.confirmed
    assert "no-store" in response["Cache-Control"]
    # This session proved the app: it is not signed out for owing a code.
    assert manager_client.get(HOME).status_code == 200


def test_login_asks_for_the_code_after_the_password(client, manager, enrolled):
    device, _codes = enrolled
    response = client.post(LOGIN, {"username": "manager", "password": PASSWORD, "next": "/diagnosis/"})
    assert response.status_code == 302 and response.url == CODE
    assert "_auth_user_id" not in client.session  # not signed in on the password alone
    assert client.get(HOME).status_code == 302

    wrong = client.post(CODE, {"code": "123456"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    time.sleep(1.1)  # django-otp refuses any code for a second after a wrong one (doubling each time)

    response = client.post(CODE, {"code": later_code(device)})
    assert response.status_code == 302 and response.url == "/diagnosis/"
    assert client.session["_auth_user_id"] == str(manager.pk)
    assert client.get(HOME).status_code == 200


def test_a_backup_code_signs_in_once(client, manager, enrolled):
    _device, codes = enrolled
    client.post(LOGIN, {"username": "manager", "password": PASSWORD})
    assert client.post(CODE, {"code": codes[0].upper()}).status_code == 302
    client.logout()
    client.post(LOGIN, {"username": "manager", "password": PASSWORD})
    assert client.post(CODE, {"code": codes[0]}).status_code == 200  # spent
    assert "_auth_user_id" not in client.session


def test_the_code_step_alone_signs_nobody_in(client, enrolled):
    device, _codes = enrolled
    response = client.post(CODE, {"code": later_code(device)})
    assert response.status_code == 302 and response.url == LOGIN
    assert "_auth_user_id" not in client.session


def test_wrong_codes_count_towards_the_lockout(axes_on, client, manager, enrolled):
    device, _codes = enrolled
    client.post(LOGIN, {"username": "manager", "password": PASSWORD})
    responses = [client.post(CODE, {"code": "000000"}) for _ in range(axes_on.AXES_FAILURE_LIMIT)]
    assert responses[-1].status_code == 429
    assert client.post(CODE, {"code": later_code(device)}).status_code in (302, 429)
    assert "_auth_user_id" not in client.session
    assert client.post(LOGIN, {"username": "manager", "password": PASSWORD}).status_code == 429


def test_a_session_that_skipped_the_code_is_signed_out(client, manager, enrolled):
    client.force_login(manager)  # any way in that did not pass the code
    response = client.get(HOME)
    assert response.status_code == 302 and response.url.startswith(LOGIN)
    assert "_auth_user_id" not in client.session


def test_turning_it_off_needs_a_current_code(manager_client, manager, enrolled):
    device, _codes = enrolled
    manager_client.post(reverse("account_security_disable"), {"code": "000000"})
    assert TOTPDevice.objects.filter(user=manager).exists()
    time.sleep(1.1)  # the throttle after a wrong code
    manager_client.post(reverse("account_security_disable"), {"code": later_code(device)})
    assert not TOTPDevice.objects.filter(user=manager).exists()
    assert not StaticToken.objects.filter(device__user=manager).exists()


def test_required_roles_set_it_up_before_anything_else(settings, manager_client, engineer):
    settings.OTP_REQUIRED_FOR_ROLES = ["manager", "admin"]
    response = manager_client.get(HOME)
    assert response.status_code == 302 and response.url == SECURITY
    assert manager_client.get(reverse("diagnosis:list")).url == SECURITY
    page = manager_client.get(SECURITY)
    assert page.status_code == 200 and "必须使用两步登录" in page.content.decode()
    # Engineers are not in the list.
    engineer_client = manager_client.__class__()
    engineer_client.force_login(engineer)
    assert engineer_client.get(HOME).status_code == 200


def test_required_roles_cover_the_admin_site(settings, client, admin_user):
    settings.OTP_REQUIRED_FOR_ROLES = ["admin"]
    client.force_login(admin_user)
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302 and response.url == SECURITY


def test_after_enrolling_a_required_role_works_and_cannot_turn_it_off(settings, manager_client, manager):
    settings.OTP_REQUIRED_FOR_ROLES = ["manager"]
    manager_client.post(reverse("account_security_start"))
    device = TOTPDevice.objects.get(user=manager)
    manager_client.post(reverse("account_security_confirm"), {"code": authenticator(device).now()})
    assert manager_client.get(HOME).status_code == 200
    manager_client.post(reverse("account_security_disable"), {"code": later_code(device)})
    assert TOTPDevice.objects.filter(user=manager, confirmed=True).exists()


def test_a_copy_of_the_stored_backup_codes_signs_nobody_in(client, manager, enrolled):
    _device, codes = enrolled
    stored = list(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True))
    assert len(stored) == 10 and not set(stored) & set(codes)
    client.post(LOGIN, {"username": "manager", "password": PASSWORD})
    assert client.post(CODE, {"code": stored[0]}).status_code == 200  # the digest is not a code
    assert "_auth_user_id" not in client.session
    assert StaticToken.objects.filter(device__user=manager).count() == 10


def test_backup_codes_survive_a_secret_key_rotation(client, manager, enrolled, settings):
    _device, codes = enrolled
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    client.post(LOGIN, {"username": "manager", "password": PASSWORD})
    assert client.post(CODE, {"code": codes[1]}).status_code == 302
    assert StaticToken.objects.filter(device__user=manager).count() == 9  # spent
    # New codes are digested under the new key.
    fresh = services.backup_codes_regenerate(user=manager, code=codes[2])
    stored = set(StaticToken.objects.filter(device__user=manager).values_list("token", flat=True))
    assert stored == {services.backup_code_digest(code) for code in fresh}


def test_the_migration_turns_plain_codes_into_the_same_digests(manager):
    import importlib

    from django.apps import apps
    from django_otp.plugins.otp_static.models import StaticDevice

    migration = importlib.import_module("accounts.migrations.0002_backup_codes_as_digests")
    device = StaticDevice.objects.create(user=manager, name=services.BACKUP_DEVICE_NAME, confirmed=True)
    StaticToken.objects.create(device=device, token="abcd2345")
    StaticToken.objects.create(device=device, token=services.backup_code_digest("efgh6723"))  # done already
    migration.codes_to_digests(apps, None)
    stored = set(StaticToken.objects.filter(device=device).values_list("token", flat=True))
    assert stored == {services.backup_code_digest("abcd2345"), services.backup_code_digest("efgh6723")}
    assert services.two_factor_verify(user=manager, code="ABCD-2345") == device
