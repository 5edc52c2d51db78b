"""Chapter 5 效果评估: verification of the resolution, the follow-up visit (回访), recurrences, improvement
actions (改进措施) and the customer's satisfaction survey.

Survey links: the token given to the customer is ``secrets.token_urlsafe(32)`` (256 bits); only its
SHA-256 hex digest is stored (``Survey.token_hash``). A link expires (default 14 days) and works once:
``used_at`` is set by a conditional UPDATE … WHERE used_at IS NULL, so two simultaneous submits store one
response. CSAT = share of responses whose ``overall`` is 4 or 5.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

SCORE_MIN = 1
SCORE_MAX = 5
CSAT_SATISFIED_MIN = 4  # overall ≥ 4 counts as satisfied
SURVEY_VALID_DAYS = 14
FOLLOW_UP_DAYS = 7
RECURRENCE_WINDOW_DAYS = 30

SCORE_FIELDS = ("response_speed", "effectiveness", "attitude", "communication", "overall")


class VerificationMethod(models.TextChoices):
    CUSTOMER = "customer", _("Customer confirmation")
    REMOTE_TEST = "remote_test", _("Remote test")
    ON_SITE = "on_site", _("On-site verification")
    MONITORING = "monitoring", _("Monitoring data")


class ActionStatus(models.TextChoices):
    """Status of an improvement action (labels as chapter 4's task status)."""

    OPEN = "open", _("Not started")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", pgettext_lazy("task status", "Done")


class SurveyDelivery(models.TextChoices):
    """How the link reached the customer. Either way staff never see it again after this moment."""

    EMAIL = "email", _("Sent by email to the contact")
    SHOWN = "shown", _("Shown once for sending by chat")


def default_survey_expiry():
    return timezone.now() + timedelta(days=SURVEY_VALID_DAYS)


class Verification(models.Model):
    """The resolution of a ticket checked: by whom, when and how."""

    ticket = models.OneToOneField(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="verification"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("verified by"), on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(_("verified at"), default=timezone.now)
    method = models.CharField(_("verification method"), max_length=20, choices=VerificationMethod.choices)
    note = models.TextField(_("note"), blank=True)

    history = HistoricalRecords()

    class Meta:
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        indexes = [
            # Evaluation report by month: WHERE verified_at in [month start, next month start).
            models.Index(fields=["verified_at"], name="evaluation_verified_at_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.method}"


class FollowUp(models.Model):
    """A follow-up visit (回访) with the customer, reminded through the periodic scan when it comes due."""

    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="follow_ups"
    )
    due_at = models.DateTimeField(_("follow-up due"))
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT, related_name="+"
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    history = HistoricalRecords(excluded_fields=["reminded_at"])

    class Meta:
        ordering = ["due_at", "id"]
        verbose_name = _("follow-up visit")
        verbose_name_plural = _("follow-up visits")
        indexes = [
            # follow_up_scan: WHERE reminded_at IS NULL AND done_at IS NULL AND due_at <= now.
            models.Index(
                fields=["due_at"],
                name="evaluation_followup_due_idx",
                condition=models.Q(reminded_at__isnull=True, done_at__isnull=True),
            ),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.due_at:%Y-%m-%d}"

    @property
    def is_done(self) -> bool:
        return self.done_at is not None


class Recurrence(models.Model):
    """A new ticket for the same problem within 30 days of the original's verification/closing."""

    original = models.ForeignKey(
        "toolkit.Ticket",
        verbose_name=_("original ticket"),
        on_delete=models.CASCADE,
        related_name="recurrences",
    )
    new_ticket = models.ForeignKey(
        "toolkit.Ticket",
        verbose_name=_("new ticket"),
        on_delete=models.CASCADE,
        related_name="recurrence_of",
    )
    detected_at = models.DateTimeField(_("detected at"), default=timezone.now)
    detected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("linked by"), on_delete=models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=500, blank=True)

    class Meta:
        ordering = ["-detected_at", "-id"]
        verbose_name = _("recurrence")
        verbose_name_plural = _("recurrences")
        constraints = [
            models.UniqueConstraint(fields=["original", "new_ticket"], name="evaluation_recurrence_unique"),
            models.CheckConstraint(
                condition=~models.Q(original=models.F("new_ticket")), name="evaluation_recurrence_not_self"
            ),
        ]

    def __str__(self):
        return f"{self.original_id} → {self.new_ticket_id}"


class ImprovementAction(models.Model):
    """改进措施: something to change so the problem does not come back (ticket optional)."""

    ticket = models.ForeignKey(
        "toolkit.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="improvement_actions",
    )
    description = models.TextField(_("improvement action"))
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    due_date = models.DateField(_("due date"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=12, choices=ActionStatus.choices, default=ActionStatus.OPEN
    )
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        ordering = ["status", "due_date", "id"]
        verbose_name = _("improvement action")
        verbose_name_plural = _("improvement actions")
        indexes = [
            # Open actions by due date (managers' list / charts).
            models.Index(fields=["status", "due_date"], name="evaluation_action_status_idx"),
        ]

    def __str__(self):
        return self.description[:50]


class Survey(models.Model):
    """One private survey link. Only the SHA-256 of the token is stored.

    Who made it, when and how it went out (``delivery``) are recorded; so are who voided it, when and
    why (see services.survey_void: a pending link is never voided silently).
    """

    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="surveys"
    )
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"), default=default_survey_expiry)
    delivery = models.CharField(
        _("delivery"), max_length=10, choices=SurveyDelivery.choices, default=SurveyDelivery.EMAIL
    )
    sent_to = models.EmailField(_("sent to"), blank=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    voided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("voided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    void_reason = models.CharField(_("reason for voiding"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("survey link")
        verbose_name_plural = _("survey links")
        permissions = [("void_survey", _("Can void or replace any pending survey link"))]
        indexes = [
            models.Index(fields=["ticket", "-created_at"], name="evaluation_survey_ticket_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.created_at:%Y-%m-%d %H:%M}"

    def is_usable(self, now=None) -> bool:
        now = now or timezone.now()
        return self.used_at is None and self.voided_at is None and self.expires_at > now


class SurveyResponse(models.Model):
    """The customer's answer: five 1–5 scores and a comment."""

    survey = models.OneToOneField(
        Survey, verbose_name=_("survey link"), on_delete=models.CASCADE, related_name="response"
    )
    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="survey_responses"
    )
    response_speed = models.PositiveSmallIntegerField(_("response speed"))
    effectiveness = models.PositiveSmallIntegerField(_("effectiveness"))
    attitude = models.PositiveSmallIntegerField(_("service attitude"))
    communication = models.PositiveSmallIntegerField(_("communication"))
    overall = models.PositiveSmallIntegerField(_("overall satisfaction"))
    comment = models.TextField(_("comment"), blank=True, max_length=2000)
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("survey response")
        verbose_name_plural = _("survey responses")
        # The results reports (CSAT and SLA compliance by team, customer, owner; the dashboard's figures).
        permissions = [("view_reports", _("Can view the results reports"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(**{f"{name}__gte": SCORE_MIN, f"{name}__lte": SCORE_MAX}),
                name=f"evaluation_response_{name}_1_to_5",
            )
            for name in SCORE_FIELDS
        ]
        indexes = [
            # CSAT per ticket and by month: WHERE ticket_id = … / submitted_at range.
            models.Index(fields=["ticket", "submitted_at"], name="evaluation_response_ticket_idx"),
            models.Index(fields=["submitted_at"], name="evaluation_response_month_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.overall}"

    @property
    def satisfied(self) -> bool:
        return self.overall >= CSAT_SATISFIED_MIN
