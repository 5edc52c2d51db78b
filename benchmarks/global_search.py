"""Global search benchmark (issue 17 item 7): the menu's search page over the tickets already in a
database (``manage.py seed_demo --tickets 100000`` fills one), on PostgreSQL or SQLite.

    createdb -h 127.0.0.1 -U postgres searchbench
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/searchbench
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo --tickets 100000
    psql -h 127.0.0.1 -U postgres searchbench -c ANALYZE
    .venv/bin/python benchmarks/global_search.py [--runs 20]

Measured, each over --runs rounds after one warm-up round:
- ``search.selectors.global_search`` alone (ticket search + rows, article search + rows, customers);
- the page ``/search/?q=…`` through Django's test Client as the demo manager (session, permissions,
  template), including the jump (302) for a ticket number typed exactly.
Queries: Chinese words of 2 and more characters, an error code, English, a customer name, mixed, the
start of a ticket number and a whole one. Prints p50/p95/max per query and over all. Not a pytest test:
nothing here asserts a threshold.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

from common import is_postgresql, percentile, prepare_environment

QUERIES = [
    "打印",
    "验证码",
    "数据同步延迟",
    "Error500",
    "timeout",
    "printer",
    "系统 登录",
    "TSA",
    "连接 ConnectionTimeout",
    "TS-20231001",
]


def timed(function, runs: int) -> list[float]:
    function()  # warm-up: caches, the first plan
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def report(title: str, rows: dict[str, list[float]]) -> None:
    print(f"\n{title}")
    print(f"{'query':<28} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}")
    every = []
    for query, timings in rows.items():
        every.extend(timings)
        p50, p95 = statistics.median(timings), percentile(timings, 0.95)
        print(f"{query:<28} {p50:>8.1f} {p95:>8.1f} {max(timings):>8.1f}")
    print(f"{'all':<28} {statistics.median(every):>8.1f} {percentile(every, 0.95):>8.1f} {max(every):>8.1f}")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    url = prepare_environment(default_sqlite=Path("/tmp/bench_search.sqlite3"), fresh=False)
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.test import Client

    from search import selectors
    from toolkit.models import Ticket

    tickets = Ticket.objects.count()
    if not tickets:
        sys.exit("No tickets: run manage.py seed_demo --tickets 100000 first (see the docstring).")
    user = get_user_model().objects.filter(groups__name="manager").first()
    client = Client()
    client.force_login(user)
    known = Ticket.objects.order_by("-id").values_list("number", flat=True).first()
    print(f"{'PostgreSQL' if is_postgresql() else 'SQLite'} {url.rsplit('/', 1)[-1]}: {tickets:,} tickets")

    selector_rows, page_rows, counts = {}, {}, {}
    for query in QUERIES:
        found = selectors.global_search(q=query, user=user)
        counts[query] = (
            found.tickets.count,
            found.tickets.capped,
            found.articles.count,
            found.customers.count,
        )
        selector_rows[query] = timed(lambda q=query: selectors.global_search(q=q, user=user), args.runs)
        page_rows[query] = timed(lambda q=query: client.get("/search/", {"q": q}), args.runs)
    jump = client.get("/search/", {"q": known})
    assert jump.status_code == 302, jump.status_code
    page_rows[f"{known} (jump)"] = timed(lambda: client.get("/search/", {"q": known}), args.runs)

    print(f"\n{'query':<28} {'tickets':>9} {'articles':>9} {'customers':>9}")
    for query, (ticket_count, capped, article_count, customer_count) in counts.items():
        shown = f"{ticket_count}{'+' if capped else ''}"
        print(f"{query:<28} {shown:>9} {article_count:>9} {customer_count:>9}")
    report(f"global_search() selector, {args.runs} runs", selector_rows)
    report(f"/search/?q=… page (test Client, manager), {args.runs} runs", page_rows)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_DEBUG", "1")
    main()
