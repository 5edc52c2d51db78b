"""Load benchmark: N concurrent users against gunicorn in production mode, as a team would use it.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/loadbench .venv/bin/python benchmarks/load.py \
        [--tickets 100000] [--users 20] [--workers 4] [--seconds 60] [--no-seed]

Seeds the database (unless --no-seed), collects static files, starts gunicorn with --workers sync
workers and DEBUG off (behind a pretend TLS proxy: requests carry X-Forwarded-Proto: https), signs in
--users users (one manager account) and lets each loop without pause over what a desk does all day:
the diagnosis table with a filter (half the requests), a ticket page (three in ten), the intake form
(one in ten) and a clarification saved on a ticket (one in ten). Prints requests/s, errors and
p50/p95/max per kind. Not a pytest test: nothing asserts a threshold.
"""

import argparse
import http.client
import os
import random
import re
import secrets
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from common import PROJECT, is_postgresql, manage, percentile, prepare_environment

PORT = 18700
PASSWORD = "load-" + secrets.token_hex(8)
SECRET_KEY = secrets.token_urlsafe(50)
FILTERS = [
    {"priority": "P1"},
    {"priority": "P0", "problem_type": "performance"},
    {"page": "100"},
    {"sort": "sla_due"},
    {"stage": "diagnosis", "sort": "-recorded_at"},
    {"q": "验证码"},
    {"occurred_after": "2026-10-01", "occurred_before": "2026-10-31"},
]


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--no-seed", action="store_true", help="use the tickets already in the database")
    return parser.parse_args()


class Browser:
    """One signed-in user: cookies kept by hand (they are Secure, and this is plain HTTP to gunicorn)."""

    def __init__(self):
        self.cookies = {}

    def request(self, method, path, body=None, headers=None):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=60)
        headers = {
            "X-Forwarded-Proto": "https",
            "Host": "127.0.0.1",
            "Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            **(headers or {}),
        }
        if body is not None:
            body = urlencode(body)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"https://127.0.0.1{path}"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        content = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        connection.close()
        return response.status, content.decode("utf-8", "replace")

    def post(self, path, data):
        data = {**data, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")}
        return self.request("POST", path, data, {"X-CSRFToken": self.cookies.get("csrftoken", "")})

    def sign_in(self, username):
        self.request("GET", "/accounts/login/")  # sets the csrftoken cookie the form answers with
        status, _ = self.post("/accounts/login/", {"username": username, "password": PASSWORD})
        if status != 302:
            sys.exit(f"sign-in of {username} answered {status}")


def prepare(args) -> list[str]:
    manage("migrate", "--no-input")
    if not args.no_seed:
        seconds, _ = manage("seed_demo", "--tickets", str(args.tickets))
        print(f"seed_demo --tickets {args.tickets}: {seconds:.1f} s")
    if is_postgresql():
        manage("dbshell", "--", "-c", "ANALYZE")
    script = (
        "from django.contrib.auth.models import Group\n"
        "from toolkit.models import Ticket, User\n"
        "user, _ = User.objects.get_or_create(username='loadbench')\n"
        f"user.set_password('{PASSWORD}'); user.is_active = True; user.save()\n"
        "user.groups.add(Group.objects.get(name='manager'))\n"
        "print(' '.join(Ticket.objects.order_by('?').values_list('number', flat=True)[:500]))\n"
    )
    _, numbers = manage("shell", "-c", script)
    # Production serves the hashed files WhiteNoise finds in STATIC_ROOT.
    subprocess.run(  # noqa: S603 - fixed command
        [sys.executable, "manage.py", "collectstatic", "--no-input", "--verbosity=0"],
        cwd=PROJECT,
        env=production_env(),
        check=True,
    )
    # Other start-up lines (e.g. django-axes's banner) share stdout: keep only the ticket numbers.
    return [word for word in numbers.split() if re.fullmatch(r"TS-\d{8}-\d+", word)]


def production_env() -> dict:
    env = dict(os.environ)
    env.pop("DJANGO_DEBUG", None)
    env.update(
        DJANGO_SECRET_KEY=SECRET_KEY,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_BEHIND_TLS_PROXY="true",
        DJANGO_SECURE_SSL_REDIRECT="false",
        EMAIL_URL="smtp://127.0.0.1:2525",  # production refuses console mail; nothing is sent here
        DJANGO_LOG_LEVEL="WARNING",
    )
    return env


def start_gunicorn(workers: int):
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "toolkit.wsgi",
        f"--workers={workers}",
        f"--bind=127.0.0.1:{PORT}",
        "--timeout=30",
        "--log-level=warning",
    ]
    server = subprocess.Popen(command, cwd=PROJECT, env=production_env(), start_new_session=True)  # noqa: S603
    for _ in range(100):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=5)
            connection.request("GET", "/accounts/login/", headers={"X-Forwarded-Proto": "https"})
            connection.getresponse().read()
            return server
        except OSError:
            time.sleep(0.2)
    sys.exit("gunicorn did not start")


def main():
    args = parse_args()
    database = prepare_environment(default_sqlite=Path("/tmp/bench_load.sqlite3"), fresh=not args.no_seed)
    numbers = prepare(args)
    server = start_gunicorn(args.workers)
    timings, errors = defaultdict(list), defaultdict(int)
    lock = threading.Lock()
    deadline = time.monotonic() + args.seconds

    def user(index):
        browser = Browser()
        browser.sign_in("loadbench")
        rng = random.Random(index)
        while time.monotonic() < deadline:
            roll = rng.random()
            number = rng.choice(numbers)
            started = time.perf_counter()
            if roll < 0.5:
                kind = "table"
                status, _ = browser.request("GET", "/diagnosis/?" + urlencode(rng.choice(FILTERS)))
            elif roll < 0.8:
                kind = "ticket page"
                status, _ = browser.request("GET", f"/diagnosis/{number}/")
            elif roll < 0.9:
                kind = "intake form"
                status, _ = browser.request("GET", "/diagnosis/new/")
            else:
                kind = "save clarification"
                status, _ = browser.post(f"/diagnosis/{number}/clarify/", {"text": f"负载测试补充 {index}"})
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                timings[kind].append(elapsed)
                if status >= 400:
                    errors[(kind, status)] += 1

    threads = [threading.Thread(target=user, args=(i,)) for i in range(args.users)]
    started = time.monotonic()
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    elapsed = time.monotonic() - started
    total = sum(len(values) for values in timings.values())
    where = database.split("@")[-1]
    print(f"\n{args.users} users, {args.workers} gunicorn sync workers, {elapsed:.0f} s, {where}")
    print(f"requests: {total}, {total / elapsed:.1f}/s; errors: {sum(errors.values())} {dict(errors)}")
    print(f"{'kind':<20}{'count':>7}{'p50 ms':>10}{'p95 ms':>10}{'max ms':>10}")
    for kind, values in sorted(timings.items()):
        print(
            f"{kind:<20}{len(values):>7}{statistics.median(values):>10.0f}"
            f"{percentile(values, 0.95):>10.0f}{max(values):>10.0f}"
        )


if __name__ == "__main__":
    main()
