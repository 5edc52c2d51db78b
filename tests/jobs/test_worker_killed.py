"""A real Celery worker process killed in the middle of a large export (PostgreSQL and Redis): after a
new worker starts, the job is delivered again (acks late, Redis visibility timeout) and finishes once —
one file, one export log row — and the requester downloads it."""

import signal

import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.urls import reverse

from jobs.models import Job, JobState
from requirements_analysis.models import RequirementItem
from tests.factories import TicketFactory, UserFactory
from tests.toolkit.test_worker import _start_worker_process, _stop, _wait_until_ready, wait_for
from tests.toolkit.test_worker import redis_queue as redis_queue  # a fixture, used by name
from toolkit.models import ExportLog

ROWS = 30_000


@pytest.fixture
def big_requirement_list(transactional_db):
    ticket = TicketFactory()
    author = UserFactory(username="author", role="engineer")
    RequirementItem.objects.bulk_create(
        RequirementItem(
            ticket=ticket,
            kind="explicit",
            summary=f"需要支持批量导出数据{n}",
            surface_need="需要支持批量导出数据",
            essential_need="月底对账时一次拿到全部订单",
            collection_method="interview",
            source_person="王女士",
            value=3,
            urgency=3,
            effort=3,
            moscow="should",
            position=n,
            created_by=author,
        )
        for n in range(ROWS)
    )
    return ticket


def test_a_worker_killed_mid_export_finishes_it_once_after_restart(
    big_requirement_list, redis_queue, manager, client, settings, tmp_path, monkeypatch,
):  # fmt: skip
    if connection.vendor != "postgresql":
        pytest.skip("the worker process shares the test database: PostgreSQL only")
    settings.MEDIA_ROOT = tmp_path / "media"
    monkeypatch.setenv("MEDIA_ROOT", str(tmp_path / "media"))
    settings.EXPORT_INLINE_MAX_ROWS = 5_000
    client.force_login(manager)
    response = client.get(reverse("requirements_analysis:export", args=[big_requirement_list.number]))
    assert response.status_code == 303
    job = Job.objects.get()

    first = _start_worker_process(redis_queue, tmp_path / "first.log", tmp_path / "mail")
    try:
        _wait_until_ready(first)
        wait_for(
            lambda: Job.objects.filter(pk=job.pk, state=JobState.RUNNING, progress_done__gte=2000).exists(),
            timeout=120,
            message="the export to be under way",
        )
    finally:
        _stop(first, signal.SIGKILL)  # mid-export, as a crash or an OOM kill would
    job.refresh_from_db()
    assert job.state == JobState.RUNNING and job.progress_done < ROWS
    assert not ExportLog.objects.exists()

    second = _start_worker_process(redis_queue, tmp_path / "second.log", tmp_path / "mail")
    try:
        _wait_until_ready(second)
        wait_for(
            lambda: Job.objects.filter(pk=job.pk, state__in=JobState.finished()).exists(),
            timeout=240,
            message="the export to be finished by the new worker",
        )
    finally:
        _stop(second)
    job.refresh_from_db()
    assert (job.state, job.attempts, job.report["rows"]) == (JobState.DONE, 2, ROWS)
    assert ExportLog.objects.get().row_count == ROWS
    folder = job.result.name.rsplit("/", 1)[0]
    assert default_storage.listdir(folder)[1] == [job.result.name.rsplit("/", 1)[1]]
    download = client.get(reverse("jobs:export_download", args=[job.pk]))
    assert download.status_code == 200
    b"".join(download.streaming_content)
