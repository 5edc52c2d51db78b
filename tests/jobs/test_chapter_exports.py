"""Every chapter's export, not only the diagnosis table's, runs as a background job above
EXPORT_INLINE_MAX_ROWS: 303 to /exports/<id>/, the worker writes the file, the requester alone downloads
it (anyone else, admins included, gets 404), it expires, and an attempt taken over mid-way leaves one
file and one export log row. The chapters register their exports in jobs.registry from ready()."""

import io
from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse
from openpyxl import load_workbook

from jobs.exports import export_job_run
from jobs.models import Job, JobKind, JobState
from jobs.registry import exporters
from jobs.services import JobAlreadyFinished, job_claim, job_run, jobs_housekeeping
from tests.factories import TicketFactory, UserFactory
from tests.requirements_analysis.factories import RequirementItemFactory
from tests.solutions.factories import SolutionOptionFactory
from tests.tracking.factories import TaskFactory
from toolkit.models import ExportLog

pytestmark = pytest.mark.django_db


def _requirements():
    ticket = TicketFactory()
    RequirementItemFactory(ticket=ticket, summary="=导出需求一")
    RequirementItemFactory(ticket=ticket, summary="导出需求二")
    return reverse("requirements_analysis:export", args=[ticket.number]), "requirements", 2


def _solutions():
    ticket = TicketFactory(stage="design")
    SolutionOptionFactory(ticket=ticket)
    SolutionOptionFactory(ticket=ticket)
    return reverse("solutions:export", args=[ticket.number]), "solutions", 2


def _tracking_plan():
    ticket = TicketFactory(stage="implementation")
    for _ in range(3):
        TaskFactory(ticket=ticket)
    return reverse("tracking:export", args=[ticket.number]), "tracking", 3


def _tracking_weekly():
    for _ in range(2):
        TaskFactory()  # each on a ticket in implementation
    return f"{reverse('tracking:weekly_export')}?week=2026-W23", "tracking_weekly", 2


def _evaluation_ticket():
    ticket = TicketFactory(stage="evaluation")
    return reverse("evaluation:ticket_export", args=[ticket.number]), "evaluation", 1


CHAPTERS = {
    "requirements_analysis.table": _requirements,
    "solutions.comparison": _solutions,
    "tracking.plan": _tracking_plan,
    "tracking.weekly": _tracking_weekly,
    "evaluation.ticket": _evaluation_ticket,
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(params=sorted(CHAPTERS))
def export(request, settings):
    """(url, ExportLog table, rows) of one chapter's export, with the threshold below its row count."""
    settings.EXPORT_INLINE_MAX_ROWS = 0
    return CHAPTERS[request.param]()


def _rows(response) -> list[tuple]:
    content = b"".join(response.streaming_content)
    workbook = load_workbook(io.BytesIO(content), read_only=True)
    rows = list(workbook.active.iter_rows(min_row=3, values_only=True))
    workbook.close()
    return rows


def _start(client, url, django_capture_on_commit_callbacks) -> Job:
    with django_capture_on_commit_callbacks() as callbacks:
        response = client.get(url)
    assert response.status_code == 303
    job = Job.objects.get()
    assert response["Location"] == reverse("jobs:export_detail", args=[job.pk])
    assert job.kind == JobKind.EXPORT and job.state == JobState.QUEUED
    assert callbacks, "queued once the request has committed"
    return job


def test_every_chapter_registers_its_exports():
    assert set(CHAPTERS) | {"evaluation.month"} <= set(exporters())


def test_above_the_threshold_a_job_writes_the_file_for_the_requester_only(
    client, manager, manager_client, export, django_capture_on_commit_callbacks
):
    url, table, count = export
    job = _start(manager_client, url, django_capture_on_commit_callbacks)
    page = manager_client.get(reverse("jobs:export_detail", args=[job.pk]))
    assert page.status_code == 200 and "export-done" not in page.content.decode()
    assert not ExportLog.objects.exists()  # logged when the file exists, not before

    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert (job.state, job.report["rows"], job.progress_done, job.progress_total) == (
        JobState.DONE, count, count, count
    )  # fmt: skip
    page = manager_client.get(reverse("jobs:export_detail", args=[job.pk])).content.decode()
    assert reverse("jobs:export_download", args=[job.pk]) in page
    assert job.options["back_url"] in page
    download = manager_client.get(reverse("jobs:export_download", args=[job.pk]))
    assert download.status_code == 200
    assert len(_rows(download)) == count
    assert download["Content-Disposition"].startswith("attachment")
    log = ExportLog.objects.get()
    assert (log.table, log.row_count, log.user_id) == (table, count, manager.pk)

    for other in (UserFactory(username="other", role="manager"), UserFactory(username="root", role="admin")):
        client.force_login(other)
        assert client.get(reverse("jobs:export_detail", args=[job.pk])).status_code == 404
        assert client.get(reverse("jobs:export_download", args=[job.pk])).status_code == 404


def test_at_or_below_the_threshold_the_file_comes_at_once(manager_client, export, settings):
    url, table, count = export
    settings.EXPORT_INLINE_MAX_ROWS = count
    response = manager_client.get(url)
    assert response.status_code == 200
    assert len(_rows(response)) == count
    assert not Job.objects.exists()
    assert ExportLog.objects.get().table == table


def test_an_attempt_taken_over_leaves_one_file_and_one_log(
    manager_client, export, django_capture_on_commit_callbacks
):
    job = _start(manager_client, export[0], django_capture_on_commit_callbacks)
    slow = job_claim(job_id=job.pk)  # the first attempt: its worker is killed (or stalls) while writing
    job_run(job_id=job.pk)  # the message delivered again after the restart: a second attempt finishes
    with pytest.raises(JobAlreadyFinished):
        export_job_run(slow)  # the first attempt wakes up: its file removed, nothing recorded
    job.refresh_from_db()
    assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert ExportLog.objects.count() == 1
    folder, name = job.result.name.rsplit("/", 1)
    assert default_storage.listdir(folder)[1] == [name]
    job_run(job_id=job.pk)  # yet another delivery: nothing more happens
    assert ExportLog.objects.count() == 1 and default_storage.listdir(folder)[1] == [name]


def test_the_file_expires_with_the_job(manager_client, export, django_capture_on_commit_callbacks, settings):
    settings.EXPORT_RETENTION_HOURS = 2
    job = _start(manager_client, export[0], django_capture_on_commit_callbacks)
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert abs(job.expires_at - job.created_at - timedelta(hours=2)) < timedelta(seconds=5)
    name = job.result.name
    jobs_housekeeping(now=job.expires_at - timedelta(minutes=1))
    assert default_storage.exists(name)
    jobs_housekeeping(now=job.expires_at + timedelta(minutes=1))
    assert not default_storage.exists(name) and not Job.objects.exists()
    assert manager_client.get(reverse("jobs:export_download", args=[job.pk])).status_code == 404


def test_a_ticket_gone_before_the_worker_runs_fails_the_job_with_a_message(
    manager_client, settings, django_capture_on_commit_callbacks
):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    url, _table, _count = _requirements()
    job = _start(manager_client, url, django_capture_on_commit_callbacks)
    from toolkit.models import Ticket

    Ticket.objects.filter(number=job.options["params"]["ticket"]).delete()
    job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == JobState.FAILED and job.report["error"]
    assert not job.result and not ExportLog.objects.exists()
    page = manager_client.get(reverse("jobs:export_detail", args=[job.pk])).content.decode()
    assert job.report["error"] in page


def test_an_unknown_ticket_is_a_404_not_a_job(manager_client, settings):
    settings.EXPORT_INLINE_MAX_ROWS = 0
    assert manager_client.get(reverse("requirements_analysis:export", args=["TS-NOPE"])).status_code == 404
    assert not Job.objects.exists()
