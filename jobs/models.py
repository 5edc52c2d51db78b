"""Background jobs: long work (imports, large exports) run by the Celery worker, not a web request.

A job row is the contract between the page and the worker: the page creates it and polls its state and
progress; the worker claims it, reports progress, and finishes it. Files (the uploaded workbook, a
result file) live in Django's default storage under MEDIA_ROOT, which is never served directly: only
the job's own views hand them out, to the requester.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class JobKind(models.TextChoices):
    TICKET_IMPORT = "ticket_import", _("Ticket import")
    TICKET_EXPORT = "ticket_export", _("Ticket export")
    # Any other app's export, registered in jobs.registry; options["exporter"] names it.
    EXPORT = "export", _("Export")

    @classmethod
    def exports(cls):
        return [cls.TICKET_EXPORT, cls.EXPORT]


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")

    @classmethod
    def finished(cls):
        return [cls.DONE, cls.FAILED]


class Job(models.Model):
    kind = models.CharField(_("kind"), max_length=32, choices=JobKind.choices)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(_("state"), max_length=10, choices=JobState.choices, default=JobState.QUEUED)
    progress_done = models.PositiveIntegerField(_("done"), default=0)
    progress_total = models.PositiveIntegerField(_("total"), default=0)
    # What the worker reads (an uploaded file) and what it writes (a file to download).
    upload = models.FileField(_("uploaded file"), upload_to="jobs/uploads/%Y/%m/", blank=True, max_length=255)
    result = models.FileField(_("result file"), upload_to="jobs/results/%Y/%m/", blank=True, max_length=255)
    # The kind's parameters (e.g. how to treat imported rows) and its outcome (e.g. the row report).
    options = models.JSONField(_("options"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True)
    # The requester's language: messages in the report are written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            # The periodic clean-up: jobs whose files have expired.
            models.Index(fields=["expires_at"], name="job_expires_idx"),
            # The periodic re-queue: jobs still queued (their message was lost or the broker was down).
            models.Index(fields=["state", "created_at"], name="job_state_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def is_finished(self) -> bool:
        return self.state in JobState.finished()

    @property
    def is_export(self) -> bool:
        return self.kind in JobKind.exports()

    @property
    def title(self) -> str:
        """The export's own name when an app registered it (in the reader's language), else the kind."""
        if self.kind == JobKind.EXPORT:
            from .registry import exporter

            try:
                return str(exporter(self.options.get("exporter", "")).label)
            except LookupError:
                pass
        return str(self.get_kind_display())

    @property
    def percent(self) -> int:
        if not self.progress_total:
            return 100 if self.is_finished else 0
        return min(100, self.progress_done * 100 // self.progress_total)
