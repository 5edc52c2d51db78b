"""A web worker's start-up leaves the heavy packages only some pages need unimported (issue 15: memory).

django.setup() and the root URLconf, in a fresh interpreter without LDAP settings: openpyxl and Pillow
(the ticket import, thumbnails), XlsxWriter (exports), python-magic (uploads) and django-auth-ldap /
python-ldap (the LDAP backend), mozilla-django-oidc with requests and PyJWT (OIDC sign-in), django-ninja
with pydantic (the API), django-health-check with dnspython (the probes), segno (the two-factor QR code)
IMAPClient (the mail poll), Celery with kombu (sending a job), Python-Markdown (an article) and the apps'
admin modules (the admin site) come when first used.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

LAZY = (
    "openpyxl",
    "xlsxwriter",
    "PIL",
    "magic",
    "ldap",
    "django_auth_ldap",
    "mozilla_django_oidc",
    "requests",
    "jwt",
    "allauth",  # WeCom, DingTalk and Feishu sign-in: installed only when one is configured
    "ninja",
    "pydantic",
    "health_check",
    "dns",
    "segno",
    "imapclient",
    "celery",
    "kombu",
    "markdown",
    # The apps' admin modules: the admin site is filled on first use (toolkit/admin_urls.py).
    "toolkit.admin",
    "diagnosis.admin",
    "knowledge.admin",
    "simple_history.admin",
)

CODE = """
import json, sys
import django
django.setup()
import toolkit.urls
from django.urls import resolve, reverse
resolve("/")
reverse("diagnosis:list")  # the first reverse() builds the resolver's tables (not the API's: deferred)
print(json.dumps(sorted(name for name in sys.argv[1:] if name in sys.modules)))
"""


def test_heavy_packages_are_not_imported_at_start_up():
    env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP_")}
    env["DJANGO_DEBUG"] = "true"
    env["DJANGO_SETTINGS_MODULE"] = "toolkit.settings"
    env["PYTHONPATH"] = str(ROOT)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, "-c", CODE, *LAZY],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


def test_the_sso_backends_are_still_found_by_their_dotted_paths():
    from django.contrib.auth import load_backend

    from accounts import sso
    from accounts.sso_settings import LDAP_BACKEND, OIDC_BACKEND

    backend = load_backend(LDAP_BACKEND)
    assert type(backend).__name__ == "LDAPRoleBackend"
    assert type(backend) is sso.LDAPRoleBackend  # built once
    backend = load_backend(OIDC_BACKEND)
    assert type(backend).__name__ == "OIDCRoleBackend"
    assert type(backend) is sso.OIDCRoleBackend


def test_the_deferred_api_urls_still_resolve_and_reverse():
    from django.urls import resolve, reverse

    assert reverse("api:openapi-json") == "/api/v1/openapi.json"
    assert resolve("/api/v1/openapi.json").url_name == "openapi-json"


def test_the_admin_site_is_complete_on_first_use_and_passes_its_checks(client, admin_user):
    """The admin modules load with the admin's URLs: opening /admin/ shows every app's models, and the
    admin's system checks (which `manage.py check` runs before anything opened the admin) find nothing
    once they are loaded."""
    from django.contrib import admin
    from django.core import checks

    client.force_login(admin_user)
    page = client.get("/admin/").content.decode()
    for app_label in ("toolkit", "diagnosis", "knowledge", "tracking", "teams", "inbound", "axes"):
        assert f'href="/admin/{app_label}/"' in page
    assert len(admin.site._registry) > 20
    assert checks.run_checks(tags=[checks.Tags.admin]) == []
