#!/usr/bin/env python3
"""Two commands for newcomers, with nothing but Python 3.11+ installed:

    python3 dev.py run    # virtualenv, packages, database, demo data, then the app on http://127.0.0.1:8000/
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


def command_run(extra):
    ensure_environment()
    env = app_env()
    say("Preparing the database")
    run(PYTHON, "manage.py", "migrate", "--no-input", env=env)
    say("Loading demo data")
    run(PYTHON, "manage.py", "seed_demo", "--if-empty", "--tickets", "300", "--reset-passwords", env=env)
    address = extra[0] if extra else "127.0.0.1:8000"
    say(f"Service Toolkit runs at http://{address}/  (log in with a demo user above; Ctrl+C stops it)")
    run(PYTHON, "manage.py", "runserver", address, env=env)


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
