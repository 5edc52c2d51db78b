"""Production refuses to start with console e-mail, which would write password-reset links (and
customers' details) into the server log."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "a-long-random-production-key-6f1c0e9b8a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1",
    "DJANGO_ALLOWED_HOSTS": "service.example.com",
    "DJANGO_SETTINGS_MODULE": "toolkit.settings",
}


def _check(**environment):
    env = {k: v for k, v in os.environ.items() if k != "EMAIL_URL"}
    env.update(PRODUCTION, **environment)
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("email_url", [None, "consolemail://"])
def test_production_without_a_real_mail_server_refuses_to_start(email_url):
    result = _check(**({"EMAIL_URL": email_url} if email_url else {}))
    assert result.returncode != 0
    assert "EMAIL_URL must name a real mail server when DJANGO_DEBUG is off" in result.stderr


def test_production_with_a_mail_server_starts():
    result = _check(EMAIL_URL="smtp://127.0.0.1:2525")
    assert result.returncode == 0, result.stderr
