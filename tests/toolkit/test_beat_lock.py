"""Exactly one beat: real `celery beat` processes against Redis. A second beat started while one runs is
refused with a clear message (exit status 1) and the schedule is not doubled; a beat stopped cleanly
hands over at once; one killed blocks a new one only until its lock expires (BEAT_LOCK_SECONDS).
Without Redis the lock is an flock beside the schedule file, which the system drops with the process."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import redis

from toolkit.celery import _FileBeatLock

PROJECT = Path(__file__).resolve().parents[2]
REDIS_URL = os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/0"
LOCK_SECONDS = 3


@pytest.fixture
def queue():
    """A queue name of this test's own (the lock is per queue), removed afterwards."""
    name = f"beat-lock-test-{uuid.uuid4().hex[:8]}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {REDIS_URL}")
    yield name, client
    client.delete(name, f"{name}:beat-lock")


def _beat(queue: str, folder: Path, label: str, lock_seconds: int = LOCK_SECONDS) -> subprocess.Popen:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "toolkit.settings",
        "DJANGO_DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "REDIS_URL": REDIS_URL,
        "CELERY_BROKER_URL": REDIS_URL,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "SLA_SCAN_INTERVAL_SECONDS": "1",
        "INBOUND_EMAIL_URL": "",
        "BEAT_LOCK_SECONDS": str(lock_seconds),
    }
    log = open(folder / f"{label}.log", "w")  # noqa: SIM115 - closed with the process
    command = [sys.executable, "-m", "celery", "-A", "toolkit", "beat", "--loglevel", "INFO"]
    command += ["-s", str(folder / f"{label}-schedule")]
    process = subprocess.Popen(command, cwd=PROJECT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    process.log_path = folder / f"{label}.log"
    process.log = log
    return process


def _wait(condition, timeout=60.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def _sent(process) -> int:
    return process.log_path.read_text().count("Sending due task sla-scan")


def _stop(process, sig=signal.SIGTERM):
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    process.log.close()


def test_a_second_beat_is_refused_and_the_schedule_is_not_doubled(queue, tmp_path):
    name, client = queue
    first = _beat(name, tmp_path, "first")
    try:
        _wait(lambda: _sent(first) >= 2, what="the first beat's scans")
        second = _beat(name, tmp_path, "second")
        assert second.wait(timeout=60) == 1
        second.log.close()
        refusal = second.log_path.read_text()
        assert "Another celery beat is already running the schedule" in refusal
        assert f"{name}:beat-lock" in refusal
        assert _sent(second) == 0

        # Over a few seconds the queue gets one scan a second, as from one beat (not two a second).
        client.delete(name)
        before = _sent(first)
        time.sleep(4)
        sent = _sent(first) - before
        assert 2 <= sent <= 6
        assert client.llen(name) <= sent + 1
        assert first.poll() is None  # the first beat was not disturbed
    finally:
        _stop(first)

    # Stopped cleanly, it released the lock: a new beat starts at once.
    assert client.exists(f"{name}:beat-lock") == 0
    third = _beat(name, tmp_path, "third")
    try:
        _wait(lambda: _sent(third) >= 1, what="the third beat's scans")
    finally:
        _stop(third, signal.SIGKILL)  # killed: its lock stays until it expires


def test_a_killed_beat_blocks_a_new_one_only_until_its_lock_expires(queue, tmp_path):
    name, client = queue
    lock_seconds = 25  # longer than a beat takes to start on a busy machine
    first = _beat(name, tmp_path, "first", lock_seconds)
    _wait(lambda: _sent(first) >= 1, what="the first beat's scans")
    _stop(first, signal.SIGKILL)  # no clean-up: its lock stays
    assert client.pttl(f"{name}:beat-lock") > 0
    refused = _beat(name, tmp_path, "refused", lock_seconds)
    assert refused.wait(timeout=60) == 1
    refused.log.close()
    assert "Another celery beat is already running" in refused.log_path.read_text()
    # Once the dead beat's lock has expired, a new beat takes over the schedule.
    _wait(
        lambda: client.exists(f"{name}:beat-lock") == 0, timeout=lock_seconds + 5, what="the lock to expire"
    )
    taker = _beat(name, tmp_path, "taker", lock_seconds)
    try:
        _wait(lambda: _sent(taker) >= 2, what="the new beat's scans")
        assert client.pttl(f"{name}:beat-lock") > (lock_seconds - 5) * 1000  # renewed while it runs
    finally:
        _stop(taker)


def test_without_redis_the_lock_is_a_file_lock(tmp_path):
    path = str(tmp_path / "celerybeat-schedule.lock")
    first, second = _FileBeatLock(path), _FileBeatLock(path)
    assert first.acquire()
    assert not second.acquire()  # another beat on this machine
    first.release()
    assert second.acquire()
    second.release()
