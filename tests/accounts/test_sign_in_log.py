"""Login records (django-axes' AccessLog: user name, client address, browser) are personal data: the
periodic clean-up deletes them after SIGN_IN_LOG_RETENTION_DAYS, in bounded batches."""

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessLog
from django.urls import reverse
from django.utils import timezone

from accounts import services
from tests.factories import UserFactory
from toolkit.tasks import run_periodic_scans

pytestmark = pytest.mark.django_db


PASSWORD = "pass-Word-123"  # the factory's


def _sign_in(client, username="signer"):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def _age(days):
    """Make every login record `days` old (attempt_time is set on creation)."""
    AccessLog.objects.update(attempt_time=timezone.now() - timedelta(days=days))


def test_a_login_leaves_a_record_that_the_clean_up_deletes_after_the_retention(axes_on, client, settings):
    settings.SIGN_IN_LOG_RETENTION_DAYS = 30
    UserFactory(username="signer", role="engineer")
    assert _sign_in(client).status_code == 302
    assert AccessLog.objects.filter(username="signer").count() == 1
    _age(29)
    assert run_periodic_scans()["accounts.services.purge_sign_in_log"] == 0
    assert AccessLog.objects.count() == 1
    _age(31)
    client.logout()
    assert _sign_in(client).status_code == 302  # a fresh record, which stays
    assert run_periodic_scans()["accounts.services.purge_sign_in_log"] == 1
    (kept,) = AccessLog.objects.all()
    assert kept.attempt_time > timezone.now() - timedelta(minutes=5)


def test_one_run_deletes_one_batch_and_the_next_goes_on(axes_on, monkeypatch, settings):
    settings.SIGN_IN_LOG_RETENTION_DAYS = 90
    monkeypatch.setattr(services, "SIGN_IN_LOG_PURGE_BATCH", 3)
    AccessLog.objects.bulk_create(
        AccessLog(username=f"user{n}", ip_address="203.0.113.9", user_agent="test") for n in range(5)
    )
    _age(100)
    now = timezone.now()
    assert services.purge_sign_in_log(now=now) == 3
    assert services.purge_sign_in_log(now=now) == 2
    assert services.purge_sign_in_log(now=now) == 0
    assert not AccessLog.objects.exists()


def test_a_retention_below_one_day_is_refused_at_start():
    # In a process of its own: the settings module is read once per process.
    environment = {**os.environ, "DJANGO_DEBUG": "true", "SIGN_IN_LOG_RETENTION_DAYS": "0"}
    started = subprocess.run(
        [sys.executable, "-c", "import toolkit.settings"],
        cwd=Path(__file__).resolve().parents[2],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert "SIGN_IN_LOG_RETENTION_DAYS must be at least 1" in started.stderr
