"""Embedded broker benchmark: how fast the out-of-the-box setup (SQLite, kombu's folder broker, one
worker) sends a burst of SLA reminders while people keep working.

    .venv/bin/python benchmarks/embedded_broker.py [--tickets 2000] [--due 600] [--pool threads]
        [--concurrency 4]

Runs on a throwaway SQLite file (/tmp/bench_broker.sqlite3, deleted first) and the `.broker/` folder,
never Redis (REDIS_URL and CELERY_BROKER_URL are ignored). After `seed_demo`, D response targets are
put past their 50% point; one SLA scan (the periodic task's work) records the reminders and queues one
delivery per e-mail address through the folder broker; a Celery worker started like `dev.py run`'s
(with --pool and --concurrency as given) sends them, e-mail written to files. Meanwhile a desk thread
in this process adds a clarification to a ticket and reads the table's first page every 0.2 s, as the
web server would, and an Excel import of --import-rows rows is uploaded, which the worker runs as a job
(the fault that made SQLite answer "database is locked" before imports wrote in short chunks). Prints
deliveries per second until the queue is empty, and the desk's errors and latencies. Not a pytest
test: nothing here asserts a threshold.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from common import PROJECT, manage, percentile, prepare_environment

DEFAULT_SQLITE = Path("/tmp/bench_broker.sqlite3")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=2_000)
    parser.add_argument("--due", type=int, default=600, help="response targets due at the scan")
    parser.add_argument("--pool", default="threads", choices=["solo", "threads", "prefork"])
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--import-rows", type=int, default=3_000, help="an Excel import meanwhile (0: none)")
    parser.add_argument("--timeout", type=int, default=600, help="give up after this many seconds")
    return parser.parse_args()


def start_worker(args, mail_dir: Path) -> subprocess.Popen:
    env = {**os.environ, "EMAIL_URL": f"filemail://{mail_dir}", "PYTHONUNBUFFERED": "1"}
    command = [
        str(Path(sys.executable).with_name("celery")),
        "--app=toolkit",
        "worker",
        f"--pool={args.pool}",
        f"--concurrency={args.concurrency}",
        "--loglevel=WARNING",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "--queues=celery,outbound",
    ]
    return subprocess.Popen(command, cwd=PROJECT, env=env, start_new_session=True)  # noqa: S603


class Desk(threading.Thread):
    """What the web server does meanwhile: a small write and a table read, five times a second."""

    def __init__(self, ticket_ids):
        super().__init__(daemon=True)
        self.ticket_ids = ticket_ids
        self.stop = threading.Event()
        self.latencies: list[float] = []
        self.errors: list[str] = []

    def run(self):
        from django.db import connection
        from django.http import QueryDict

        from diagnosis.selectors import ticket_list
        from toolkit.models import Ticket, User
        from toolkit.services import ticket_add_clarification

        manager = User.objects.get(username="manager")
        index = 0
        while not self.stop.is_set():
            ticket = Ticket.objects.get(pk=self.ticket_ids[index % len(self.ticket_ids)])
            index += 1
            started = time.perf_counter()
            try:
                ticket_add_clarification(ticket=ticket, text="客户补充：问题仍在", by=manager)
                list(ticket_list(data=QueryDict()).qs[:50])
            except Exception as error:  # noqa: BLE001 - counted and shown, that is the measurement
                self.errors.append(f"{type(error).__name__}: {error}")
            self.latencies.append(time.perf_counter() - started)
            self.stop.wait(0.2)
        connection.close()


def run_import(rows: int, result: dict, timeout: float) -> None:
    """Upload a workbook in the table's layout as the import page does; the worker runs the job."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from imports import workbook_bytes

    from diagnosis.imports import import_job_start
    from jobs.models import Job
    from toolkit.models import User

    manager = User.objects.get(username="manager")
    owners = list(User.objects.filter(is_active=True).values_list("username", flat=True)[:5])
    upload = SimpleUploadedFile("bench.xlsx", workbook_bytes(rows, 50, owners))
    started = time.perf_counter()
    job = import_job_start(upload=upload, user=manager, rows_are="auto")
    while time.perf_counter() - started < timeout:
        job = Job.objects.get(pk=job.pk)
        if job.is_finished:
            break
        time.sleep(0.5)
    result["state"] = f"{job.state}, {job.report.get('created')} tickets"
    result["seconds"] = time.perf_counter() - started
    connection.close()


def main():
    args = parse_args()
    os.environ.pop("REDIS_URL", None)
    os.environ.pop("CELERY_BROKER_URL", None)
    print(f"Database: {prepare_environment(default_sqlite=DEFAULT_SQLITE, fresh=True)}")
    manage("migrate", "--no-input", "-v", "0")
    seconds, _ = manage("seed_demo", "--tickets", str(args.tickets), "--no-history")
    print(f"seed_demo --tickets {args.tickets} --no-history: {seconds:.1f} s")

    import django

    django.setup()

    from datetime import timedelta

    from django.conf import settings
    from django.utils import timezone

    from toolkit import tasks
    from toolkit.choices import DeliveryStatus, SlaState, SlaTargetKind, Stage
    from toolkit.models import Delivery, Ticket, TicketSla, User

    broker_dir = Path(settings.BROKER_DIR)
    for folder in ("queue", "processed"):
        shutil.rmtree(broker_dir / folder, ignore_errors=True)
        (broker_dir / folder).mkdir(parents=True, exist_ok=True)

    now = timezone.now()
    later = now + timedelta(days=1)
    Ticket.objects.exclude(stage=Stage.DIAGNOSIS).update(stage=Stage.DIAGNOSIS)
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
    responses = TicketSla.objects.filter(target=SlaTargetKind.RESPONSE).order_by("?")
    due_ids = list(responses.values_list("pk", flat=True)[: args.due])
    past = now - timedelta(minutes=1)
    for start in range(0, len(due_ids), 500):
        chunk = due_ids[start : start + 500]
        TicketSla.objects.filter(pk__in=chunk).update(warn50_at=past, next_check_at=past)
    desk_tickets = list(Ticket.objects.order_by("-pk").values_list("pk", flat=True)[:50])

    mail_dir = Path(tempfile.mkdtemp(prefix="bench_broker_mail_"))
    worker = start_worker(args, mail_dir)
    desk = Desk(desk_tickets)
    imported: dict = {}
    importer = threading.Thread(
        target=run_import, args=(args.import_rows, imported, args.timeout), daemon=True
    )
    try:
        time.sleep(3)  # the worker's start-up, not part of the measurement
        desk.start()
        started = time.perf_counter()
        if args.import_rows:
            importer.start()
        outcome = tasks.run_sla_scan()
        scanned = time.perf_counter() - started
        total = Delivery.objects.count()
        reminders = len(outcome.reminder_ids)
        print(f"Scan: {reminders:,} reminders, {total:,} deliveries queued in {scanned:.1f} s")
        print(f"Worker: --pool={args.pool} --concurrency={args.concurrency}, broker {broker_dir}")
        sent = 0
        progress = []
        while time.perf_counter() - started < args.timeout:
            time.sleep(1)
            sent = Delivery.objects.filter(status=DeliveryStatus.SENT).count()
            progress.append((time.perf_counter() - started, sent))
            if sent + Delivery.objects.filter(status=DeliveryStatus.FAILED).count() >= total:
                break
        elapsed = time.perf_counter() - started
        if args.import_rows:
            importer.join(timeout=args.timeout)
    finally:
        desk.stop.set()
        desk.join(timeout=10)
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)
        shutil.rmtree(mail_dir, ignore_errors=True)

    failed = Delivery.objects.filter(status=DeliveryStatus.FAILED).count()
    pending = total - sent - failed
    print()
    print(f"Deliveries sent: {sent:,} of {total:,} in {elapsed:.1f} s → {sent / elapsed:.1f} per second")
    print(f"  failed {failed:,}, still pending {pending:,}")
    if desk.latencies:
        print(
            f"Desk meanwhile: {len(desk.latencies):,} write+read rounds, {len(desk.errors)} errors, "
            f"p50 {statistics.median(desk.latencies) * 1000:.0f} ms, "
            f"p95 {percentile(desk.latencies, 0.95) * 1000:.0f} ms, max {max(desk.latencies) * 1000:.0f} ms"
        )
    if imported:
        state, seconds = imported["state"], imported["seconds"]
        print(f"Import of {args.import_rows:,} rows meanwhile: {state} in {seconds:.1f} s")
    for error in sorted(set(desk.errors))[:5]:
        print(f"  {error}")


if __name__ == "__main__":
    main()
