"""REST API benchmark (issue 16 §1): ``GET /api/v1/tickets?priority=P1`` p50/p95 and a full cursor walk
of every ticket (rows/s, memory), through Django's test Client with a demo manager's token.

    .venv/bin/python benchmarks/api.py                        # 100,000 tickets, PostgreSQL database h7bench
    .venv/bin/python benchmarks/api.py --tickets 2000 --database h7bench_quick --runs 10   # a quick run
    .venv/bin/python benchmarks/api.py --sqlite               # the same on /tmp/apibench.sqlite3

The database is the script's own: PostgreSQL ``--database`` (default h7bench, created when missing) or
``--sqlite``. It is migrated, seeded with ``manage.py seed_demo --tickets N`` when it holds no ticket,
and ANALYZEd (PostgreSQL plans badly right after a bulk load). Not a pytest test: nothing asserts a
threshold.
"""

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

from common import is_postgresql, manage, percentile, prepare_environment


def ensure_postgres_database(name: str, host: str) -> None:
    import psycopg

    with psycopg.connect(f"postgresql://postgres@{host}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')  # a name from our own option, not user input


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets to seed into an empty database")
    parser.add_argument("--runs", type=int, default=30, help="requests for the p50/p95 of the filtered list")
    parser.add_argument("--limit", type=int, default=500, help="page size of the cursor walk (max 500)")
    parser.add_argument("--database", default="h7bench", help="PostgreSQL database of its own")
    parser.add_argument("--host", default="127.0.0.1:5432")
    parser.add_argument("--sqlite", action="store_true", help="use /tmp/apibench.sqlite3 instead")
    args = parser.parse_args()

    if args.sqlite:
        os.environ.pop("DATABASE_URL", None)
        prepare_environment(default_sqlite=Path("/tmp/apibench.sqlite3"), fresh=False)
    else:
        ensure_postgres_database(args.database, args.host)
        os.environ["DATABASE_URL"] = f"postgres://postgres@{args.host}/{args.database}"
        prepare_environment(default_sqlite=Path("/tmp/unused.sqlite3"), fresh=False)
    print(f"database: {os.environ['DATABASE_URL']}")
    manage("migrate", "--no-input", "-v", "0")

    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    from api.services import api_token_create
    from toolkit.models import Ticket, User

    if not Ticket.objects.exists():
        seconds, _out = manage("seed_demo", "--tickets", str(args.tickets))
        print(f"seed_demo --tickets {args.tickets}: {seconds:.0f} s")
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    total = Ticket.objects.count()
    print(f"tickets: {total:,}")

    manager = User.objects.get(username="manager")
    secret = api_token_create(user=manager, name="benchmark", days=1).secret
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}", HTTP_ACCEPT_LANGUAGE="en")

    from django.conf import settings

    settings.API_RATE_LIMIT_PER_MINUTE = 10**9  # the benchmark measures the API, not the limiter

    def get(url):
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"{url}: {response.status_code} {response.content[:300]!r}")
        return response

    get("/api/v1/tickets?priority=P1")  # warm-up
    timings = []
    for _ in range(args.runs):
        started = time.perf_counter()
        get("/api/v1/tickets?priority=P1")
        timings.append((time.perf_counter() - started) * 1000)
    print(
        f"GET /api/v1/tickets?priority=P1 (50 rows): p50 {statistics.median(timings):.1f} ms, "
        f"p95 {percentile(timings, 0.95):.1f} ms, max {max(timings):.1f} ms over {args.runs}"
    )

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    rows = pages = 0
    cursor = ""
    while True:
        url = f"/api/v1/tickets?limit={args.limit}" + (f"&cursor={cursor}" if cursor else "")
        body = get(url).json()
        rows += len(body["results"])
        pages += 1
        cursor = body["next_cursor"]
        if not cursor:
            break
    elapsed = time.perf_counter() - started
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        f"cursor walk of every ticket: {rows:,} rows in {pages} pages of {args.limit}, {elapsed:.1f} s, "
        f"{rows / elapsed:,.0f} rows/s; peak RSS growth over the walk "
        f"{(rss_after - rss_before) / 1024:.1f} MB"
    )
    # Memory of one page, traced separately (tracemalloc slows everything it watches several times over).
    tracemalloc.start()
    get(f"/api/v1/tickets?limit={args.limit}")
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"one page of {args.limit}: tracemalloc peak {peak / 2**20:.1f} MB")
    if rows != total:
        sys.exit(f"the walk saw {rows} rows of {total}")


if __name__ == "__main__":
    main()
