"""Large exports as background jobs: above EXPORT_INLINE_MAX_ROWS the export answers 303 to
/exports/<id>/ (progress, then a download link), the file is the requester's alone, expires with the
job, and an attempt cut short by a dead worker leaves one file and one log entry, not two."""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from openpyxl import load_workbook

from jobs.models import Job, JobState
from jobs.services import JobAlreadyFinished, job_claim, job_run, jobs_housekeeping
from tests.factories import TicketFactory, UserFactory
from toolkit.models import ExportLog

EXPORT_URL = reverse("diagnosis:export")


@pytest.fixture(autouse=True)
def _small_threshold(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EXPORT_INLINE_MAX_ROWS = 3


@pytest.fixture
def tickets(db):
    return [TicketFactory(priority="P1", contact_details="13812345678") for _ in range(4)]


def _rows(response) -> list[tuple]:
    # Read to the end: the test client then closes the file itself (closing the response again would
    # send another request_finished, which closes the test's database connection on PostgreSQL).
    content = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(workbook.active.iter_rows(min_row=3, values_only=True))
    workbook.close()
    return rows


def _start(client, django_capture_on_commit_callbacks, query="") -> Job:
    """The export as the browser asks for it; the job's message is run here as the worker would."""
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(f"{EXPORT_URL}{query}")
    assert response.status_code == 303
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:export_detail", args=[job.pk])
    assert callbacks, "the job is queued once the request has committed"
    return job


def test_up_to_the_threshold_the_file_comes_at_once(manager_client, tickets):
    response = manager_client.get(f"{EXPORT_URL}?priority=P1&customer={tickets[0].customer_id}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert len(_rows(response)) == 1
    assert not Job.objects.exists()


def test_above_it_a_job_writes_the_file_and_the_requester_downloads_it(
    manager_client, tickets, django_capture_on_commit_callbacks
):
    job = _start(manager_client, django_capture_on_commit_callbacks, "?priority=P1")
    page = manager_client.get(reverse("jobs:export_detail", args=[job.pk])).content.decode()
    assert "export-done" not in page
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.report["rows"], job.progress_done, job.progress_total) == (JobState.DONE, 4, 4, 4)
    page = manager_client.get(reverse("jobs:export_detail", args=[job.pk])).content.decode()
    assert reverse("jobs:export_download", args=[job.pk]) in page
    download = manager_client.get(reverse("jobs:export_download", args=[job.pk]))
    assert download.status_code == 200
    rows = _rows(download)
    assert sorted(row[1] for row in rows) == sorted(ticket.number for ticket in tickets)
    log = ExportLog.objects.get()
    assert (log.row_count, log.query_string, log.contact_details_masked) == (4, "priority=P1", False)


def test_nobody_else_sees_the_job_or_its_file(
    client, manager_client, tickets, django_capture_on_commit_callbacks
):
    job = _start(manager_client, django_capture_on_commit_callbacks)
    job_run(job_id=job.pk)
    for other in (UserFactory(username="other", role="manager"), UserFactory(username="root", role="admin")):
        client.force_login(other)
        assert client.get(reverse("jobs:export_detail", args=[job.pk])).status_code == 404
        assert client.get(reverse("jobs:export_download", args=[job.pk])).status_code == 404


def test_an_engineers_export_job_masks_contact_details(
    engineer_client, tickets, django_capture_on_commit_callbacks
):
    job = _start(engineer_client, django_capture_on_commit_callbacks)
    job_run(job_id=job.pk)
    rows = _rows(engineer_client.get(reverse("jobs:export_download", args=[job.pk])))
    assert {row[4] for row in rows} == {"138****5678"}
    assert ExportLog.objects.get().contact_details_masked


def test_the_file_expires_with_the_job(manager_client, tickets, django_capture_on_commit_callbacks):
    job = _start(manager_client, django_capture_on_commit_callbacks)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    name = job.result.name
    assert default_storage.exists(name)
    jobs_housekeeping(now=job.expires_at - timedelta(minutes=1))
    assert default_storage.exists(name)
    jobs_housekeeping(now=job.expires_at + timedelta(minutes=1))
    assert not default_storage.exists(name) and not Job.objects.exists()
    assert manager_client.get(reverse("jobs:export_download", args=[job.pk])).status_code == 404


def test_an_attempt_cut_short_is_run_again_and_leaves_one_file(
    manager_client, tickets, django_capture_on_commit_callbacks
):
    job = _start(manager_client, django_capture_on_commit_callbacks)
    slow = job_claim(job_id=job.pk)  # the first attempt: its worker dies (or is slow) while writing
    job_run(job_id=job.pk)  # the message handed out again: a second attempt takes the job over
    from diagnosis.exports import export_job_run

    with pytest.raises(JobAlreadyFinished):
        export_job_run(slow)  # the first attempt wakes up: its file is removed, nothing recorded
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert ExportLog.objects.count() == 1
    _dirs, files = default_storage.listdir(job.result.name.rsplit("/", 1)[0])
    assert files == [job.result.name.rsplit("/", 1)[1]]


def test_bad_filters_are_refused_before_any_job(manager_client, tickets):
    response = manager_client.get(f"{EXPORT_URL}?priority=P9")
    assert response.status_code == 400 or "P9" in response.content.decode()
    assert not Job.objects.exists()
