"""An Excel import and intake at once on one SQLite file, each in a process of its own, as the worker and
the web server share it. Run by tests/diagnosis/test_import_jobs.py (not a test module itself): the test
database is in memory and one connection's, and CI's is PostgreSQL, so this makes a SQLite file of its own.

    python tests/diagnosis/sqlite_import_probe.py setup DB ROWS       # migrate, users, the workbook
    python tests/diagnosis/sqlite_import_probe.py import DB            # run the import job
    python tests/diagnosis/sqlite_import_probe.py intake DB STOPFILE   # log tickets until STOPFILE exists

Each step prints one line of JSON. Intake waits for SQLite's write lock at most BUSY_TIMEOUT seconds (the
product waits 20): longer than that, and the ticket fails with "database is locked".
"""

import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BUSY_TIMEOUT = 2  # seconds
OWNER, MANAGER = "probe-tech", "probe-manager"


def setup_django(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "toolkit.settings_test"
    sys.path.insert(0, str(ROOT))
    from django.conf import settings

    settings.DATABASES["default"].setdefault("OPTIONS", {})["timeout"] = BUSY_TIMEOUT
    settings.MEDIA_ROOT = str(database.parent / "media")

    import django

    django.setup()


def setup(database: Path, rows: int) -> dict:
    from django.core.management import call_command

    from tests.diagnosis.layout import EN_HEADERS
    from tests.diagnosis.test_imports import good_row, xlsx_bytes
    from tests.factories import UserFactory

    call_command("migrate", verbosity=0)
    UserFactory(username=MANAGER, role="manager")
    UserFactory(username=OWNER, role="engineer")
    recorded = time.strftime("%Y-%m-%d %H:%M", time.localtime(time.time() - 3600))
    table = [
        good_row(customer=f"客户{n % 50}", description=f"问题{n}", owner=OWNER, recorded_at=recorded)
        for n in range(rows)
    ]
    (database.parent / "probe.xlsx").write_bytes(xlsx_bytes(table, headers=EN_HEADERS))
    return {"ready": True}


def run_import(database: Path) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile

    from diagnosis.imports import import_job_start
    from jobs import services as jobs

    jobs.job_enqueue = lambda **kwargs: True  # no broker here: the job is run just below, as a worker would
    manager = get_user_model().objects.get(username=MANAGER)
    upload = SimpleUploadedFile("probe.xlsx", (database.parent / "probe.xlsx").read_bytes())
    job = import_job_start(upload=upload, user=manager)
    started = time.perf_counter()
    jobs.job_run(job_id=job.pk)
    job.refresh_from_db()
    return {"state": job.state, "report": job.report, "seconds": time.perf_counter() - started}


def run_intake(database: Path, stop: Path) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import DatabaseError, transaction
    from django.utils import timezone

    from toolkit import services

    owner = get_user_model().objects.get(username=OWNER)
    latencies, errors = [], []
    deadline = time.monotonic() + 300
    while not stop.exists() and time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            with transaction.atomic():  # as the intake page: customer, contact and ticket in one
                customer = services.customer_get_or_create(name="值班客户")
                contact = services.contact_get_or_create(customer=customer, name="王女士")
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
            errors.append(str(error))
        latencies.append(time.perf_counter() - started)
        time.sleep(0.1)
    return {"tickets": len(latencies) - len(errors), "errors": errors, "slowest": max(latencies, default=0)}


def main() -> None:
    step, database = sys.argv[1], Path(sys.argv[2])
    setup_django(database)
    if step == "setup":
        result = setup(database, int(sys.argv[3]))
    elif step == "import":
        result = run_import(database)
    else:
        result = run_intake(database, Path(sys.argv[3]))
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
