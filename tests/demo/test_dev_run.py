"""`python3 dev.py run`: the demo logins are the last thing on the screen, at start and on Ctrl+C, and
e-mail in development goes to files whose folder it names (issue 17 items 1 and 3)."""

import importlib.util
import io
import json
import os
import socket
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
    monkeypatch.setattr(dev, "port_taken", lambda address: False)
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
    assert any(str(dev.WORKER_LOG) in line for line in last)
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
    monkeypatch.setattr(dev, "port_taken", lambda address: False)

    with pytest.raises(KeyboardInterrupt):
        dev.command_run(["--reset-passwords", "8123"])

    [seed] = [command for command in commands if "seed_demo" in command]
    assert "--reset-passwords" in seed


def fake_worker(output):
    worker = type("Worker", (), {})()
    worker.stdout = io.StringIO(output)
    worker.ready = threading.Event()
    return worker


def test_the_relay_logs_everything_and_shows_only_warnings_and_errors(dev, tmp_path, capsys):
    """Item 1: a scan's INFO lines (one per reminder e-mail) go to .dev/worker.log, not over the logins."""
    output = (
        "celery@host v5 (banner)\n"
        "[2026-11-27 18:40:01,000: INFO/MainProcess] celery@host ready.\n"
        + "".join(f"[2026-11-27 18:40:02,000: INFO/MainProcess] Delivery {n}: sent\n" for n in range(125))
        + "[2026-11-27 18:40:03,000: ERROR/MainProcess] Task failed\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1\n'
        "[2026-11-27 18:40:04,000: INFO/MainProcess] later\n"
    )
    worker = fake_worker(output)
    log = tmp_path / "worker.log"
    dev.relay_output(worker, log)
    assert worker.ready.is_set()
    assert log.read_text(encoding="utf-8") == output
    shown = capsys.readouterr().out.splitlines()
    assert shown == [
        "[2026-11-27 18:40:03,000: ERROR/MainProcess] Task failed",
        "Traceback (most recent call last):",
        '  File "x.py", line 1',
    ]


def test_a_worker_that_dies_before_it_is_ready_shows_why(dev, tmp_path, capsys):
    worker = fake_worker("Traceback (most recent call last):\nImportError: cannot import name 'x'\n")
    dev.relay_output(worker, tmp_path / "worker.log")
    assert worker.ready.is_set()  # the banner does not wait the whole minute
    shown = capsys.readouterr().out
    assert "stopped before it was ready" in shown and "ImportError: cannot import name 'x'" in shown


def test_the_root_warning_is_filtered_in_the_worker_only(dev):
    """Item 4: celery's "running as root" warning is ignored by the worker dev.py starts (a real
    interpreter given the same PYTHONWARNINGS, warning with celery's own text)."""
    code = (
        "import warnings\n"
        "from celery.exceptions import SecurityWarning\n"
        "from celery.platforms import ROOT_DISCOURAGED\n"
        "warnings.warn(SecurityWarning(ROOT_DISCOURAGED.format(uid=0, euid=0, gid=0, egid=0)))\n"
        "warnings.warn(SecurityWarning('another security warning'))\n"
    )
    env = {**os.environ, "PYTHONWARNINGS": dev.ROOT_WARNING}
    result = subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert "superuser" not in result.stderr
    assert "another security warning" in result.stderr  # only that one warning is silenced


def test_a_taken_port_is_detected_before_anything_starts(dev, monkeypatch, capsys):
    """Item 2: a port already listened on stops `run` at once with a free port to use instead."""
    monkeypatch.setattr(dev, "ensure_environment", lambda: pytest.fail("started despite the taken port"))
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert dev.port_taken(f"127.0.0.1:{port}")
        with pytest.raises(SystemExit) as stop:
            dev.command_run([f"127.0.0.1:{port}"])
    message = str(stop.value.code)
    assert f"Port {port} on 127.0.0.1 is already in use" in message
    suggested = int(message.rsplit(":", 1)[1])
    assert suggested > port and not dev.port_taken(f"127.0.0.1:{suggested}")
    assert not dev.port_taken(f"127.0.0.1:{port}")  # closed now: free again


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
