"""Chapter 4 实施跟踪: the implementation plan of a ticket (tasks and milestones), its progress log, and
the bookkeeping of overdue reminders.

A plan is generated once from the approved solution option (``services.plan_generate``) and then kept by
hand. Dates are calendar days in the team's time zone. A task's planned span is inclusive: a task
planned 1–3 June lasts three days; a milestone is a single day (planned start = planned end).

Variance arithmetic lives in ``tracking.variance``; writes (with their validation) in ``services``.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

PROGRESS_MAX = 100


class TaskKind(models.TextChoices):
    TASK = "task", pgettext_lazy("implementation", "Task")
    MILESTONE = "milestone", _("Milestone")


class TaskStatus(models.TextChoices):
    NOT_STARTED = "not_started", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    BLOCKED = "blocked", _("Blocked")
    DONE = "done", pgettext_lazy("task status", "Done")
    DELAYED = "delayed", _("Delayed")

    @classmethod
    def open(cls):
        return [cls.NOT_STARTED, cls.IN_PROGRESS, cls.BLOCKED, cls.DELAYED]


class Task(models.Model):
    """One task or milestone of a ticket's implementation plan."""

    ticket = models.ForeignKey(
        "toolkit.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="implementation_tasks",
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TaskKind.choices, default=TaskKind.TASK)
    name = models.CharField(pgettext_lazy("task", "name"), max_length=200)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    planned_start = models.DateField(_("planned start"))
    planned_end = models.DateField(_("planned end"))
    actual_start = models.DateField(_("actual start"), null=True, blank=True)
    actual_end = models.DateField(_("actual end"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MinValueValidator(0), MaxValueValidator(PROGRESS_MAX)]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.NOT_STARTED
    )
    predecessor = models.ForeignKey(
        "self",
        verbose_name=_("predecessor"),
        null=True,
        blank=True,
        # Deleting a task frees its successors rather than deleting them.
        on_delete=models.SET_NULL,
        related_name="successors",
    )
    overlap_allowed = models.BooleanField(
        _("may start before the predecessor ends"),
        default=False,
        help_text=_("Tick when this task deliberately overlaps its predecessor."),
    )
    deliverable = models.CharField(_("deliverable"), max_length=300, blank=True)
    hours_spent = models.DecimalField(
        _("hours spent"),
        max_digits=8,
        decimal_places=1,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
    )
    position = models.PositiveIntegerField(_("position"), default=0)
    # The overdue reminder (reminders.overdue_tasks_scan): the local date it was last recorded, and the
    # token of the scan that claimed it (a conditional UPDATE), so two concurrent scans never both remind.
    overdue_reminded_on = models.DateField(_("overdue reminded on"), null=True, blank=True, editable=False)
    overdue_claim = models.UUIDField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "overdue_reminded_on", "overdue_claim"])

    class Meta:
        db_table = "tracking_task"
        ordering = ["ticket_id", "position", "id"]
        verbose_name = _("implementation task")
        verbose_name_plural = _("implementation tasks")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=PROGRESS_MAX),
                name="tracking_task_progress_max_100",
                violation_error_message=_("Progress is a percentage from 0 to 100."),
            ),
            models.CheckConstraint(
                condition=models.Q(planned_end__gte=models.F("planned_start")),
                name="tracking_task_planned_end_after_start",
                violation_error_message=_("The planned end cannot be before the planned start."),
            ),
        ]
        indexes = [
            # The plan page, the panel and the exports: WHERE ticket_id = … ORDER BY position, id.
            models.Index(fields=["ticket", "position"], name="tracking_task_ticket_pos_idx"),
            # The overdue scan: WHERE status <> 'done' AND planned_end < today.
            models.Index(
                fields=["planned_end"],
                condition=~models.Q(status="done"),
                name="tracking_task_open_end_idx",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_done(self) -> bool:
        return self.status == TaskStatus.DONE

    @property
    def is_milestone(self) -> bool:
        return self.kind == TaskKind.MILESTONE

    @property
    def planned_days(self) -> int:
        """Inclusive length of the planned span in days (a milestone: 1)."""
        return (self.planned_end - self.planned_start).days + 1


class ProgressEntry(models.Model):
    """A dated update of one task: how far it is, what was done, what blocks it, what comes next."""

    task = models.ForeignKey(
        Task, verbose_name=_("task"), on_delete=models.CASCADE, related_name="progress_entries"
    )
    date = models.DateField(_("date"))
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), validators=[MinValueValidator(0), MaxValueValidator(PROGRESS_MAX)]
    )
    note = models.TextField(_("note"), blank=True)
    blockers = models.TextField(_("blockers"), blank=True)
    next_step = models.TextField(_("next step"), blank=True)
    hours = models.DecimalField(
        _("hours"),
        max_digits=6,
        decimal_places=1,
        default=Decimal(0),
        validators=[MinValueValidator(Decimal(0))],
        help_text=_("Added to the task's hours spent."),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("logged by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        db_table = "tracking_progress_entry"
        ordering = ["task_id", "-date", "-id"]
        verbose_name = _("progress entry")
        verbose_name_plural = _("progress entries")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(progress__lte=PROGRESS_MAX), name="tracking_entry_progress_max_100"
            ),
        ]
        indexes = [
            # The log of a task on the page: WHERE task_id IN (…) ORDER BY date DESC.
            models.Index(fields=["task", "date"], name="tracking_entry_task_date_idx"),
            # The weekly report: WHERE date BETWEEN monday AND sunday.
            models.Index(fields=["date"], name="tracking_entry_date_idx"),
        ]

    def __str__(self):
        return f"{self.task_id} {self.date} {self.progress}%"
