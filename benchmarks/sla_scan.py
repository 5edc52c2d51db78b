"""SLA scan benchmark: N open tickets, D of whose targets are due; time one scan and count its queries.

    .venv/bin/python benchmarks/sla_scan.py [--tickets 100000] [--due 1000] [--runs 5]

Without DATABASE_URL it works on a throwaway SQLite file (/tmp/bench_sla.sqlite3, deleted first); with
DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/slabench, a database you created for this) it
migrates and seeds into whatever is there: use a fresh database.

After `seed_demo` (which gives every ticket its two SLA targets through the engine's bulk start), every
ticket is made open and every target pushed a day ahead, then D response targets are put 1 minute past
their 50% point. Each run puts those D back, then measures in this process:

- `sla.sla_scan(batch_size=D)`: the engine's read of due targets, reminders recorded, states updated;
- `tasks.scan_and_fan_out()`: what the periodic task does before queueing — the scan in batches of 500
  plus in-app notifications and delivery rows for every reminder (each owner has an email address);
- `sla.sla_scan()` with nothing due (p50/p95 over 20 calls).

Prints seconds and SQL queries. Not a pytest test: nothing here asserts a threshold.
"""

import argparse
import statistics
import time
from pathlib import Path

from common import manage, prepare_environment

DEFAULT_SQLITE = Path("/tmp/bench_sla.sqlite3")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=100_000, help="open tickets (default 100000)")
    parser.add_argument("--due", type=int, default=1_000, help="targets due at the scan (default 1000)")
    parser.add_argument("--runs", type=int, default=5, help="timed scans of each kind (default 5)")
    parser.add_argument("--no-seed", action="store_true", help="use the tickets already in the database")
    return parser.parse_args()


def main():
    args = parse_args()
    print(f"Database: {prepare_environment(default_sqlite=DEFAULT_SQLITE, fresh=not args.no_seed)}")
    manage("migrate", "--no-input", "-v", "0")
    if not args.no_seed:
        seconds, _ = manage("seed_demo", "--tickets", str(args.tickets), "--no-history")
        print(f"seed_demo --tickets {args.tickets} --no-history: {seconds:.1f} s")

    import django

    django.setup()

    from datetime import timedelta

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from toolkit import sla, tasks
    from toolkit.choices import SlaState, SlaTargetKind, Stage
    from toolkit.models import Delivery, Notification, Reminder, Ticket, TicketSla, User

    now = timezone.now()
    later = now + timedelta(days=1)
    Ticket.objects.exclude(stage=Stage.DIAGNOSIS).update(stage=Stage.DIAGNOSIS)
    Ticket.objects.update(sla_state=SlaState.OK, sla_due_at=later)
    TicketSla.objects.update(
        met_at=None,
        paused_since=None,
        state=SlaState.OK,
        next_check_at=later,
        warn50_at=later,
        warn80_at=later + timedelta(hours=1),
        due_at=later + timedelta(hours=2),
    )
    for user in User.objects.filter(email=""):
        User.objects.filter(pk=user.pk).update(email=f"{user.username}@example.com")
    open_tickets = Ticket.objects.filter(stage__in=Stage.open_stages()).count()
    targets = TicketSla.objects.count()
    due_ids = list(
        TicketSla.objects.filter(target=SlaTargetKind.RESPONSE)
        .order_by("?")
        .values_list("pk", flat=True)[: args.due]
    )
    print(f"{open_tickets:,} open tickets, {targets:,} SLA targets, {len(due_ids):,} due at each scan")

    def make_due():
        Delivery.objects.all().delete()
        Notification.objects.all().delete()
        Reminder.objects.all().delete()
        past = now - timedelta(minutes=1)
        for start in range(0, len(due_ids), 500):
            TicketSla.objects.filter(pk__in=due_ids[start : start + 500]).update(
                warn50_at=past, next_check_at=past, state=SlaState.OK
            )

    def measure(work):
        with CaptureQueriesContext(connection) as queries:
            started = time.perf_counter()
            result = work()
            seconds = time.perf_counter() - started
        return seconds, len(queries), result

    rows = []
    scan_runs, full_runs = [], []
    for _ in range(args.runs):
        make_due()
        seconds, queries, recorded = measure(lambda: sla.sla_scan(now=now, batch_size=args.due))
        assert len(recorded) == len(due_ids), (len(recorded), len(due_ids))
        scan_runs.append((seconds, queries))
        make_due()
        seconds, queries, outcome = measure(lambda: tasks.scan_and_fan_out(now=now))
        assert len(outcome.reminder_ids) == len(due_ids)
        full_runs.append((seconds, queries, len(outcome.delivery_ids)))
    rows.append(
        (
            f"sla_scan, {len(due_ids):,} due, one batch",
            statistics.median(s for s, _ in scan_runs),
            max(s for s, _ in scan_runs),
            scan_runs[0][1],
        )
    )
    rows.append(
        (
            f"scan + fan-out (batches of 500), {full_runs[0][2]:,} deliveries",
            statistics.median(s for s, *_ in full_runs),
            max(s for s, *_ in full_runs),
            full_runs[0][1],
        )
    )
    idle = []
    for _ in range(20):
        seconds, queries, recorded = measure(lambda: sla.sla_scan(now=now))
        assert recorded == []
        idle.append((seconds, queries))
    idle_times = sorted(s for s, _ in idle)
    rows.append(("sla_scan, none due (p50 / p95)", idle_times[9], idle_times[18], idle[0][1]))

    print()
    print(f"{'':58} {'median/p50':>12} {'max/p95':>10} {'queries':>8}")
    for label, middle, high, queries in rows:
        print(f"{label:58} {middle * 1000:>9.1f} ms {high * 1000:>7.1f} ms {queries:>8}")


if __name__ == "__main__":
    main()
