"""`python3 dev.py run`: the demo logins are the last thing on the screen, at start and on Ctrl+C, and
e-mail in development goes to files whose folder it names (issue 17 items 1 and 3)."""

import importlib.util
import io
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOGINS = [
    {"username": "engineer", "role": "技术服务工程师", "password": "k7mq-tx3v-9bpr"},
    {"username": "manager", "role": "项目经理/服务经理", "password": "4hnw-pq2z-r8sd"},
    {"username": "admin", "role": "管理员", "password": "m3xa-7ctf-yk2e"},
]


@pytest.fixture
def dev(tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location("dev", ROOT / "dev.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.setattr(module, "LOGINS_FILE", tmp_path / "demo-logins.json")
    module.LOGINS_FILE.write_text(json.dumps({"logins": LOGINS}, ensure_ascii=False), encoding="utf-8")
    return module


class FakeWorker:
    """Prints what a worker prints, pages of it, then says it is ready."""

    def __init__(self):
        self.ready = threading.Event()
        self.relay = None
        for n in range(200):
            print(f"[INFO/MainProcess] Task toolkit.tasks.sla_scan_task[{n}] succeeded")
        print("[INFO/MainProcess] celery@host ready.")
        self.ready.set()

    def poll(self):
        return None

    def terminate(self):
        print("worker: warm shutdown")

    def wait(self, timeout=None):
        return 0


class FakeServer:
    """runserver's lines; then the developer presses Ctrl+C."""

    def __init__(self):
        print("Starting development server at http://127.0.0.1:8123/")
        self.interrupted = False

    def poll(self):
        return None

    def wait(self, timeout=None):
        if not self.interrupted:
            self.interrupted = True
            raise KeyboardInterrupt
        return 0


def test_run_prints_the_logins_after_the_worker_and_again_on_ctrl_c(dev, monkeypatch, capsys):
    commands = []
    monkeypatch.setattr(dev, "ensure_environment", lambda: None)
    monkeypatch.setattr(dev, "run", lambda *args, env=None: commands.append([str(a) for a in args]))
    monkeypatch.setattr(dev, "start_worker", lambda env: FakeWorker())
    monkeypatch.setattr(dev, "start_server", lambda address, env: FakeServer())
    monkeypatch.setattr(dev, "wait_until_ready", lambda server, worker, address: None)
    monkeypatch.delenv("EMAIL_URL", raising=False)

    with pytest.raises(KeyboardInterrupt):
        dev.command_run(["127.0.0.1:8123"])

    lines = capsys.readouterr().out.splitlines()
    # The first banner comes after everything the worker and the server printed at start.
    first = lines.index(next(line for line in lines if line.startswith("Service Toolkit runs at")))
    assert first > lines.index("[INFO/MainProcess] celery@host ready.")
    assert first > lines.index("Starting development server at http://127.0.0.1:8123/")
    assert "http://127.0.0.1:8123/" in lines[first]
    # And on Ctrl+C, after the worker's goodbye, the logins are the last lines on the screen.
    last = lines[-8:]
    assert lines.index("worker: warm shutdown") < len(lines) - 8
    for login in LOGINS:
        assert any(login["username"] in line and login["password"] in line for line in last), login
    assert any(str(dev.MAIL_DIR) in line for line in last)
    # Passwords are kept in the logins file, not renewed on every run.
    [seed] = [command for command in commands if "seed_demo" in command]
    assert "--logins-file" in seed and str(dev.LOGINS_FILE) in seed
    assert "--reset-passwords" not in seed


def test_run_reset_passwords_is_passed_on(dev, monkeypatch):
    commands = []
    monkeypatch.setattr(dev, "ensure_environment", lambda: None)
    monkeypatch.setattr(dev, "run", lambda *args, env=None: commands.append([str(a) for a in args]))
    monkeypatch.setattr(dev, "start_worker", lambda env: FakeWorker())
    monkeypatch.setattr(dev, "start_server", lambda address, env: FakeServer())
    monkeypatch.setattr(dev, "wait_until_ready", lambda server, worker, address: None)

    with pytest.raises(KeyboardInterrupt):
        dev.command_run(["--reset-passwords", "8123"])

    [seed] = [command for command in commands if "seed_demo" in command]
    assert "--reset-passwords" in seed


def test_the_relay_notes_when_the_worker_is_ready(dev, capsys):
    worker = type("Worker", (), {})()
    worker.stdout = io.StringIO("celery@host v5 (banner)\n[INFO] celery@host ready.\n[INFO] later\n")
    worker.ready = threading.Event()
    dev.relay_output(worker)
    assert worker.ready.is_set()
    assert capsys.readouterr().out.splitlines()[-1] == "[INFO] later"


def test_split_address(dev):
    assert dev.split_address("127.0.0.1:8000") == ("127.0.0.1", 8000)
    assert dev.split_address("8101") == ("127.0.0.1", 8101)
    assert dev.split_address("0.0.0.0:8000") == ("127.0.0.1", 8000)
    assert dev.split_address("[::1]:8000") == ("::1", 8000)


def test_development_mail_is_saved_as_files_where_dev_py_says(dev):
    """DEBUG without EMAIL_URL: the file backend into dev.py's MAIL_DIR (settings read in a new process)."""
    env = {key: value for key, value in os.environ.items() if key != "EMAIL_URL"}
    env.update(DJANGO_DEBUG="true", DJANGO_SETTINGS_MODULE="toolkit.settings")
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND); print(settings.EMAIL_FILE_PATH)"
    result = subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    backend, path = result.stdout.split()
    assert backend == "django.core.mail.backends.filebased.EmailBackend"
    assert Path(path) == dev.MAIL_DIR
    assert "/.dev/" in (ROOT / ".gitignore").read_text().splitlines()  # never committed
