"""Writes to background jobs: create and queue, claim, report progress, finish, clean up.

Exactly once comes from the database, not from the broker: a job's effects and its move to "done" are
written in one transaction that first locks the job and checks it is still running (job_lock_running).
A message delivered again after a worker died, or queued twice by the periodic re-queue, finds the job
done and does nothing; an attempt that died mid-way rolled back everything, so the next one starts over.
"""

import contextlib
import logging
import uuid
from datetime import timedelta
from pathlib import PurePath

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone, translation
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError as BrokerError

from .models import Job, JobKind, JobState

logger = logging.getLogger(__name__)

# What runs each kind: a function taking the claimed job. It writes its effects in one transaction that
# starts with job_lock_running(job) and ends with job_finish(job, ...), or calls job_fail(job, ...).
RUNNERS: dict[str, str] = {
    JobKind.TICKET_IMPORT: "diagnosis.imports.import_job_run",
}
# A job still queued after this long lost its message (broker down at the time, queue purged): queue again.
REQUEUE_AFTER = timedelta(minutes=2)
# Attempts before a job that keeps dying (its worker killed each time) is given up.
MAX_ATTEMPTS = 3


class JobAlreadyFinished(Exception):
    """Another attempt finished this job first: roll back this attempt's effects."""


def job_create(*, kind: str, requester, upload=None, options: dict | None = None) -> Job:
    """Store the uploaded file, record the job, and queue it once the transaction has committed."""
    job = Job(
        kind=kind,
        requester=requester,
        options=options or {},
        language=translation.get_language() or settings.LANGUAGE_CODE,
        expires_at=timezone.now() + timedelta(hours=settings.JOB_RETENTION_HOURS),
    )
    if upload is not None:
        # A name of our own: the user's file name says nothing the storage needs to know.
        suffix = PurePath(upload.name or "").suffix.lower()[:10]
        job.upload.save(f"{uuid.uuid4().hex}{suffix}", upload, save=False)
    job.save()
    transaction.on_commit(lambda: job_enqueue(job_id=job.pk))
    return job


def job_enqueue(*, job_id: int) -> bool:
    """Send the job to a worker. A broker that is down is logged, not raised: the periodic re-queue
    sends the job again later, so the page that created it never fails because of the broker."""
    from .tasks import job_run_task

    try:
        job_run_task.delay(job_id)
    except (BrokerError, OSError) as error:
        logger.warning("Job %s: broker unreachable, it will be queued again later (%s)", job_id, error)
        return False
    return True


def job_claim(*, job_id: int) -> Job | None:
    """Mark the job running for this attempt; None when there is nothing to do (gone or finished).

    A job found running is claimed again: its earlier attempt died (a worker killed mid-way) and rolled
    back, or is still alive, in which case whichever attempt commits first wins (job_lock_running).
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
            return None
        if job.attempts >= MAX_ATTEMPTS:
            job.state, job.finished_at = JobState.FAILED, timezone.now()
            with translation.override(job.language or settings.LANGUAGE_CODE):
                job.report = {"error": _("The job stopped unexpectedly several times and was given up.")}
            job.save(update_fields=["state", "finished_at", "report"])
            return None
        job.state, job.started_at = JobState.RUNNING, timezone.now()
        job.attempts += 1
        job.progress_done = 0
        job.save(update_fields=["state", "started_at", "attempts", "progress_done"])
    return job


def job_progress(job: Job, *, done: int, total: int | None = None) -> None:
    """Record progress for the page (outside the job's write transaction, so that it shows at once)."""
    changes = {"progress_done": done}
    if total is not None:
        changes["progress_total"] = total
    Job.objects.filter(pk=job.pk, state=JobState.RUNNING).update(**changes)


def job_lock_running(job: Job) -> None:
    """First thing in the transaction that writes the job's effects: lock the job and check that no
    other attempt finished it meanwhile (that attempt's effects are committed: this one must not repeat
    them). Raises JobAlreadyFinished."""
    state = Job.objects.select_for_update().filter(pk=job.pk).values_list("state", flat=True).first()
    if state != JobState.RUNNING:
        raise JobAlreadyFinished(job.pk)


def job_finish(job: Job, *, report: dict, state: str = JobState.DONE) -> Job:
    """Record the outcome. For a job with effects, call it inside their transaction, after
    job_lock_running. The uploaded file is deleted once this commits: the job no longer needs it."""
    job.state, job.report, job.finished_at = state, report, timezone.now()
    job.progress_done = job.progress_total
    upload_name, job.upload = job.upload.name, ""
    Job.objects.filter(pk=job.pk).update(
        state=job.state,
        report=job.report,
        finished_at=job.finished_at,
        progress_done=F("progress_total"),
        upload="",
    )
    if upload_name:
        transaction.on_commit(lambda: _delete_file(upload_name))
    return job


def job_fail(job: Job, *, report: dict) -> Job:
    """The job ends without effects (refused input, or an error): record why."""
    with transaction.atomic():
        job_lock_running(job)
        return job_finish(job, report=report, state=JobState.FAILED)


def job_run(*, job_id: int) -> None:
    """Claim the job and run its kind's runner in the requester's language."""
    job = job_claim(job_id=job_id)
    if job is None:
        return
    runner = import_string(RUNNERS[job.kind])
    with translation.override(job.language or settings.LANGUAGE_CODE):
        try:
            runner(job)
        except JobAlreadyFinished:
            logger.info("Job %s was finished by another attempt; this one changed nothing", job.pk)
        except Exception:
            logger.exception("Job %s failed", job.pk)
            message = _("The job failed with an unexpected error. Nothing was changed.")
            with contextlib.suppress(JobAlreadyFinished):
                job_fail(job, report={"error": message})
            raise


def _delete_file(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("Could not delete job file %s; the periodic clean-up tries again", name)


def jobs_housekeeping(*, now=None) -> int:
    """Periodic (settings.PERIODIC_SCANS): delete expired jobs with their files, and queue again the
    jobs whose message was lost. Returns how many jobs it deleted or queued."""
    now = now or timezone.now()
    expired = list(Job.objects.filter(expires_at__lte=now).values_list("pk", "upload", "result")[:500])
    for _pk, *names in expired:
        for name in names:
            if name:
                _delete_file(name)
    Job.objects.filter(pk__in=[pk for pk, *_names in expired]).delete()
    time_limit = timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
    stale = list(
        Job.objects.filter(
            Q(state=JobState.QUEUED, created_at__lte=now - REQUEUE_AFTER)
            | Q(state=JobState.RUNNING, started_at__lte=now - time_limit - REQUEUE_AFTER)
        ).values_list("pk", flat=True)[:100]
    )
    for job_id in stale:
        job_enqueue(job_id=job_id)
    return len(expired) + len(stale)
