"""OpenID Connect sign-in against a real provider: a small separate Django site running
django-oauth-toolkit in OIDC mode (tests/sso/oidc_provider/) on a loopback port (15400–15409), with an
RS256 key made here. A real HTTP client (a requests session, following redirects) goes through the
authorization-code flow: our start page → the provider's login form → back to our callback, which
exchanges the code, checks the ID token's signature and creates the user with the mapped role."""

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts import sso
from accounts.sso_settings import OIDC_BACKEND

ROOT = Path(__file__).resolve().parents[2]
PORTS = range(15400, 15410)
CLIENT_ID = "service-desk"
CLIENT_SECRET = "desk-client-secret"  # noqa: S105 - a throw-away test provider
PEOPLE = [
    {
        "username": "chenjie",
        "password": "chen-password",
        "email": "chen@idp.test",
        "given_name": "杰",
        "family_name": "陈",
        "groups": ["desk-managers", "everyone"],
    },
    {"username": "visitor", "password": "visitor-password", "email": "v@idp.test", "groups": ["everyone"]},
]


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 15400-15409")


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    folder = Path(tempfile.mkdtemp(prefix="toolkit-oidc-"))
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = folder / "key.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    port = _free_port()
    setup = {
        "people": PEOPLE,
        "client": {
            "id": CLIENT_ID,
            "secret": CLIENT_SECRET,
            "redirect_uri": live_server.url + reverse("oidc_authentication_callback"),
        },
    }
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE_URL"))},
        "DJANGO_SETTINGS_MODULE": "tests.sso.oidc_provider.settings",
        "OIDC_TEST_PORT": str(port),
        "OIDC_TEST_DB": str(folder / "provider.sqlite3"),
        "OIDC_TEST_KEY_FILE": str(key_file),
        "OIDC_TEST_SETUP": json.dumps(setup),
    }
    log = open(folder / "provider.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(  # noqa: S603 - fixed command
        [sys.executable, "-m", "tests.sso.oidc_provider.serve"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    issuer = f"http://127.0.0.1:{port}/o"
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError((folder / "provider.log").read_text(errors="replace"))
            try:
                if requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the OIDC provider did not start within 60 s")
            time.sleep(0.2)
        yield issuer
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        log.close()


@pytest.fixture
def oidc_on(oidc_provider, settings, transactional_db):
    sso._discovery.clear()
    settings.OIDC_ISSUER = oidc_provider
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_PROVIDER_NAME = "Test IdP"
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_ROLE_GROUPS = {"desk-managers": "manager", "desk-engineers": "engineer"}
    settings.SSO_REQUIRE_ROLE = True
    settings.AUTHENTICATION_BACKENDS = [
        "axes.backends.AxesStandaloneBackend",
        OIDC_BACKEND,
        "django.contrib.auth.backends.ModelBackend",
    ]
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.LANGUAGE_CODE = "en"
    yield oidc_provider
    sso._discovery.clear()


def _sign_in_at_the_provider(live_server, username, password):
    browser = requests.Session()
    page = browser.get(live_server.url + reverse("login"), timeout=10)
    assert page.status_code == 200 and "Sign in with Test IdP" in page.text
    start = re.search(r'id="oidc-sign-in" href="([^"]+)"', page.text)[1]
    login = browser.get(live_server.url + start.replace("&amp;", "&"), timeout=10)
    assert login.url.startswith("http://127.0.0.1:") and 'id="provider-login"' in login.text
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)[1]
    following = re.search(r'name="next" value="([^"]*)"', login.text)[1].replace("&amp;", "&")
    done = browser.post(
        login.url,
        data={"csrfmiddlewaretoken": token, "username": username, "password": password, "next": following},
        timeout=20,
    )
    return browser, done


def test_oidc_sign_in_creates_the_user_with_the_role_of_their_groups_claim(oidc_on, live_server):
    User = get_user_model()
    assert not User.objects.filter(username="chenjie").exists()
    browser, done = _sign_in_at_the_provider(live_server, "chenjie", "chen-password")
    assert done.status_code == 200 and done.url == live_server.url + "/", done.text[:500]
    user = User.objects.get(username="chenjie")
    assert sorted(user.groups.values_list("name", flat=True)) == ["manager"]
    assert (user.first_name, user.last_name, user.email) == ("杰", "陈", "chen@idp.test")
    assert not user.has_usable_password()
    assert user.has_perm("solutions.approve_solutiondesign")
    # Signed in here: a page that needs a login opens.
    assert browser.get(live_server.url + reverse("account_security"), timeout=10).status_code == 200
    # A second sign-in finds the same user; with a second factor set up here, its code is asked next.
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    browser, done = _sign_in_at_the_provider(live_server, "chenjie", "chen-password")
    assert done.url == live_server.url + reverse("login_code")
    assert browser.get(live_server.url + reverse("account_security"), timeout=10).url.startswith(
        live_server.url + reverse("login")
    )
    assert User.objects.filter(username__iexact="chenjie").count() == 1


def test_someone_whose_groups_map_to_no_role_is_sent_back_and_not_created(oidc_on, live_server):
    _browser, done = _sign_in_at_the_provider(live_server, "visitor", "visitor-password")
    assert done.url.startswith(live_server.url + reverse("login"))
    assert "has no role here" in done.text
    assert not get_user_model().objects.filter(username="visitor").exists()


def test_without_oidc_settings_there_is_no_button_and_no_start_page(client, settings, db):
    settings.OIDC_RP_CLIENT_ID = ""
    assert 'id="oidc-sign-in"' not in client.get(reverse("login")).content.decode()
    assert client.get(reverse("oidc_authentication_init")).status_code == 404


def test_a_password_sign_in_works_while_the_identity_provider_is_down(client, settings, db):
    """The OIDC backend reads nothing from the provider until an OIDC sign-in: a password sign-in
    (which asks every backend) neither waits for nor fails on a provider that does not answer."""
    from tests.factories import UserFactory

    sso._discovery.clear()
    settings.OIDC_ISSUER = "http://127.0.0.1:1/o"  # nothing listens there
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.AUTHENTICATION_BACKENDS = [OIDC_BACKEND, "django.contrib.auth.backends.ModelBackend"]
    admin = UserFactory(username="root", role="admin", is_staff=True)
    admin.set_password("local-admin-password")
    admin.save()
    login = reverse("login") + "?code=stolen&state=forged"
    response = client.post(login, {"username": "root", "password": "local-admin-password"})
    assert response.status_code == 302
    assert client.session["_auth_user_backend"] == "django.contrib.auth.backends.ModelBackend"
