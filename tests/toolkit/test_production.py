"""The production command set for real: gunicorn serves the app (DJANGO_DEBUG off, production-like
settings) and its health probes tell a load balancer what is missing — /healthz stays 200 (the process
is alive) while /readyz answers 500 naming the stopped database and the unwritable storage."""

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def test_gunicorn_serves_the_probes_and_readiness_names_a_stopped_database_and_storage(tmp_path):
    port, dead = _free_port(), _free_port()
    not_a_folder = tmp_path / "media-is-a-file"
    not_a_folder.write_text("")
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "toolkit.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "x" * 60,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "EMAIL_URL": "dummymail://",
        "DATABASE_URL": f"postgres://postgres@127.0.0.1:{dead}/nothing",  # a stopped PostgreSQL
        "MEDIA_ROOT": str(not_a_folder),
        "REDIS_URL": "",
        "CELERY_BROKER_URL": "",
    }
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "toolkit.wsgi",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "1",
    ]
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                status, body = _get(f"http://127.0.0.1:{port}/healthz")
                break
            except (urllib.error.URLError, ConnectionError):
                assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.5)
        assert status == 200, body  # alive: restarting it would not bring the database back
        status, body = _get(f"http://127.0.0.1:{port}/readyz")
        assert status == 500
        failing = {name for name, result in json.loads(body).items() if result not in ("OK", "working")}
        assert any("Database" in name for name in failing), body
        assert any("Storage" in name for name in failing), body
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
