"""Dashboard benchmark: seed N tickets, then time the managers' dashboard `/` and the report page.

    .venv/bin/python benchmarks/dashboard.py [--tickets 100000] [--runs 20]

Without DATABASE_URL it works on a throwaway SQLite file (/tmp/bench_dashboard.sqlite3, deleted first);
with DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/dashbench, a database you created for this)
it migrates and adds N tickets to whatever is there: use a fresh database for comparable figures.
Seeding is `manage.py seed_demo --tickets N --no-history` in a subprocess (timed): tickets spread over
180 days, each with its two SLA targets, plus the chapters' demo data on the latest tickets. Then, so
that CSAT and knowledge reuse have volume, survey answers for --survey-share of the closed tickets and
article links for --link-share of them are bulk-inserted (fixed random seed), and on PostgreSQL the
tables are ANALYZEd, as autovacuum would do on a live database after such a load (without statistics
the planner takes 100,000 fresh rows for a hundred and sorts on disk instead of hashing).
The pages are requested with Django's test Client logged in as the demo manager, in this process, with
DJANGO_DEBUG=1 as in development.

Prints p50/p95/max over --runs requests after one warm-up, and the SQL queries per request (session,
user and permission lookups included), then the time of each of the dashboard's own queries.
Not a pytest test: nothing here asserts a threshold (the target is p95 ≤ 300 ms on PostgreSQL).
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from common import manage, percentile, prepare_environment

DEFAULT_SQLITE = Path("/tmp/bench_dashboard.sqlite3")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="tickets to seed (default 100000)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page (default 20)")
    parser.add_argument("--no-seed", action="store_true", help="measure the data already in the database")
    parser.add_argument(
        "--survey-share", type=float, default=0.3, help="share of closed tickets with a survey answer (0.3)"
    )
    parser.add_argument(
        "--link-share", type=float, default=0.2, help="share of closed tickets linked to an article (0.2)"
    )
    return parser.parse_args()


def add_answers_and_links(*, survey_share: float, link_share: float) -> tuple[int, int]:
    """Survey answers and article links on a share of the closed tickets that have none yet (bulk)."""
    import hashlib
    import random
    from datetime import timedelta

    from evaluation.models import Survey, SurveyResponse
    from knowledge.models import Article, ArticleLink, ArticleStatus
    from toolkit.choices import ProblemType, Stage
    from toolkit.models import Ticket, User

    rng = random.Random(20231001)
    author = User.objects.get(username="engineer")
    closed = list(
        Ticket.objects.filter(stage=Stage.CLOSED, survey_responses__isnull=True, knowledge_links__isnull=True)
        .values_list("pk", "problem_type", "recorded_at")
        .order_by("pk")
    )
    articles = {
        kind: [
            Article(
                title=f"基准测试文章 {kind} {index}",
                type=kind,
                symptoms="基准测试",
                solution_steps="1. 基准测试",
                status=ArticleStatus.PUBLISHED,
                author=author,
            )
            for index in range(10)
        ]
        for kind in ProblemType.values
    }
    Article.objects.bulk_create([article for group in articles.values() for article in group])
    surveys, answers, links = [], [], []
    for pk, kind, recorded_at in closed:
        answered_at = recorded_at + timedelta(days=rng.randint(1, 10))
        if rng.random() < survey_share:
            token = hashlib.sha256(f"bench-{pk}".encode()).hexdigest()
            surveys.append(Survey(ticket_id=pk, token_hash=token, created_by=author, used_at=answered_at))
            scores = {name: rng.choice((2, 3, 4, 4, 5, 5)) for name in ("response_speed", "effectiveness")}
            scores.update(attitude=rng.choice((4, 5)), communication=rng.choice((3, 4, 5)))
            answers.append(
                SurveyResponse(ticket_id=pk, overall=rng.choice((1, 2, 3, 4, 4, 4, 5, 5, 5, 5)), **scores)
            )
            answers[-1].submitted_at = answered_at
        if rng.random() < link_share:
            links.append(
                ArticleLink(
                    article=rng.choice(articles[kind]), ticket_id=pk, linked_by=author, linked_at=answered_at
                )
            )
    Survey.objects.bulk_create(surveys, batch_size=2000)
    for survey, answer in zip(surveys, answers, strict=True):
        answer.survey = survey
    SurveyResponse.objects.bulk_create(answers, batch_size=2000)
    ArticleLink.objects.bulk_create(links, batch_size=2000)
    return len(answers), len(links)


def main():
    args = parse_args()
    print(f"Database: {prepare_environment(default_sqlite=DEFAULT_SQLITE, fresh=not args.no_seed)}")
    print(f"migrate: {manage('migrate', '--no-input', '-v', '0')[0]:.1f} s")
    if not args.no_seed:
        seconds, _ = manage("seed_demo", "--tickets", str(args.tickets), "--no-history")
        print(f"seed_demo --tickets {args.tickets} --no-history: {seconds:.1f} s")

    import django

    django.setup()

    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from dashboard.selectors import dashboard_summary
    from evaluation.models import SurveyResponse
    from toolkit.models import Ticket, TicketSla, User

    if not args.no_seed:
        started = time.perf_counter()
        answers, links = add_answers_and_links(survey_share=args.survey_share, link_share=args.link_share)
        print(
            f"{answers:,} survey answers and {links:,} article links: {time.perf_counter() - started:.1f} s"
        )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    print(
        f"{Ticket.objects.count():,} tickets ({Ticket.objects.open().count():,} open), "
        f"{TicketSla.objects.count():,} SLA targets, {SurveyResponse.objects.count():,} survey responses "
        f"({connection.vendor})\n"
    )

    client = Client()
    client.force_login(User.objects.get(username="manager"))

    def get(url):
        response = client.get(url)
        if response.status_code != 200:
            sys.exit(f"GET {url} answered {response.status_code}")
        return response

    rows = []
    for label, url in [("dashboard /", "/"), ("report /evaluation/reports/", "/evaluation/reports/")]:
        get(url)  # warm-up: templates, the database's page cache
        reset_queries()
        with CaptureQueriesContext(connection) as queries:
            get(url)
        timings = []
        for _ in range(args.runs):
            started = time.perf_counter()
            get(url)
            timings.append((time.perf_counter() - started) * 1000)
        rows.append((label, len(queries.captured_queries), timings))

    print(f"Pages ({args.runs} timed requests each after one warm-up)")
    header = f"{'request':<30} {'queries':>7} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}"
    print(header)
    print("-" * len(header))
    for label, count, timings in rows:
        print(
            f"{label:<30} {count:>7} {statistics.median(timings):>8.1f} "
            f"{percentile(timings, 0.95):>8.1f} {max(timings):>8.1f}"
        )

    # Where the dashboard's time goes: each of its queries, as run by dashboard_summary().
    with CaptureQueriesContext(connection) as queries:
        dashboard_summary()
    print("\nThe dashboard's own queries (one run)")
    for query in queries.captured_queries:
        print(f"{float(query['time']) * 1000:>8.1f} ms  {query['sql'][:110]}")


if __name__ == "__main__":
    main()
