"""Excel import as a background job: oversized sheets refused without reading them, progress and report
on /imports/<id>/ for the requester only, exactly once, fast bulk saves that never collide with intake,
and closed history that rings no SLA reminder."""

import io
import json
import subprocess
import sys
import threading
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.urls import resolve, reverse
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.worksheet._reader import WorkSheetParser

from diagnosis import imports, xlsx_reader
from jobs.models import Job, JobState
from jobs.services import MAX_ATTEMPTS, JobAlreadyFinished, job_claim, job_run
from knowledge.models import TicketSearchDoc
from tests.diagnosis.layout import EN_HEADERS, ZH_HEADERS
from tests.diagnosis.test_imports import good_row, upload, xlsx_bytes
from tests.factories import UserFactory
from tests.toolkit.test_worker import redis_queue, wait_for, worker_in_thread  # noqa: F401 - fixture
from toolkit import services
from toolkit.choices import Priority, ProblemType, SlaTargetKind, Source, Stage
from toolkit.models import Contact, Customer, Reminder, StageChange, Ticket, TicketSla

IMPORT_URL = reverse("diagnosis:import")
ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def owners(db):
    return (
        UserFactory(username="tech", first_name="*", last_name="", job_title="技术工程师", role="engineer"),
        UserFactory(username="net", first_name="*", last_name="", job_title="网络工程师", role="engineer"),
    )


@pytest.fixture
def rows_parsed(monkeypatch):
    """How many sheet rows are parsed (openpyxl's row parser and the import's values-only one, counted;
    they still do the work)."""
    counter = {"rows": 0}
    for parser in (WorkSheetParser, xlsx_reader._ValuesParser):
        parse_row = parser.parse_row

        def counting(self, row, parse_row=parse_row):
            counter["rows"] += 1
            return parse_row(self, row)

        monkeypatch.setattr(parser, "parse_row", counting)
    return counter


def blank_numbered_rows_workbook(rows: int, *, declare: bool) -> bytes:
    """A real workbook (title, header) followed by `rows` rows holding nothing but their 序号: the shape
    of the 1 MB file of 15 million such rows. `declare`: whether the sheet states its dimension."""
    workbook = Workbook()
    workbook.active.append(["技术服务问题快速诊断表"])
    workbook.active.append(ZH_HEADERS)
    buffer = io.BytesIO()
    workbook.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != "xl/worksheets/sheet1.xml":
                target.writestr(item, source.read(item.filename))
                continue
            with target.open(item.filename, "w") as sheet:
                sheet.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
                if declare:
                    sheet.write(f'<dimension ref="A1:O{rows + 2}"/>'.encode())
                sheet.write(
                    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>T</t></is></c></row><row r="2">'
                )
                for index, header in enumerate(ZH_HEADERS):
                    sheet.write(
                        f'<c r="{chr(65 + index)}2" t="inlineStr"><is><t>{header}</t></is></c>'.encode()
                    )
                sheet.write(b"</row>")
                for start in range(3, rows + 3, 10_000):
                    chunk = range(start, min(start + 10_000, rows + 3))
                    sheet.write(
                        "".join(f'<row r="{n}"><c r="A{n}"><v>{n - 2}</v></c></row>' for n in chunk).encode()
                    )
                sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def post(client, content, *, rows_are="auto", language="en"):
    client.cookies["django_language"] = language
    return client.post(IMPORT_URL, {"file": upload(content), "rows_are": rows_are})


def job_from(response) -> Job:
    assert response.status_code == 303, response.content.decode()[:2000]
    return Job.objects.get(pk=resolve(response["Location"]).kwargs["pk"])


def import_now(client, content, **kwargs) -> Job:
    """Upload, then run the job here as the worker would (the test's transaction never commits)."""
    job = job_from(post(client, content, **kwargs))
    job_run(job_id=job.pk)
    job.refresh_from_db()
    return job


def recent(minutes_ago: int) -> str:
    return timezone.localtime(timezone.now() - timedelta(minutes=minutes_ago)).strftime("%Y-%m-%d %H:%M")


# --- oversized sheets -----------------------------------------------------------------------------


def test_a_sheet_declaring_too_many_rows_is_refused_at_upload_unread(
    manager_client, owners, settings, rows_parsed
):
    settings.TICKET_IMPORT_MAX_ROWS = 1_000
    content = blank_numbered_rows_workbook(200_000, declare=True)
    response = post(manager_client, content)
    assert response.status_code == 400
    assert response.context["form"].errors["file"] == [
        "The sheet has more than 1000 rows below its header; split it into smaller files."
    ]
    assert rows_parsed["rows"] == 0
    assert not Job.objects.exists()


def test_a_sheet_of_blank_numbered_rows_without_its_size_is_read_only_to_the_row_limit(
    manager_client, owners, settings, rows_parsed
):
    """openpyxl sizes a sheet without <dimension> by parsing all of it when the workbook is opened:
    the import must never let it, nor read past the limit itself."""
    settings.TICKET_IMPORT_MAX_ROWS = 1_000
    content = blank_numbered_rows_workbook(200_000, declare=False)
    job = import_now(manager_client, content)
    assert job.state == JobState.FAILED
    assert job.report["errors"] == [
        {
            "row": None,
            "message": "The sheet has more than 1000 rows below its header; split it into smaller files.",
        }
    ]
    # The limit, the one row past it, and the title and header (read twice: to find them, then skipped).
    assert rows_parsed["rows"] <= 1_000 + 10
    assert not Ticket.objects.exists()


# --- the job: progress, report, access ----------------------------------------------------------------


def test_an_import_runs_as_a_job_with_progress_then_its_report(manager_client, manager, owners, monkeypatch):
    rows = [
        good_row(description=f"问题{index}", recorded_at=recent(5), occurred_at=recent(6))
        for index in range(2500)
    ]
    response = post(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))
    job = job_from(response)
    assert response["Location"] == f"/imports/{job.pk}/"
    assert not Ticket.objects.exists()  # nothing done in the request

    page = manager_client.get(response["Location"])
    assert page.status_code == 200
    assert "Waiting for a worker" in page.content.decode()
    assert 'hx-trigger="every 1s"' in page.content.decode()  # the page polls while the job is not done

    seen = []
    monkeypatch.setattr(imports._Progress, "INTERVAL", 0)
    original = imports.job_progress

    def record(job, *, done, total=None):
        original(job, done=done, total=total)
        job.refresh_from_db()
        seen.append((job.state, job.progress_done, job.progress_total))

    monkeypatch.setattr(imports, "job_progress", record)
    job_run(job_id=job.pk)

    assert seen == [
        (JobState.RUNNING, 0, 2500),
        (JobState.RUNNING, 1000, 2500),
        (JobState.RUNNING, 2000, 2500),
        (JobState.RUNNING, 2500, 2500),
    ]
    job.refresh_from_db()
    assert (job.state, job.progress_done, job.progress_total) == (JobState.DONE, 2500, 2500)
    assert job.report["created"] == 2500 and job.report["closed_history"] == 0
    assert job.upload.name == ""  # the uploaded file is gone once the job is done
    fragment = manager_client.get(response["Location"], headers={"HX-Request": "true"})
    html = fragment.content.decode()
    assert "hx-trigger" not in html  # finished: polling stops
    assert "Tickets imported: 2,500." in html
    first = Ticket.objects.order_by("number").first()
    assert f'href="{first.get_absolute_url()}"' in html
    assert Ticket.objects.count() == 2500


def test_only_the_requester_and_admins_see_an_import(client, manager, owners, admin_user, engineer):
    client.force_login(manager)
    job = job_from(post(client, xlsx_bytes([good_row()], headers=EN_HEADERS)))
    url = f"/imports/{job.pk}/"
    other_manager = UserFactory(username="other", role="manager")
    for user, status in ((other_manager, 404), (engineer, 404), (admin_user, 200), (manager, 200)):
        client.force_login(user)
        assert client.get(url).status_code == status, user
    client.logout()
    assert client.get(url).status_code == 302  # to the login page
    assert client.get("/imports/999999/").status_code == 302


def test_a_bad_row_imports_nothing_and_the_report_lists_it(manager_client, owners):
    rows = [good_row(customer="新客户甲"), good_row(customer="新客户乙", priority="P9")]
    job = import_now(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))
    assert job.state == JobState.FAILED
    assert job.report["errors"] == [
        {"row": 4, "message": "Priority: “P9” is not a priority (P0, P1, P2 or P3)."}
    ]
    page = manager_client.get(f"/imports/{job.pk}/").content.decode()
    assert "Row 4: Priority:" in page
    assert not Ticket.objects.exists() and not Customer.objects.exists()


def test_a_failure_while_saving_keeps_nothing(manager_client, owners, monkeypatch):
    def refuse(tickets):
        raise DatabaseError("disk full")

    monkeypatch.setattr(imports, "tickets_index", refuse)  # the last write of the save
    rows = [good_row(customer=f"新客户{index}") for index in range(30)]
    job = import_now(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))
    assert job.state == JobState.FAILED
    assert job.report["errors"][0]["message"].startswith("Could not save")
    assert (
        Ticket.objects.count(),
        Customer.objects.count(),
        Contact.objects.count(),
        TicketSla.objects.count(),
    ) == (
        0,
        0,
        0,
        0,
    )


def test_a_job_delivered_again_imports_once(manager_client, owners):
    job = import_now(manager_client, xlsx_bytes([good_row(), good_row()], headers=EN_HEADERS))
    assert job.state == JobState.DONE
    job_run(job_id=job.pk)  # the same message again (acks late after a worker restart)
    assert Ticket.objects.count() == 2


def test_a_job_whose_worker_died_is_picked_up_again_and_imports_once(manager_client, owners):
    job = job_from(post(manager_client, xlsx_bytes([good_row(), good_row()], headers=EN_HEADERS)))
    assert job_claim(job_id=job.pk).state == JobState.RUNNING  # the first attempt, killed before committing
    job_run(job_id=job.pk)  # the message handed out again
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert Ticket.objects.count() == 2


def test_an_attempt_that_finds_the_job_finished_keeps_nothing(manager_client, owners):
    """Two attempts at once: the one reaching its save second sees the job done and writes nothing."""
    job = job_from(post(manager_client, xlsx_bytes([good_row()], headers=EN_HEADERS)))
    slow = job_claim(job_id=job.pk)  # one attempt, still reading
    job_run(job_id=job.pk)  # another (the message handed out again) claims it and finishes first
    with pytest.raises(JobAlreadyFinished):
        imports.import_job_run(slow)
    assert Ticket.objects.count() == 1


# --- history rows and the SLA engine -----------------------------------------------------------------


def test_old_rows_are_closed_history_and_ring_no_reminder(manager_client, owners, mailoutbox):
    old = timezone.localtime(timezone.now() - timedelta(days=60)).strftime("%Y-%m-%d %H:%M")
    rows = [
        good_row(customer=f"客户{index}", priority="P0", occurred_at=old, recorded_at=old)
        for index in range(20)
    ]
    job = import_now(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))
    assert job.report["closed_history"] == 20
    assert set(Ticket.objects.values_list("stage", flat=True)) == {Stage.CLOSED}
    assert not TicketSla.objects.filter(met_at__isnull=True).exists()
    assert not TicketSla.objects.filter(next_check_at__isnull=False).exists()
    change = StageChange.objects.first()
    assert (change.to_stage, change.changed_at) == (
        Stage.CLOSED,
        Ticket.objects.get(pk=change.ticket_id).recorded_at,
    )
    call_command("check_sla", stdout=io.StringIO())
    assert not Reminder.objects.exists()
    assert mailoutbox == []


def test_rows_said_to_be_history_are_closed_even_when_recent(manager_client, owners):
    rows = [good_row(priority="P0", occurred_at=recent(300), recorded_at=recent(299))]
    job = import_now(manager_client, xlsx_bytes(rows, headers=EN_HEADERS), rows_are="history")
    assert job.report["closed_history"] == 1
    call_command("check_sla", stdout=io.StringIO())
    assert Ticket.objects.get().stage == Stage.CLOSED
    assert not Reminder.objects.exists()


def test_rows_said_to_be_open_keep_their_clocks(manager_client, owners):
    """The contrast: an overdue open P0 does ring (so the scan above had something to find)."""
    rows = [good_row(priority="P0", occurred_at=recent(300), recorded_at=recent(299))]
    import_now(manager_client, xlsx_bytes(rows, headers=EN_HEADERS), rows_are="open")
    call_command("check_sla", stdout=io.StringIO())
    assert Ticket.objects.get().stage == Stage.NEW
    assert Reminder.objects.filter(threshold=100).exists()


def test_a_stage_column_decides_for_its_rows(manager_client, owners):
    headers = [*EN_HEADERS, "Stage"]
    rows = [
        [*good_row(recorded_at=recent(10), occurred_at=recent(11)), "Closed"],
        [*good_row(recorded_at=recent(10), occurred_at=recent(11)), "诊断"],
        [*good_row(recorded_at=recent(10), occurred_at=recent(11)), None],
    ]
    job = import_now(manager_client, xlsx_bytes(rows, headers=headers), rows_are="open")
    assert job.state == JobState.DONE, job.report
    assert list(Ticket.objects.order_by("number").values_list("stage", flat=True)) == [
        Stage.CLOSED,
        Stage.DIAGNOSIS,
        Stage.NEW,
    ]
    response = TicketSla.objects.get(ticket__stage=Stage.DIAGNOSIS, target=SlaTargetKind.RESPONSE)
    assert response.met_at is not None  # worked already: first response met


# --- a save in chunks: all or nothing all the same ------------------------------------------------


def _fail_on_call(number, original, error):
    """tickets_index (the last write of each chunk) failing on its `number`th call."""
    calls = []

    def index(tickets):
        calls.append(len(tickets))
        if len(calls) == number:
            raise error
        original(tickets)

    return index, calls


def _nothing_left(*, customers_before=0, contacts_before=0):
    assert Ticket.objects.count() == 0
    assert Ticket.history.count() == 0
    assert (TicketSla.objects.count(), StageChange.objects.count(), TicketSearchDoc.objects.count()) == (
        0,
        0,
        0,
    )
    assert (Customer.objects.count(), Contact.objects.count()) == (customers_before, contacts_before)
    assert Customer.history.count() == customers_before and Contact.history.count() == contacts_before


def test_a_failure_in_a_late_chunk_removes_what_the_earlier_chunks_wrote(manager_client, owners, monkeypatch):
    """Each chunk commits on its own (SQLite's writer lock is held a chunk at a time); when the third
    fails, the two before it are deleted: customers, contacts, tickets, history, targets, stage changes
    and search documents. A customer and contact that were there before stay."""
    existing = services.customer_get_or_create(name="老客户")
    services.contact_get_or_create(customer=existing, name="*女士")
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    index, calls = _fail_on_call(3, imports.tickets_index, DatabaseError("server closed the connection"))
    monkeypatch.setattr(imports, "tickets_index", index)
    old = timezone.localtime(timezone.now() - timedelta(days=60)).strftime("%Y-%m-%d %H:%M")
    rows = [
        good_row(customer="老客户" if n % 5 == 0 else f"新客户{n % 7}", recorded_at=old if n % 2 else None)
        for n in range(30)
    ]
    job = import_now(manager_client, xlsx_bytes(rows, headers=EN_HEADERS))
    assert calls == [10, 10, 10]
    assert job.state == JobState.FAILED
    assert job.report["errors"] == [
        {"row": None, "message": "Could not save: the database refused the data. Nothing was imported."}
    ]
    _nothing_left(customers_before=1, contacts_before=1)


def test_an_unexpected_error_in_a_late_chunk_removes_what_was_written_too(
    manager_client, owners, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    index, calls = _fail_on_call(2, imports.tickets_index, RuntimeError("a bug"))
    monkeypatch.setattr(imports, "tickets_index", index)
    job = job_from(post(manager_client, xlsx_bytes([good_row()] * 25, headers=EN_HEADERS)))
    with pytest.raises(RuntimeError):
        job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.report == {"error": "The job failed with an unexpected error. Nothing was changed."}
    _nothing_left()


def test_the_attempt_after_a_worker_died_mid_save_removes_its_chunks_then_imports_once(
    manager_client, owners, monkeypatch
):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    original = imports.tickets_index
    index, _calls = _fail_on_call(3, original, SystemExit(-9))  # the worker killed: no clean-up runs
    monkeypatch.setattr(imports, "tickets_index", index)
    rows = [good_row(customer=f"新客户{n % 4}", description=f"问题{n}") for n in range(30)]
    job = job_from(post(manager_client, xlsx_bytes(rows, headers=EN_HEADERS)))
    with pytest.raises(SystemExit):
        job_run(job_id=job.pk)
    assert Ticket.objects.count() == 20  # two chunks committed, the job still running
    assert Job.objects.get(pk=job.pk).state == JobState.RUNNING

    monkeypatch.setattr(imports, "tickets_index", original)
    job_run(job_id=job.pk)  # the message handed out again
    job.refresh_from_db()
    assert (job.state, job.attempts, job.report["created"]) == (JobState.DONE, 2, 30)
    assert sorted(Ticket.objects.values_list("description", flat=True)) == sorted(
        f"问题{n}" for n in range(30)
    )
    assert Ticket.history.count() == 30 and TicketSla.objects.count() == 60
    assert Customer.objects.count() == 4 and Contact.objects.count() == 4


def test_a_job_given_up_after_its_attempts_died_leaves_nothing(manager_client, owners, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    index, _calls = _fail_on_call(2, imports.tickets_index, SystemExit(-9))
    monkeypatch.setattr(imports, "tickets_index", index)
    job = job_from(post(manager_client, xlsx_bytes([good_row()] * 25, headers=EN_HEADERS)))
    with pytest.raises(SystemExit):
        job_run(job_id=job.pk)
    assert Ticket.objects.count() == 10
    Job.objects.filter(pk=job.pk).update(attempts=MAX_ATTEMPTS)  # it died every time
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED
    assert job.report == {"error": "The job stopped unexpectedly several times and was given up."}
    _nothing_left()


# --- SQLite: intake goes on during an import ------------------------------------------------------


PROBE = Path(__file__).with_name("sqlite_import_probe.py")


def _probe_command(*args) -> list[str]:
    return [sys.executable, str(PROBE), *map(str, args)]  # the probe sets its own database and settings


def _probe(*args, timeout=300):
    """Run a step of the probe in a process of its own; its JSON line."""
    done = subprocess.run(_probe_command(*args), capture_output=True, text=True, timeout=timeout)  # noqa: S603
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_intake_is_not_blocked_on_sqlite_while_a_large_import_runs(tmp_path):
    """SQLite lets one writer at a time. The import writes a chunk of rows per transaction, so a ticket
    logged meanwhile (another process, as the web server is) waits for one chunk at most, never for the
    whole import: with intake willing to wait 2 s for the lock, none fails with "database is locked"
    (the import's former single transaction held the lock for the whole save, seconds for 5,000 rows)."""
    database, stop = tmp_path / "probe.sqlite3", tmp_path / "stop"
    _probe("setup", database, 5000)
    command = _probe_command("intake", database, stop)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as intake:  # noqa: S603
        try:
            imported = _probe("import", database)
        finally:
            stop.touch()
            out, err = intake.communicate(timeout=120)
    assert intake.returncode == 0, err[-3000:]
    logged = json.loads(out.strip().splitlines()[-1])
    assert imported["state"] == JobState.DONE, imported["report"]
    assert imported["report"]["created"] == 5000
    # Intake waits at most 2 s for the lock, then fails with "database is locked": no error is the
    # proof (a wall-clock bound on top would measure the machine's load, not the import).
    assert logged["errors"] == []
    assert logged["tickets"] >= 3  # intake went on meanwhile


# --- concurrency (PostgreSQL: SQLite's in-memory test database is one connection's) -----------------


def _import_in_thread(content, user, results, key):
    try:
        results[key] = imports.import_diagnosis_table(upload=upload(content), user=user)
    finally:
        connection.close()


def _intake_in_thread(owner, stop, numbers):
    try:
        customer = services.customer_get_or_create(name="值班客户")
        contact = services.contact_get_or_create(customer=customer, name="王女士")
        while not stop.is_set():
            ticket = services.ticket_create(
                recorded_by=owner,
                owner=owner,
                customer=customer,
                contact=contact,
                source=Source.PHONE,
                occurred_at=timezone.now(),
                description="导入期间登记",
                problem_type=ProblemType.FUNCTIONAL,
                priority=Priority.P1,
            )
            numbers.append(ticket.number)
    finally:
        connection.close()


@pytest.mark.skipif(not ON_POSTGRESQL, reason="needs PostgreSQL: several connections writing at once")
def test_two_imports_and_intake_at_once_all_succeed_without_a_number_collision(transactional_db):
    manager = UserFactory(username="boss", role="manager")
    owner = UserFactory(
        username="tech", first_name="*", last_name="", job_title="技术工程师", role="engineer"
    )
    now = timezone.localtime()
    rows = [
        good_row(customer=f"共同客户{index % 40}", recorded_at=None, occurred_at=recent(index % 50 + 1))
        for index in range(1500)
    ]
    files = {"a": xlsx_bytes(rows, headers=EN_HEADERS), "b": xlsx_bytes(rows, headers=EN_HEADERS)}
    results, numbers, stop = {}, [], threading.Event()
    intake = threading.Thread(target=_intake_in_thread, args=(owner, stop, numbers))
    intake.start()
    threads = [
        threading.Thread(target=_import_in_thread, args=(files[k], manager, results, k)) for k in files
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    stop.set()
    intake.join(timeout=60)
    assert results["a"].ok and results["b"].ok, (results["a"].errors, results["b"].errors)
    assert numbers  # intake went on meanwhile
    assert Ticket.objects.count() == 3000 + len(numbers)
    assert Customer.objects.filter(name__startswith="共同客户").count() == 40
    today = f"TS-{now:%Y%m%d}-"
    all_numbers = list(Ticket.objects.filter(number__startswith=today).values_list("number", flat=True))
    assert len(all_numbers) == len(set(all_numbers)) == 3000 + len(numbers)


# --- through a real worker (PostgreSQL and Redis, as tests/toolkit/test_worker.py) --------------------


@pytest.mark.skipif(
    not ON_POSTGRESQL, reason="needs PostgreSQL: a worker thread cannot share SQLite's test database"
)
def test_a_worker_runs_the_import_job_sent_by_the_page(transactional_db, client, redis_queue):  # noqa: F811
    manager = UserFactory(username="boss", role="manager")
    UserFactory(username="tech", first_name="*", last_name="", job_title="技术工程师", role="engineer")
    client.force_login(manager)
    rows = [
        good_row(customer=f"客户{index}", recorded_at=recent(5), occurred_at=recent(6)) for index in range(50)
    ]
    with worker_in_thread(redis_queue):
        job = job_from(post(client, xlsx_bytes(rows, headers=EN_HEADERS)))
        wait_for(lambda: Job.objects.get(pk=job.pk).is_finished, timeout=60, message="the import job")
    job.refresh_from_db()
    assert job.state == JobState.DONE, job.report
    assert Ticket.objects.count() == 50
    page = client.get(f"/imports/{job.pk}/").content.decode()
    assert "Tickets imported: 50." in page
