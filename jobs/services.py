"""Writes to background jobs: create and queue, claim, report progress, finish, clean up.

Exactly once comes from the database, not from the broker. Every transaction in which an attempt writes
the job's effects first locks the job and checks that it is still running and still this attempt's
(job_lock_running): a message delivered again after a worker died, or queued twice by the periodic
re-queue, finds the job done and does nothing, and an attempt that was taken over stops at its next
write. A job whose effects fit one transaction ends with the move to "done" in it; one that writes in
several (the Excel import) tags what it writes, and its next attempt — or the give-up after
MAX_ATTEMPTS — first removes what a dead attempt left (UNDO).
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

from .models import Job, JobKind, JobState

logger = logging.getLogger(__name__)

# What runs each kind: a function taking the claimed job. Each transaction in which it writes effects
# starts with job_lock_running(job); the last ends with job_finish(job, ...). Or it calls job_fail(job, ...).
RUNNERS: dict[str, str] = {
    JobKind.TICKET_IMPORT: "diagnosis.imports.import_job_run",
    JobKind.TICKET_EXPORT: "diagnosis.exports.export_job_run",
    JobKind.EXPORT: "jobs.exports.export_job_run",  # any app's export, by its registered name
}
# What removes a kind's partial effects when it is given up (kinds whose effects span transactions).
UNDO: dict[str, str] = {
    JobKind.TICKET_IMPORT: "diagnosis.imports.import_job_undo",
}
# A job still queued after this long lost its message (broker down at the time, queue purged): queue again.
REQUEUE_AFTER = timedelta(minutes=2)
# Attempts before a job that keeps dying (its worker killed each time) is given up.
MAX_ATTEMPTS = 3


class JobAlreadyFinished(Exception):
    """Another attempt finished this job first: roll back this attempt's effects."""


def job_create(
    *, kind: str, requester, upload=None, options: dict | None = None, retention_hours: int | None = None
) -> Job:
    """Store the uploaded file, record the job, and queue it once the transaction has committed. The job
    and its files are deleted ``retention_hours`` after it was created (JOB_RETENTION_HOURS by default)."""
    job = Job(
        kind=kind,
        requester=requester,
        options=options or {},
        language=translation.get_language() or settings.LANGUAGE_CODE,
        expires_at=timezone.now() + timedelta(hours=retention_hours or settings.JOB_RETENTION_HOURS),
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
    from kombu.exceptions import OperationalError as BrokerError

    from .tasks import job_run_task

    try:
        job_run_task.delay(job_id)
    except (BrokerError, OSError) as error:
        logger.warning("Job %s: broker unreachable, it will be queued again later (%s)", job_id, error)
        return False
    return True


def job_claim(*, job_id: int) -> Job | None:
    """Mark the job running for this attempt (its number in `attempts`); None when there is nothing to do
    (gone or finished).

    A job found running is claimed again: its earlier attempt died (a worker killed mid-way), or is still
    alive, in which case it stops at its next write (job_lock_running: the job is no longer its).
    Past MAX_ATTEMPTS the claim is the give-up's (job_run).
    """
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.is_finished:
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
    """First thing in each transaction that writes the job's effects: lock the job and check that it is
    still running and still this attempt's — no other attempt finished it (its effects are committed:
    this one must not repeat them) or took it over (it owns the effects now). Raises JobAlreadyFinished."""
    found = Job.objects.select_for_update().filter(pk=job.pk).values_list("state", "attempts").first()
    if found != (JobState.RUNNING, job.attempts):
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
            if job.attempts > MAX_ATTEMPTS:
                _give_up(job)
                return
            runner(job)
        except JobAlreadyFinished:
            logger.info("Job %s was finished by another attempt; this one changed nothing", job.pk)
        except Exception:
            logger.exception("Job %s failed", job.pk)
            message = _("The job failed with an unexpected error. Nothing was changed.")
            with contextlib.suppress(JobAlreadyFinished):
                job_fail(job, report={"error": message})
            raise


def _give_up(job: Job) -> None:
    """A job whose attempts kept dying: remove what they left, and fail it."""
    if job.kind in UNDO:
        import_string(UNDO[job.kind])(job)
    message = _("The job stopped unexpectedly several times and was given up.")
    with transaction.atomic():
        job_lock_running(job)
        job_finish(job, report={"error": message}, state=JobState.FAILED)


def _delete_file(name: str) -> None:
    try:
        default_storage.delete(name)
    except OSError:
        logger.warning("Could not delete job file %s; the periodic clean-up tries again", name)


def jobs_housekeeping(*, now=None) -> int:
    """Periodic (registered in toolkit.chapters): delete expired jobs with their files, and queue again the
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
