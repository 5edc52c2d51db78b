#!/usr/bin/env python3
"""Two commands for newcomers, with nothing but Python 3.11+ installed:

    python3 dev.py run    # virtualenv, packages, database, demo data, then the app on http://127.0.0.1:8000/
                          # with a Celery worker and the SLA reminder schedule beside it; the demo
                          # logins are printed last (again on Ctrl+C); `run --reset-passwords` renews them
    python3 dev.py run 127.0.0.1:8101   # the same on another port (or address), e.g. when 8000 is taken
    python3 dev.py test   # virtualenv, packages, then the whole test suite (extra args go to pytest)

Only the standard library is used here, because nothing else is installed yet.
"""

import collections
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"
BROKER_DIR = ROOT / ".broker"  # the embedded broker's folders (kombu filesystem transport), see settings
DEV_DIR = ROOT / ".dev"  # git-ignored, the developer's own
LOGINS_FILE = DEV_DIR / "demo-logins.json"  # written by seed_demo --logins-file, read back for the banner
MAIL_DIR = DEV_DIR / "mail"  # where toolkit/settings.py saves e-mail when debugging without EMAIL_URL
WORKER_LOG = DEV_DIR / "worker.log"  # the worker's whole output; the terminal gets its warnings and errors
READY_TIMEOUT = 60  # seconds to wait for the server's port and the worker's "ready" before the banner
# Celery warns at every start when the worker runs as root (a container, a fresh VM). It is the
# developer's own machine, and the worker accepts JSON only (no pickle), so the warning says nothing new.
ROOT_WARNING = "ignore:You're running the worker with superuser privileges"


def say(message):
    print(f"\n==> {message}", flush=True)


def run(*args, env=None):
    subprocess.run([str(a) for a in args], cwd=ROOT, check=True, env=env)  # noqa: S603 - fixed commands


def ensure_environment():
    """Create .venv and install the project with its dev tools; skipped when pyproject.toml is unchanged."""
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    extras = "dev,ldap" if ldap_headers_present() else "dev"
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes() + extras.encode()).hexdigest()
    if not STAMP.exists() or STAMP.read_text() != wanted:
        say("Installing packages (first run takes a minute)")
        run(PYTHON, "-m", "pip", "install", "--quiet", "--upgrade", "pip")
        run(PYTHON, "-m", "pip", "install", "--quiet", "-e", f".[{extras}]")
        STAMP.write_text(wanted)


def ldap_headers_present():
    """python-ldap (LDAP sign-in, an extra) compiles against these; without them it is left out."""
    include = Path("/usr/include")
    return (include / "ldap.h").exists() and (include / "sasl" / "sasl.h").exists()


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
    warnings = ",".join(filter(None, [env.get("PYTHONWARNINGS"), ROOT_WARNING]))
    worker = subprocess.Popen(  # noqa: S603 - fixed command
        command,
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1", "PYTHONWARNINGS": warnings},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        encoding="utf-8",
        errors="replace",
    )
    # Its output goes through us, so we know when it is ready and can print the logins after it.
    worker.ready = threading.Event()
    worker.relay = threading.Thread(target=relay_output, args=(worker, WORKER_LOG), daemon=True)
    worker.relay.start()
    return worker


# A log line of celery's: "[2026-11-27 18:40:02,215: WARNING/MainProcess] ...".
LOUD_LEVELS = (": WARNING/", ": ERROR/", ": CRITICAL/")


def relay_output(worker, log_path):
    """Write the worker's output to log_path; copy to the terminal only its warnings and errors (with
    the lines that follow one, such as a traceback), so that a scan's INFO lines never push the logins
    off the screen. Note when the worker says it is ready (or has ended)."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    loud = False
    last = collections.deque(maxlen=40)
    with open(log_path, "w", encoding="utf-8") as log:
        for line in worker.stdout:
            log.write(line)
            log.flush()
            last.append(line)
            if line.startswith("["):  # a new log line: loud if warning or worse
                loud = any(level in line for level in LOUD_LEVELS)
            if loud:
                sys.stdout.write(line)
                sys.stdout.flush()
            if line.rstrip().endswith(" ready."):  # celery's "celery@host ready."
                worker.ready.set()
    if not worker.ready.is_set():  # it ended before it was ready: show why
        sys.stdout.write(f"The worker stopped before it was ready; its last lines (all in {log_path}):\n")
        sys.stdout.writelines(last)
        sys.stdout.flush()
    worker.ready.set()


def stop_worker(worker):
    if worker.poll() is None:
        worker.terminate()  # warm shutdown: the task in hand finishes
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    if worker.relay is not None:
        worker.relay.join(timeout=5)  # its last lines before the logins


def start_server(address, env):
    return subprocess.Popen([str(PYTHON), "manage.py", "runserver", address], cwd=ROOT, env=env)  # noqa: S603


def stop_server(server):
    """Ctrl+C reached the server too; give it a moment, then end it."""
    try:
        server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.terminate()
        server.wait()


def split_address(address):
    """runserver's "8000", "127.0.0.1:8000" or "[::1]:8000" → (host to connect to, port)."""
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    listening_everywhere = {"0.0.0.0": "127.0.0.1", "::": "::1"}  # noqa: S104 - connect locally instead
    return listening_everywhere.get(host, host), int(port)


def port_taken(address):
    """Whether something already listens where runserver would (checked before anything starts)."""
    host, port = split_address(address)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As runserver binds (SO_REUSEADDR): a port in TIME_WAIT is free, one with a listener is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def free_port(host, start):
    """The first port from `start` on that nobody listens on (a suggestion for the message)."""
    for port in range(start, start + 100):
        if not port_taken(f"[{host}]:{port}" if ":" in host else f"{host}:{port}"):
            return port
    return None


def wait_until_ready(server, worker, address, timeout=READY_TIMEOUT):
    """Until the server takes connections and the worker is ready (or one of them has ended)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        try:
            with socket.create_connection(split_address(address), timeout=1):
                break
        except OSError:
            time.sleep(0.5)
    worker.ready.wait(max(0.0, deadline - time.monotonic()))
    time.sleep(1)  # the worker's first lines after "ready" (beat's first scan), then the logins


def banner(heading, env):
    """The lines printed last: what runs, the demo logins (from LOGINS_FILE) and where e-mail goes."""
    lines = ["", "=" * 78, heading]
    try:
        logins = json.loads(LOGINS_FILE.read_text(encoding="utf-8"))["logins"]
    except (OSError, ValueError, KeyError):
        logins = []
    if logins:
        lines.append("Demo logins (the same on every run; `dev.py run --reset-passwords` sets new ones):")
        width = max(len(login["username"]) for login in logins)
        for login in logins:
            password = login["password"] or "(changed by its user; --reset-passwords sets a new one)"
            lines.append(f"  {login['username']:<{width}}  {password}  {login['role']}")
    else:
        lines.append("No demo logins recorded: `python3 dev.py run --reset-passwords` sets new ones.")
    if not env.get("EMAIL_URL"):
        lines.append(f"E-mail is not sent: each message is saved as a file in {MAIL_DIR}{os.sep}")
    lines.append(f"The worker's log (SLA scans, reminders): {WORKER_LOG}")
    lines.append("=" * 78)
    return lines


def print_banner(heading, env):
    print("\n".join(banner(heading, env)), flush=True)


def command_run(extra):
    reset_passwords = "--reset-passwords" in extra
    extra = [arg for arg in extra if arg != "--reset-passwords"]
    address = extra[0] if extra else "127.0.0.1:8000"
    if port_taken(address):
        host, port = split_address(address)
        suggestion = free_port(host, port + 1)
        other = f"{host}:{suggestion}" if suggestion else f"{host}:PORT"
        sys.exit(
            f"Port {port} on {host} is already in use (another `dev.py run`, or another program).\n"
            f"Stop that program, or run on another port:  python3 dev.py run {other}"
        )
    ensure_environment()
    env = app_env()
    say("Preparing the database")
    run(PYTHON, "manage.py", "migrate", "--no-input", env=env)
    say("Loading demo data")
    seed = ["seed_demo", "--if-empty", "--tickets", "300", "--logins-file", LOGINS_FILE]
    run(PYTHON, "manage.py", *seed, *(["--reset-passwords"] if reset_passwords else []), env=env)
    if env.get("CELERY_BROKER_URL"):
        broker = "from CELERY_BROKER_URL"
    elif env.get("REDIS_URL"):
        broker = "Redis from REDIS_URL"
    else:
        broker = "the .broker/ folder, no Redis needed"
    say(f"Starting SLA reminders: a Celery worker with the schedule (a scan every minute; broker {broker})")
    worker = start_worker(env)
    server = None
    try:
        say("Starting the web server")
        server = start_server(address, env)
        wait_until_ready(server, worker, address)
        host, port = split_address(address)
        print_banner(f"Service Toolkit runs at http://{host}:{port}/  (Ctrl+C stops it)", env)
        server.wait()
    finally:
        # Ctrl+C (or the server ending): stop both, then the logins once more, last on the screen.
        if server is not None:
            stop_server(server)
        stop_worker(worker)
        print_banner("Service Toolkit has stopped; `python3 dev.py run` starts it again.", env)


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
