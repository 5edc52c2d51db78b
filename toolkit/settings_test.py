"""Settings for the test suite: the development defaults (pytest-django turns DEBUG off at run time).

DATABASE_URL and REDIS_URL still come from the environment, so the same suite runs on SQLite
locally and on PostgreSQL + Redis in CI.
"""

import os
import tempfile
from pathlib import Path

os.environ.setdefault("DJANGO_DEBUG", "true")

from .settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
# Uploaded files (attachments, imports) go to a temporary folder, never the working tree's media/; made
# by the storage at the first write, not here. Tests that count files point it at their own tmp_path.
MEDIA_ROOT = Path(tempfile.gettempdir()) / f"service-toolkit-test-media-{os.getpid()}"
# django-axes needs the request in authenticate(), which the test client's login() does not pass; the
# lockout tests (tests/accounts/) switch it on for themselves.
AXES_ENABLED = False

# WeCom, DingTalk and Feishu sign-in's apps (django-allauth), as when one is configured: their tables
# exist and tests/sso/test_social.py turns each platform on with its settings.
from accounts.sso_settings import SOCIAL_APPS, SOCIAL_MIDDLEWARE  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, *(app for app in SOCIAL_APPS if app not in INSTALLED_APPS)]  # noqa: F405
if SOCIAL_MIDDLEWARE not in MIDDLEWARE:  # noqa: F405
    MIDDLEWARE.insert(MIDDLEWARE.index("axes.middleware.AxesMiddleware"), SOCIAL_MIDDLEWARE)  # noqa: F405
