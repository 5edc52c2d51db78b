"""`python3 dev.py run` for real (issue 17 items 1–4): in a copy of the checkout with its own SQLite
database and broker folder, the real migrate, seed_demo, Celery worker and runserver start; the demo
logins are the last lines once everything is up and again after Ctrl+C, a second run keeps the same
passwords, and neither Celery's running-as-root warning nor a chinesecalendar warning reaches the
terminal. Takes a minute or two."""

import json
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# What the copy leaves out: the environment (linked instead), the developer's own data, build output.
LEFT_OUT = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".dev",
    ".broker",
    "db.sqlite3*",
    "media",
    "staticfiles",
    "node_modules",
    "__pycache__",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "*.egg-info",
    "test-results",
)
START_TIMEOUT = 400  # seconds: migrations and 300 demo tickets on a busy two-core machine
BANNER_END = "=" * 78


@pytest.fixture
def checkout(tmp_path):
    """A copy of the working tree that shares the virtual environment (same pyproject: no install)."""
    if not (ROOT / ".venv" / "bin" / "python").exists():
        pytest.skip("needs the project's .venv (python3 dev.py test makes it)")
    copy = tmp_path / "checkout"
    shutil.copytree(ROOT, copy, ignore=LEFT_OUT)
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(checkout):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CELERY_", "PYTEST"))}
    for name in ("DATABASE_URL", "REDIS_URL", "EMAIL_URL"):
        env.pop(name, None)
    env["DATABASE_URL"] = f"sqlite:///{checkout / 'db.sqlite3'}"
    return env


class Run:
    """`dev.py run` in its own process group, as in a terminal (Ctrl+C = SIGINT to the group)."""

    def __init__(self, checkout, port):
        self.lines: list[str] = []
        self.ended = False
        self.process = subprocess.Popen(  # noqa: S603 - fixed command
            [sys.executable, "-u", "dev.py", "run", f"127.0.0.1:{port}"],
            cwd=checkout,
            env=environment(checkout),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
            # A non-interactive shell may start us with SIGINT ignored; a terminal's child has it at default.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # noqa: PLW1509
        )
        # A thread reads the pipe (select() on a buffered text stream misses lines already buffered).
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.queue.put(line)
        self.queue.put(None)

    def read_until(self, predicate, timeout):
        deadline = time.monotonic() + timeout
        while not predicate():
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("dev.py run did not get there in time:\n" + "".join(self.lines[-60:]))
            try:
                line = self.queue.get(timeout=min(left, 1))
            except queue.Empty:
                continue
            if line is None:  # its output ended
                self.ended = True
                if predicate():
                    return
                raise AssertionError("dev.py run ended early:\n" + "".join(self.lines[-60:]))
            self.lines.append(line)

    def banners(self):
        return sum(1 for line in self.lines if line.rstrip() == BANNER_END) // 2

    def stop(self):
        os.killpg(self.process.pid, signal.SIGINT)
        self.read_until(lambda: self.ended, timeout=90)
        assert self.process.wait(timeout=30) == 0

    def kill(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.reader.join(timeout=10)
        self.process.stdout.close()


def logins_in(lines):
    """{username: password} from a banner's login lines ("  engineer  abcd-efgh-jkmn  技术服务工程师")."""
    found = {}
    for line in lines:
        match = re.match(r"^  (engineer|manager|admin)\s+([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})\s", line)
        if match:
            found[match[1]] = match[2]
    return found


def run_once(checkout):
    run = Run(checkout, free_port())
    try:
        run.read_until(lambda: run.banners() >= 1, timeout=START_TIMEOUT)
        # Whatever the worker and the server print in the next seconds: the banner must stay last.
        settled = time.monotonic() + 5
        run.read_until(lambda: time.monotonic() > settled, timeout=30)
        started = [line.rstrip("\n") for line in run.lines]
        run.stop()
    finally:
        run.kill()
    return started, [line.rstrip("\n") for line in run.lines]


def test_dev_run_prints_the_logins_last_keeps_them_and_stays_quiet(checkout):
    started, stopped = run_once(checkout)
    kept = json.loads((checkout / ".dev" / "demo-logins.json").read_text(encoding="utf-8"))
    passwords = {row["username"]: row["password"] for row in kept["logins"]}
    assert set(passwords) == {"engineer", "manager", "admin"}

    # At start: the banner, with every login, is the end of the output.
    end = max(i for i, line in enumerate(started) if line == BANNER_END)
    assert end >= len(started) - 2, started[-20:]
    assert logins_in(started[end - 10 : end]) == passwords
    assert any("runs at http://127.0.0.1:" in line for line in started[end - 10 : end])
    # After Ctrl+C: the logins again, last.
    assert stopped[-1] == BANNER_END
    assert logins_in(stopped[-8:]) == passwords
    assert any("has stopped" in line for line in stopped[-10:])
    # Nothing of what issue 17 named: root warning, calendar warning, pages of worker output.
    output = "\n".join(stopped)
    assert "superuser privileges" not in output
    assert "chinesecalendar" not in output
    assert not [line for line in stopped if "Task toolkit.tasks" in line]
    assert "celery@" in (checkout / ".dev" / "worker.log").read_text(encoding="utf-8")

    # A second run: same passwords (item 3).
    again, _ = run_once(checkout)
    assert logins_in(again[-10:]) == passwords
