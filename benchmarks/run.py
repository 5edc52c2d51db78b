"""Diagnosis-table benchmark: seed N tickets, then time the pages a manager uses.

    .venv/bin/python benchmarks/run.py [--tickets 100000] [--runs 20]

Without DATABASE_URL it works on a throwaway SQLite file (/tmp/bench.sqlite3, deleted first);
with DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/seedbench, a database you created for
this) it migrates and adds N tickets to whatever is there: use a fresh database for comparable
figures. Migrate and seed run as `manage.py` subprocesses (timed), so the seed's memory does not
hide the export's in this process's peak RSS. The pages are requested with Django's test Client
logged in as the demo manager, in this process, with DJANGO_DEBUG=1 as in development.

Prints a table: p50/p95 over --runs requests and the SQL queries per request for the table page
and the similar-ticket lookup; seconds, rows/s, peak RSS growth and tracemalloc peak for exports.
Not a pytest test: nothing here asserts a threshold.
"""

import argparse
import os
import resource
import statistics
import sys
import time
import tracemalloc
import unicodedata
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

from common import manage, percentile, prepare_environment

DEFAULT_SQLITE = Path("/tmp/bench.sqlite3")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets to seed (default 100000)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--no-seed", action="store_true", help="measure the data already in the database")
    parser.add_argument("--keep", action="store_true", help="keep an existing /tmp/bench.sqlite3 (no delete)")
    parser.add_argument(
        "--no-tracemalloc", action="store_true", help="skip the (slower) tracemalloc runs of the exports"
    )
    return parser.parse_args()


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def current_rss_mb() -> float:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def pad(text: str, width: int) -> str:
    """Left-align in terminal columns (a CJK character takes two)."""
    shown = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in text)
    return text + " " * max(width - shown, 0)


def main():
    args = parse_args()
    database_url = prepare_environment(default_sqlite=DEFAULT_SQLITE, fresh=not args.keep)
    print(f"Database: {database_url}")

    migrate_seconds, _ = manage("migrate", "--no-input", "-v", "0")
    print(f"migrate: {migrate_seconds:.1f} s")
    if not args.no_seed:
        seed_seconds, seed_output = manage("seed_demo", "--tickets", str(args.tickets))
        print(f"seed_demo --tickets {args.tickets}: {seed_seconds:.1f} s wall clock (process start included)")
        for line in seed_output.splitlines():
            if line.startswith(("Generated", "Total")):
                print(f"  {line}")

    import django

    django.setup()

    from django.db import connection, reset_queries
    from django.http import QueryDict
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from diagnosis.selectors import ticket_list
    from toolkit.models import ExportLog, Ticket, User

    total = Ticket.objects.count()
    print(f"Tickets in the database: {total:,}  ({connection.vendor})\n")

    client = Client()
    client.force_login(User.objects.get(username="manager"))

    def get(url):
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}")
        if response.streaming:
            return response, sum(len(chunk) for chunk in response.streaming_content)
        return response, len(response.content)

    def matching(query: str) -> int:
        return ticket_list(data=QueryDict(query)).qs.count()

    def timed_requests(url, runs):
        get(url)  # warm-up: templates, caches, the database's page cache
        # request_started empties queries_log; start from an empty log so the capture's slice is right.
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            get(url)
        timings = []
        for _ in range(runs):
            started = time.perf_counter()
            get(url)
            timings.append((time.perf_counter() - started) * 1000)
        return timings, len(queries.captured_queries)

    today = timezone.localdate()
    date_range = urlencode(
        {"occurred_after": f"{today - timedelta(days=30):%Y-%m-%d}", "occurred_before": f"{today:%Y-%m-%d}"}
    )

    # Exports first, while this process's peak RSS is still low, so the growth is the export's own.
    get("/diagnosis/?priority=P0")
    export_rows = []
    for label, query in [("export all rows", ""), ("export ?priority=P0", "priority=P0")]:
        url = f"/diagnosis/export.xlsx?{query}" if query else "/diagnosis/export.xlsx"
        rss_before, peak_before = current_rss_mb(), max_rss_mb()
        started = time.perf_counter()
        _response, size = get(url)
        seconds = time.perf_counter() - started
        rows = ExportLog.objects.latest("exported_at", "id").row_count
        traced_peak = None
        if not args.no_tracemalloc:
            tracemalloc.start()
            get(url)
            traced_peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
        export_rows.append(
            {
                "label": label,
                "rows": rows,
                "seconds": seconds,
                "rate": rows / seconds if seconds else 0,
                "size_mb": size / 2**20,
                "rss_growth": max_rss_mb() - peak_before,
                "rss_before": rss_before,
                "traced_peak": traced_peak,
            }
        )

    pages = [
        ("table (default)", ""),
        ("table ?priority=P0", "priority=P0"),
        ("table ?priority=P1&problem_type=performance", "priority=P1&problem_type=performance"),
        ("table ?q=验证码", urlencode({"q": "验证码"})),
        ("table last 30 days (occurred_*)", date_range),
        ("table ?page=50", "page=50"),
        ("table ?sort=priority&stage=open", "sort=priority&stage=open"),
    ]
    page_rows = []
    for label, query in pages:
        timings, query_count = timed_requests(f"/diagnosis/?{query}", args.runs)
        filter_query = "&".join(part for part in query.split("&") if not part.startswith("page="))
        page_rows.append((label, matching(filter_query), query_count, timings))

    lookups = [
        (
            "similar: login + error + customer",
            {
                "description": "无法登录系统,提示验证码错误",
                "error_message": "“验证码错误,请重试”",
                "customer_name": "TSA公司",
            },
        ),
        (
            "similar: slow page, no error",
            {"description": "页面加载超10秒,影响12名用户查看报表", "error_message": "无"},
        ),
        (
            "similar: ORA-12170",
            {"description": "数据库连接中断", "error_message": "ORA-12170: TNS:Connect timeout occurred"},
        ),
    ]
    for label, params in lookups:
        timings, query_count = timed_requests(f"/diagnosis/new/similar/?{urlencode(params)}", args.runs)
        page_rows.append((label, None, query_count, timings))

    print(f"Pages ({args.runs} timed requests each after one warm-up; queries include session and user)")
    header = f"{'request':<46} {'rows':>8} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for label, rows, query_count, timings in page_rows:
        shown_rows = f"{rows:,}" if rows is not None else "-"
        print(
            f"{pad(label, 46)} {shown_rows:>8} {query_count:>7} {statistics.median(timings):>8.1f} "
            f"{percentile(timings, 0.95):>8.1f} {max(timings):>8.1f}"
        )

    print("\nExports (/diagnosis/export.xlsx, manager: contact details unmasked)")
    header = (
        f"{'request':<24} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'xlsx MB':>8} "
        f"{'RSS before MB':>13} {'peak RSS +MB':>12} {'tracemalloc peak MB':>19}"
    )
    print(header)
    print("-" * len(header))
    for row in export_rows:
        traced = f"{row['traced_peak']:.1f}" if row["traced_peak"] is not None else "-"
        print(
            f"{row['label']:<24} {row['rows']:>8,} {row['seconds']:>8.2f} {row['rate']:>8,.0f} "
            f"{row['size_mb']:>8.1f} {row['rss_before']:>13.0f} {row['rss_growth']:>12.1f} {traced:>19}"
        )
    print(f"\nProcess peak RSS at the end: {max_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
