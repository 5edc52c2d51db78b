"""Excel import benchmark: generate N rows in the diagnosis table's layout, import them, print rows/s.

    .venv/bin/python benchmarks/imports.py [--rows 20000] [--rows-are auto|open|history] [--intake]

Without DATABASE_URL it works on a throwaway SQLite file (/tmp/bench_imports.sqlite3, deleted first);
with DATABASE_URL (e.g. postgres://postgres@127.0.0.1:5432/importbench, a database you created for
this) it migrates and adds to whatever is there.

The import runs as the worker runs it (a job created from the file, then jobs.services.job_run in this
process), timed end to end and by phase: reading the workbook, checking the rows, reserving numbers,
saving (chunks of CHUNK_ROWS rows, each prepared, then written in a transaction of its own: the longest
write is as long as a concurrent writer on SQLite may have to wait). The process's CPU time and the
machine's load average are printed beside the time: on a shared 2-core machine the same import takes
twice as long at load 4. With --intake a second thread logs a ticket through the intake service every
0.2 s during the import and prints its slowest answer. --profile FILE writes a cProfile of the import
(read it with `python -m pstats FILE`). Half the generated rows are recorded two months ago (closed
history under the default "auto"), half within the last hour (open). Not a pytest test: nothing here
asserts a threshold.
"""

import argparse
import io
import os
import random
import statistics
import threading
import time
from datetime import timedelta
from pathlib import Path

from common import manage, percentile, prepare_environment

DEFAULT_SQLITE = Path("/tmp/bench_imports.sqlite3")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="rows in the workbook (default 20000)")
    parser.add_argument("--rows-are", default="auto", choices=["auto", "open", "history"])
    parser.add_argument("--customers", type=int, default=300, help="distinct customers (default 300)")
    parser.add_argument("--intake", action="store_true", help="log tickets from another thread meanwhile")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the import to FILE")
    return parser.parse_args()


def workbook_bytes(rows: int, customers: int, owners) -> bytes:
    from django.utils import timezone
    from openpyxl import Workbook

    from diagnosis.exports import COLUMNS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(["技术服务问题快速诊断表"])
    sheet.append([str(column.header) for column in COLUMNS])
    now = timezone.localtime().replace(tzinfo=None, second=0, microsecond=0)
    rng = random.Random(7)
    sources = ["电话", "邮件", "工单系统", "现场拜访", "在线客服"]
    types = ["功能类", "性能类", "兼容类", "环境类"]
    for index in range(rows):
        old = index % 2 == 0
        recorded = now - (
            timedelta(days=60 + rng.randint(0, 300)) if old else timedelta(minutes=rng.randint(5, 60))
        )
        customer = rng.randrange(customers)
        sheet.append(
            [
                index + 1,
                None,
                f"客户{customer:04d}",
                f"联系人{customer:04d}-{rng.randrange(5)}",
                f"138{rng.randrange(10**8):08d}",
                rng.choice(sources),
                recorded - timedelta(minutes=5),
                f"第{index}号问题:系统登录后页面加载缓慢,影响{rng.randint(1, 50)}名用户提交订单",
                rng.choice(["", "Error500:ConnectionTimeout", "验证码错误,请重试"]),
                rng.choice(types),
                f"P{rng.randrange(4)}",
                rng.choice(["验证码接口异常", "网络带宽不足 (待验证)", ""]),
                rng.choice(owners),
                None,
                recorded,
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def intake_loop(stop: threading.Event, owner, latencies: list, failures: list) -> None:
    """Log a ticket every 0.2 s as the intake page does (its own connection), timing each; a ticket the
    database refused (SQLite: "database is locked" once the busy timeout passed) is counted, not fatal."""
    from django.db import DatabaseError, connection, transaction
    from django.utils import timezone

    from toolkit import services

    try:
        while not stop.is_set():
            started = time.perf_counter()
            try:
                with transaction.atomic():
                    customer = services.customer_get_or_create(name="值班客户")
                    contact = services.contact_get_or_create(customer=customer, name="王女士", details="139")
                    services.ticket_create(
                        recorded_by=owner,
                        owner=owner,
                        customer=customer,
                        contact=contact,
                        source="phone",
                        occurred_at=timezone.now(),
                        description="导入期间登记的工单",
                        problem_type="functional",
                        priority="P1",
                    )
            except DatabaseError as error:
                failures.append(str(error))
            latencies.append(time.perf_counter() - started)
            stop.wait(0.2)
    finally:
        connection.close()


def main():
    args = parse_args()
    print(f"Database: {prepare_environment(default_sqlite=DEFAULT_SQLITE, fresh=True)}")
    manage("migrate", "--no-input", "-v", "0")

    import django

    django.setup()

    import tempfile

    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from diagnosis import imports
    from jobs.models import Job
    from jobs.services import job_run
    from tests.factories import UserFactory
    from toolkit.models import Reminder, Ticket
    from toolkit.tasks import run_sla_scan

    settings.MEDIA_ROOT = tempfile.mkdtemp(prefix="bench-imports-")
    suffix = f"{time.time_ns() % 10**8}"
    manager = UserFactory(username=f"bench-manager-{suffix}", role="manager")
    owners = [UserFactory(username=f"bench-owner{n}-{suffix}", role="engineer").username for n in range(10)]
    started = time.perf_counter()
    content = workbook_bytes(args.rows, args.customers, owners)
    print(
        f"Workbook: {args.rows} rows, {len(content) / 1e6:.1f} MB, "
        f"written in {time.perf_counter() - started:.1f} s"
    )

    # Phases, timed by wrapping the import's own steps (those this version has), the longest call too.
    phases, longest = {}, {}

    def timed(owner, attribute, name):
        function = getattr(owner, attribute, None)
        if function is None:
            return

        def wrapper(*a, **kw):
            began = time.perf_counter()
            try:
                return function(*a, **kw)
            finally:
                spent = time.perf_counter() - began
                phases[name] = phases.get(name, 0) + spent
                longest[name] = max(longest.get(name, 0), spent)

        setattr(owner, attribute, wrapper)

    timed(imports, "_read_upload", "read")
    timed(imports, "_validate", "check")
    timed(imports, "_reserve_numbers", "numbers")
    timed(imports, "_insert", "save")
    # Inside the save: preparing each chunk (no database), then its INSERTs, each chunk in a transaction
    # of its own (as long as intake may wait), of which the search documents (chapter 6's index).
    timed(getattr(imports, "_Writer", None), "prepare", "  preparing chunks")
    timed(getattr(imports, "_Writer", None), "write", "  writing chunks")
    timed(imports, "tickets_index", "    of which search documents")

    before = Ticket.objects.count()
    upload = SimpleUploadedFile("bench.xlsx", content)
    job = imports.import_job_start(upload=upload, user=manager, rows_are=args.rows_are)

    stop, latencies, failures, intake = threading.Event(), [], [], None
    if args.intake:
        intake = threading.Thread(target=intake_loop, args=(stop, manager, latencies, failures))
        intake.start()
        time.sleep(0.5)
    started, cpu = time.perf_counter(), time.process_time()
    with CaptureQueriesContext(connection) as queries:
        if args.profile:
            import cProfile

            cProfile.runctx(
                "job_run(job_id=job.pk)", globals(), {"job_run": job_run, "job": job}, args.profile
            )
        else:
            job_run(job_id=job.pk)
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    stop.set()
    if intake:
        intake.join()

    job.refresh_from_db()
    imported = Ticket.objects.count() - before - (len(latencies) - len(failures))
    print(
        f"Job: {job.state}, {job.report.get('created')} tickets "
        f"({job.report.get('closed_history')} closed history)"
    )
    if job.state != "done":
        print(job.report)
    print(
        f"Import: {imported} rows in {elapsed:.1f} s = {imported / elapsed:,.0f} rows/s, "
        f"{len(queries)} queries, {cpu:.1f} s CPU in this process (load average {os.getloadavg()[0]:.1f})"
    )
    for name in ["read", "check", "numbers", "save", *(name for name in phases if name.startswith(" "))]:
        if name in phases:
            longest_call = f", longest {longest[name]:.2f} s" if "writing" in name else ""
            print(f"  {name}: {phases[name]:.2f} s{longest_call}")
    if latencies:
        print(
            f"Intake during the import: {len(latencies)} tickets, "
            f"median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, slowest {max(latencies) * 1000:.0f} ms, "
            f"{len(failures)} failed" + (f" ({failures[0]})" if failures else "")
        )
    numbers = list(Ticket.objects.values_list("number", flat=True))
    print(f"Ticket numbers unique: {len(numbers) == len(set(numbers))}")
    reminders = Reminder.objects.count()
    run_sla_scan(inline=True)
    print(f"Reminders from the SLA scan after the import: {Reminder.objects.count() - reminders}")
    Job.objects.filter(pk=job.pk).delete()


if __name__ == "__main__":
    main()
