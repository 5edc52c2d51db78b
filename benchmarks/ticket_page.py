"""Ticket page benchmark: /diagnosis/<number>/ in this process, per role, on an existing database.

    .venv/bin/python benchmarks/ticket_page.py [--runs 20] [--users manager,engineer]
        [--profile] [--templates] [NUMBER ...]
    .venv/bin/python benchmarks/ticket_page.py "/diagnosis/?priority=P1&problem_type=performance"

Reads only: it runs on whatever DATABASE_URL points at (e.g. the 100,002-ticket ours100k, with the
environment of issue 15: DJANGO_DEBUG=false, REDIS_URL, DJANGO_BEHIND_TLS_PROXY=true, …) and creates
nothing but the login sessions and the page's own audit rows. Without NUMBER it measures the ticket
of the issue-15 benchmark, TS-20261128-1250.

For each user (Django's test Client, force_login, HTTPS through X-Forwarded-Proto as behind the proxy)
and each ticket: two warm-up requests, then --runs timed ones; prints the median and p95 in ms, the SQL
queries of one request and the time they took (CaptureQueriesContext), and the median CPU time
of this process per request (time.process_time: the figure to compare on a busy shared machine, where
wall time is noisy; it leaves out the database server's own work). --profile adds the top of a
cProfile of --runs requests sorted by tottime (PROFILE_DUMP=file also saves it for pstats);
--templates the time spent per template (inclusive, and without the templates it includes) and per
{% include %}, summed over --runs requests.
Not a pytest test: nothing here asserts a threshold.
"""

import argparse
import cProfile
import io
import os
import pstats
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from common import percentile  # noqa: E402

DEFAULT_NUMBER = "TS-20261128-1250"


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "numbers", nargs="*", default=[DEFAULT_NUMBER], help="ticket numbers, or paths starting with /"
    )
    parser.add_argument("--runs", type=int, default=20, help="timed requests per ticket and user (20)")
    parser.add_argument("--users", default="manager,engineer", help="usernames, comma-separated")
    parser.add_argument("--profile", action="store_true", help="cProfile, top 30 by tottime")
    parser.add_argument("--templates", action="store_true", help="time per template and include")
    return parser.parse_args()


class TemplateTimer:
    """Accumulates time per template (Template._render) and per {% include %} (IncludeNode.render)."""

    def __init__(self):
        self.reset()

    def reset(self):
        self.inclusive: defaultdict[str, float] = defaultdict(float)
        self.own: defaultdict[str, float] = defaultdict(float)
        self.calls: defaultdict[str, int] = defaultdict(int)
        self.includes: defaultdict[str, float] = defaultdict(float)
        self.include_calls: defaultdict[str, int] = defaultdict(int)
        self._stack: list[float] = []

    def install(self):
        from django.template import base, loader_tags

        original_render = getattr(base.Template, "_render")  # noqa: B009 - private, not in the stubs
        original_include = loader_tags.IncludeNode.render
        timer = self

        def _render(template, context):
            name = template.origin.template_name if template.origin else "<string>"
            started = time.perf_counter()
            timer._stack.append(0.0)
            try:
                return original_render(template, context)
            finally:
                elapsed = time.perf_counter() - started
                children = timer._stack.pop()
                timer.inclusive[name] += elapsed
                timer.own[name] += elapsed - children
                timer.calls[name] += 1
                if timer._stack:
                    timer._stack[-1] += elapsed

        def include_render(node, context):
            started = time.perf_counter()
            try:
                return original_include(node, context)
            finally:
                key = node.template.token if hasattr(node.template, "token") else str(node.template)
                timer.includes[key] += time.perf_counter() - started
                timer.include_calls[key] += 1

        setattr(base.Template, "_render", _render)  # noqa: B010
        setattr(loader_tags.IncludeNode, "render", include_render)  # noqa: B010

    def report(self, runs: int) -> str:
        lines = [f"  {'template':60} {'calls/req':>9} {'incl ms':>9} {'own ms':>9}"]
        for name, total in sorted(self.inclusive.items(), key=lambda item: -item[1]):
            lines.append(
                f"  {name[:60]:60} {self.calls[name] / runs:9.1f} {total * 1000 / runs:9.2f}"
                f" {self.own[name] * 1000 / runs:9.2f}"
            )
        if self.includes:
            lines.append(f"  {'{% include %}':60} {'calls/req':>9} {'ms':>9}")
            for name, total in sorted(self.includes.items(), key=lambda item: -item[1]):
                lines.append(
                    f"  {name[:60]:60} {self.include_calls[name] / runs:9.1f} {total * 1000 / runs:9.2f}"
                )
        return "\n".join(lines)


def main():
    args = parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "toolkit.settings")
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from toolkit.models import User

    print(f"database: {connection.vendor} {connection.settings_dict['NAME']}; runs: {args.runs}")
    timer = TemplateTimer() if args.templates else None
    if timer:
        timer.install()
    for username in args.users.split(","):
        user = User.objects.get(username=username)
        client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
        client.force_login(user)
        for number in args.numbers:
            path = number if number.startswith("/") else f"/diagnosis/{number}/"
            for _warm_up in range(2):
                response = client.get(path, secure=True)
                if response.status_code != 200:
                    sys.exit(f"{username} {path}: HTTP {response.status_code}")
            times, cpu = [], []
            for _run in range(args.runs):
                started, started_cpu = time.perf_counter(), time.process_time()
                client.get(path, secure=True)
                times.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - started_cpu) * 1000)
            # The captured "time" is rounded to the millisecond: time each execute() here instead.
            sql_seconds: list[float] = []

            def timed(execute, sql, params, many, context, sql_seconds=sql_seconds):
                started = time.perf_counter()
                try:
                    return execute(sql, params, many, context)
                finally:
                    sql_seconds.append(time.perf_counter() - started)

            with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(timed):
                client.get(path, secure=True)
            sql_ms = sum(sql_seconds) * 1000
            print(
                f"{username:10} {number}: median {statistics.median(times):6.1f} ms"
                f"  p95 {percentile(times, 0.95):6.1f} ms  queries {len(queries):3d}"
                f"  SQL {sql_ms:5.1f} ms  CPU {statistics.median(cpu):5.1f} ms"
                f"  ({len(response.content):,} bytes)"
            )
            if timer:
                timer.reset()
                for _run in range(args.runs):
                    client.get(path, secure=True)
                print(timer.report(args.runs))
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for _run in range(args.runs):
                    client.get(path, secure=True)
                profile.disable()
                if os.environ.get("PROFILE_DUMP"):
                    profile.dump_stats(os.environ["PROFILE_DUMP"])
                out = io.StringIO()
                pstats.Stats(profile, stream=out).sort_stats("tottime").print_stats(30)
                print(out.getvalue())


if __name__ == "__main__":
    main()
