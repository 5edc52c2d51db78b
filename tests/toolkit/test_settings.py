import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

from toolkit.celery import app

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_check_is_clean_with_production_settings():
    env = {
        **os.environ,
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "a-long-random-production-key-6f1c0e9b8a7d6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1",
        "DJANGO_ALLOWED_HOSTS": "service.example.com",
        "EMAIL_URL": "smtp+tls://mailer:secret@mail.example.com:587",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SECRET_KEY"}
    env["DJANGO_DEBUG"] = "false"
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_celery_reads_every_celery_setting_we_define():
    # A misspelt CELERY_* name is silently ignored by Celery; make sure each one lands in the app config.
    for name in dir(settings):
        if name.startswith("CELERY_"):
            key = name.removeprefix("CELERY_").lower()
            try:
                app.conf.find_option(key)
            except KeyError:
                raise AssertionError(f"{name} is not a Celery setting") from None
            assert getattr(app.conf, key) == getattr(settings, name)


def test_chinese_is_the_default_language_and_time_zone_is_shanghai():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert dict(settings.LANGUAGES).keys() == {"zh-hans", "en"}
    assert os.environ.get("TIME_ZONE", "Asia/Shanghai") == settings.TIME_ZONE


def test_a_table_page_size_outside_1_to_500_refuses_to_start():
    env = {**os.environ, "DJANGO_DEBUG": "true", "DIAGNOSIS_PAGE_SIZE": "0"}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DIAGNOSIS_PAGE_SIZE must be between 1 and 500" in result.stderr
