#!/usr/bin/env python3
"""Two commands for newcomers, with nothing but Python 3.11+ installed:

    python3 dev.py run    # virtualenv, packages, database, demo data, then the app on http://127.0.0.1:8000/
                          # with a Celery worker and the SLA reminder schedule beside it
    python3 dev.py test   # virtualenv, packages, then the whole test suite (extra args go to pytest)

Only the standard library is used here, because nothing else is installed yet.
"""

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"
BROKER_DIR = ROOT / ".broker"  # the embedded broker's folders (kombu filesystem transport), see settings


def say(message):
    print(f"\n==> {message}", flush=True)


def run(*args, env=None):
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env=env)  # noqa: S603 - fixed commands


def ensure_environment():
    """Create .venv and install the project with its dev tools; skipped when pyproject.toml is unchanged."""
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        say("Installing packages (first run takes a minute)")
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", ".[dev]")
        STAMP.write_text(wanted)


def app_env():
    env = dict(os.environ)
    env.setdefault("DJANGO_DEBUG", "true")
    return env


def worker_queues(env):
    """The default queue and the chat webhooks' queue (the defaults of toolkit/settings.py)."""
    return [env.get("CELERY_TASK_DEFAULT_QUEUE", "celery"), env.get("OUTBOUND_QUEUE", "outbound")]


def start_worker(env):
    """A Celery worker with the beat schedule (SLA scan every minute), in the background.

    Without REDIS_URL / CELERY_BROKER_URL the broker is a folder (.broker/) shared with the web server.
    This one worker consumes every queue; production runs one pool per queue (README "Commands").
    """
    BROKER_DIR.mkdir(exist_ok=True)
    processed = BROKER_DIR / "processed"
    if processed.is_dir():  # messages already handled by an earlier run
        for old in processed.iterdir():
            old.unlink()
    celery = BIN / ("celery.exe" if os.name == "nt" else "celery")
    command = [
        str(celery),
        "--app=toolkit",
        "worker",
        "--beat",
        f"--schedule={BROKER_DIR / 'celerybeat-schedule'}",
        "--pool=solo",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        f"--queues={','.join(worker_queues(env))}",
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env)  # noqa: S603 - fixed command


def stop_worker(worker):
    if worker.poll() is None:
        worker.terminate()  # warm shutdown: the task in hand finishes
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()


def command_run(extra):
    ensure_environment()
    env = app_env()
    say("Preparing the database")
    run(PYTHON, "manage.py", "migrate", "--no-input", env=env)
    say("Loading demo data")
    run(PYTHON, "manage.py", "seed_demo", "--if-empty", "--tickets", "300", "--reset-passwords", env=env)
    if env.get("CELERY_BROKER_URL"):
        broker = "from CELERY_BROKER_URL"
    elif env.get("REDIS_URL"):
        broker = "Redis from REDIS_URL"
    else:
        broker = "the .broker/ folder, no Redis needed"
    say(f"Starting SLA reminders: a Celery worker with the schedule (a scan every minute; broker {broker})")
    worker = start_worker(env)
    address = extra[0] if extra else "127.0.0.1:8000"
    say(f"Service Toolkit runs at http://{address}/  (log in with a demo user above; Ctrl+C stops it)")
    try:
        run(PYTHON, "manage.py", "runserver", address, env=env)
    finally:
        stop_worker(worker)


def command_test(extra):
    ensure_environment()
    os.chdir(ROOT)
    os.execv(str(PYTHON), [str(PYTHON), "-m", "pytest", *extra])  # noqa: S606


COMMANDS = {"run": command_run, "test": command_test}

if __name__ == "__main__":
    if sys.version_info < (3, 11):  # noqa: UP036 - this runs under whatever python3 the newcomer has
        sys.exit("Service Toolkit needs Python 3.11 or newer.")
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(__doc__)
    try:
        COMMANDS[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as error:
        sys.exit(error.returncode)
    except KeyboardInterrupt:
        pass
