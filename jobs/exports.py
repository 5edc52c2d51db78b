"""Any registered export (jobs.registry), in the request when small, else as a background job.

Up to EXPORT_INLINE_MAX_ROWS rows the file is written while the browser waits; above, a job is created
and the browser is sent to /exports/<id>/ (progress, then the download, for the requester only, until
EXPORT_RETENTION_HOURS have passed). The worker's side stores the file first and then, in one
transaction that checks the job is still this attempt's, logs the export and finishes the job: an
attempt killed mid-way and run again writes one file and one log row.
"""

import uuid
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils.translation import gettext as _

from toolkit.excel import ExportedFile

from .models import Job, JobKind
from .registry import exporter, no_progress
from .services import job_create, job_fail, job_finish, job_lock_running, job_progress

# How often (rows) the worker records progress for the page.
PROGRESS_EVERY = 2000


def export_now_or_later(*, name: str, params: Mapping, user) -> ExportedFile | Job:
    """The file (written and logged now) when it has at most EXPORT_INLINE_MAX_ROWS rows, else the job
    that will write it. LookupError when what ``params`` names does not exist (a 404 for the view)."""
    export = exporter(name)
    if export.count(params) <= settings.EXPORT_INLINE_MAX_ROWS:
        exported = export.write(params=params, user=user, progress=no_progress)
        with transaction.atomic():
            export.log(params=params, user=user, row_count=exported.row_count)
        return exported
    return job_create(
        kind=JobKind.EXPORT,
        requester=user,
        options={"exporter": name, "params": dict(params), "back_url": export.back_url(params)},
        retention_hours=settings.EXPORT_RETENTION_HOURS,
    )


def _reporting(job: Job, rows: Iterable) -> Iterable:
    count = 0
    for count, row in enumerate(rows, start=1):
        if count % PROGRESS_EVERY == 0:
            job_progress(job, done=count)
        yield row
    job_progress(job, done=count)


def export_job_run(job: Job) -> None:
    """The worker's side of JobKind.EXPORT (jobs.services.RUNNERS)."""
    params = job.options.get("params", {})
    try:
        export = exporter(job.options.get("exporter", ""))
        total = export.count(params)
    except LookupError:
        job_fail(job, report={"error": _("What this export was asked for no longer exists.")})
        return
    job_progress(job, done=0, total=total)
    exported = export.write(params=params, user=job.requester, progress=lambda rows: _reporting(job, rows))
    with exported.file:
        stored = default_storage.save(f"jobs/results/{uuid.uuid4().hex}.xlsx", File(exported.file))
    try:
        with transaction.atomic():
            job_lock_running(job)
            export.log(params=params, user=job.requester, row_count=exported.row_count)
            # The count may have moved since the job started: the total becomes what was written.
            Job.objects.filter(pk=job.pk).update(result=stored, progress_total=exported.row_count)
            job_finish(job, report={"rows": exported.row_count, "filename": exported.filename})
    except Exception:
        # Another attempt finished first (or the log failed): this attempt's file is not kept.
        default_storage.delete(stored)
        raise
