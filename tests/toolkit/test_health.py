"""/healthz and /readyz: no login, JSON, never cached; readiness names a broker or cache that is away."""

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

ROOT = Path(__file__).resolve().parents[2]


def _closed_port() -> int:
    """A loopback port nothing listens on: what a stopped Redis looks like to a client."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.django_db
def test_liveness_answers_without_login_and_without_checks(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "no-cache" in response["Cache-Control"] or "no-store" in response["Cache-Control"]
    assert response.json() == {}


LIVENESS_IN_A_FRESH_PROCESS = """
import sys
import django
django.setup()
from django.test import Client
response = Client().get("/healthz")
print(response.status_code, sorted(name for name in ("health_check", "redis", "dns") if name in sys.modules))
"""


def test_liveness_loads_neither_the_health_check_package_nor_redis():
    """A balancer probes every web worker: /healthz must not load ~9 MiB into each to answer {}."""
    env = {**os.environ, "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "toolkit.settings"}
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", LIVENESS_IN_A_FRESH_PROCESS],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.strip().splitlines()[-1] == "200 []"


@pytest.mark.django_db(transaction=True)
def test_readiness_checks_database_cache_storage_and_broker(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = client.get(reverse("readyz"), HTTP_ACCEPT="text/html")
    assert response.status_code == 200, response.content
    body = response.json()
    names = " ".join(str(key) for key in body)
    for check in ("Database", "Cache", "Storage", "Broker"):
        assert check in names, body


@pytest.mark.django_db(transaction=True)
def test_readiness_fails_when_the_broker_is_stopped(client, settings, tmp_path):
    from toolkit.celery import app

    settings.MEDIA_ROOT = tmp_path
    url = f"redis://127.0.0.1:{_closed_port()}/0"
    previous = app.conf.broker_url
    app.conf.broker_url = url
    try:
        response = client.get(reverse("readyz"))
    finally:
        app.conf.broker_url = previous
    assert response.status_code == 500
    assert "broker unreachable" in response.content.decode()


@pytest.mark.django_db(transaction=True)
def test_readiness_fails_when_the_redis_cache_is_stopped(client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
        }
    }
    response = client.get(reverse("readyz"))
    assert response.status_code == 500
    assert "Cache" in response.content.decode()


@pytest.mark.django_db
def test_probes_over_plain_http_are_answered_not_redirected_in_production(client, settings):
    """A load balancer talks to the process itself, without the proxy's X-Forwarded-Proto."""
    settings.SECURE_SSL_REDIRECT = True  # as in production; SECURE_REDIRECT_EXEMPT as configured
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("notifications")).status_code == 301
