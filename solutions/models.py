"""Chapter 3 方案设计: candidate options, a weighted comparison matrix, coverage of the requirements,
risks and a rollback plan, and the manager's approval.

Weighted total of an option (computed in SQL by ``selectors.options_ranked``):

    total = Σ score × weight / 100          (score 1–5, weights in whole percent summing to 100)

so a total lies between 1.00 and 5.00 once every criterion is scored. Best first: total descending,
then the option's label (A before B).

Workflow (``services``): draft → submitted → approved / rejected; nobody who wrote any part of the design
(``DesignAuthor``) may decide on it. A rejected design is back in the
engineers' hands: it can be edited and resubmitted exactly like a draft. While a design is submitted or
approved, the options, criteria, scores, coverage, chosen option and rollback plan are locked; the risk
register stays editable, because risks keep being managed through implementation.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

SCORE_MIN = 1
SCORE_MAX = 5
WEIGHT_TOTAL = 100
MAX_CRITERIA = 12


class DesignStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")

    @classmethod
    def editable(cls):
        """States in which the engineers may change the design (a rejected one is reworked like a draft)."""
        return [cls.DRAFT, cls.REJECTED]


class Level(models.TextChoices):
    """Risk level of an option, and probability / impact of a risk."""

    LOW = "low", pgettext_lazy("level", "Low")
    MEDIUM = "medium", pgettext_lazy("level", "Medium")
    HIGH = "high", pgettext_lazy("level", "High")


class CoverageLevel(models.TextChoices):
    FULL = "full", _("Fully covered")
    PARTIAL = "partial", _("Partly covered")
    NONE = "none", _("Not covered")


class CriterionKey(models.TextChoices):
    """SPEC's default criteria; their names are shown in the reader's language."""

    FEASIBILITY = "feasibility", _("Feasibility")
    COST = "cost", _("Cost")
    TIME = "time", _("Time")
    RISK = "risk", pgettext_lazy("criterion", "Risk")
    CUSTOMER_IMPACT = "customer_impact", _("Customer impact")


# Created for a ticket the first time its design is opened.
DEFAULT_CRITERIA = [
    (CriterionKey.FEASIBILITY, 30),
    (CriterionKey.COST, 20),
    (CriterionKey.TIME, 20),
    (CriterionKey.RISK, 15),
    (CriterionKey.CUSTOMER_IMPACT, 15),
]


def option_label(number: int) -> str:
    """1 → A, 26 → Z, 27 → AA: spreadsheet-style letters, so labels never run out."""
    letters = ""
    while number > 0:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


class SolutionDesign(models.Model):
    """The design of one ticket: where its approval stands, the chosen option and the rollback plan."""

    ticket = models.OneToOneField(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="solution_design"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=DesignStatus.choices, default=DesignStatus.DRAFT
    )
    chosen_option = models.ForeignKey(
        "SolutionOption",
        verbose_name=_("chosen option"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rollback_plan = models.TextField(
        _("rollback plan"), blank=True, help_text=_("How to go back if the change fails, step by step.")
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("submitted by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = models.TextField(_("decision comment"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        db_table = "solutions_design"
        verbose_name = _("solution design")
        verbose_name_plural = _("solution designs")
        permissions = [("approve_solutiondesign", _("Can approve or reject solution designs"))]
        indexes = [
            # Managers' queue of designs waiting for a decision: WHERE status = 'submitted'.
            models.Index(fields=["status"], name="solutions_design_status_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.status}"

    @property
    def is_editable(self) -> bool:
        return self.status in DesignStatus.editable()


class DesignAuthor(models.Model):
    """Someone who wrote part of a ticket's design: an option, the criteria, scores, coverage, the chosen
    option, the rollback plan, or who submitted it. Four-eyes: none of them may decide on the design.
    Written by every design-changing service (not the risk register, which stays open to reviewers)."""

    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="solution_authors"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    first_at = models.DateTimeField(_("first change"), default=timezone.now)
    last_at = models.DateTimeField(_("last change"), default=timezone.now)

    class Meta:
        db_table = "solutions_author"
        verbose_name = _("design author")
        verbose_name_plural = _("design authors")
        constraints = [
            # Also the index for "authors of this ticket's design" (ticket_id first).
            models.UniqueConstraint(fields=["ticket", "user"], name="solutions_author_unique"),
        ]

    def __str__(self):
        return f"{self.ticket_id}/{self.user_id}"


class SolutionOption(models.Model):
    """One candidate option (方案A/B/C…) of a ticket."""

    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="solution_options"
    )
    label = models.CharField(_("label"), max_length=4, editable=False)
    # Order of creation; the label comes from it and never changes (see services.option_create).
    number = models.PositiveIntegerField(_("number"), editable=False)
    approach = models.TextField(_("approach"), help_text=_("What will be done, in a few sentences."))
    estimated_cost = models.DecimalField(
        _("estimated cost (元)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal(0))]
    )
    duration_days = models.PositiveIntegerField(_("duration (days)"), validators=[MinValueValidator(1)])
    people = models.PositiveSmallIntegerField(_("people"), validators=[MinValueValidator(1)])
    expected_effect = models.TextField(_("expected effect"), blank=True)
    risk_level = models.CharField(_("risk level"), max_length=10, choices=Level.choices, default=Level.MEDIUM)
    pros = models.TextField(_("pros"), blank=True)
    cons = models.TextField(_("cons"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        db_table = "solutions_option"
        ordering = ["ticket", "number"]
        verbose_name = _("solution option")
        verbose_name_plural = _("solution options")
        constraints = [
            models.UniqueConstraint(fields=["ticket", "number"], name="solutions_option_unique_number"),
        ]
        # The unique constraint's index also serves the page: WHERE ticket_id = … ORDER BY number.

    def __str__(self):
        return self.display_label

    @property
    def display_label(self) -> str:
        return _("Option %(label)s") % {"label": self.label}


class Criterion(models.Model):
    """One weighted criterion of a ticket's comparison matrix. Weights of a ticket sum to 100."""

    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="solution_criteria"
    )
    key = models.CharField(
        _("default criterion"),
        max_length=20,
        choices=CriterionKey.choices,
        blank=True,
        help_text=_("Set for SPEC's defaults, whose names are translated; empty for a criterion typed in."),
    )
    name = models.CharField(_("name"), max_length=50, blank=True)
    weight = models.PositiveSmallIntegerField(
        _("weight (%)"), validators=[MinValueValidator(0), MaxValueValidator(WEIGHT_TOTAL)]
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    history = HistoricalRecords()

    class Meta:
        db_table = "solutions_criterion"
        ordering = ["ticket", "position", "id"]
        verbose_name = _("criterion")
        verbose_name_plural = _("criteria")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weight__lte=WEIGHT_TOTAL), name="solutions_criterion_weight_max_100"
            ),
        ]
        indexes = [
            # The matrix and the export: WHERE ticket_id = … ORDER BY position, id.
            models.Index(fields=["ticket", "position"], name="solutions_criterion_pos_idx"),
        ]

    def __str__(self):
        return self.display_name

    @property
    def display_name(self) -> str:
        return str(CriterionKey(self.key).label) if self.key else self.name


class Score(models.Model):
    """How well one option does on one criterion, 1 (poor) to 5 (excellent)."""

    option = models.ForeignKey(
        SolutionOption, verbose_name=_("option"), on_delete=models.CASCADE, related_name="scores"
    )
    criterion = models.ForeignKey(
        Criterion, verbose_name=_("criterion"), on_delete=models.CASCADE, related_name="scores"
    )
    value = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)]
    )

    class Meta:
        db_table = "solutions_score"
        verbose_name = _("score")
        verbose_name_plural = _("scores")
        constraints = [
            # Also the index for "scores of these options" (option_id first).
            models.UniqueConstraint(fields=["option", "criterion"], name="solutions_score_unique"),
            models.CheckConstraint(
                condition=models.Q(value__gte=SCORE_MIN, value__lte=SCORE_MAX), name="solutions_score_1_to_5"
            ),
        ]

    def __str__(self):
        return f"{self.option_id}/{self.criterion_id}: {self.value}"


class Coverage(models.Model):
    """How far one option covers one requirement item of chapter 2. No row means not assessed yet."""

    option = models.ForeignKey(
        SolutionOption, verbose_name=_("option"), on_delete=models.CASCADE, related_name="coverage"
    )
    requirement = models.ForeignKey(
        "requirements_analysis.RequirementItem",
        verbose_name=_("requirement"),
        on_delete=models.CASCADE,
        related_name="solution_coverage",
    )
    level = models.CharField(_("coverage"), max_length=10, choices=CoverageLevel.choices)

    class Meta:
        db_table = "solutions_coverage"
        verbose_name = _("coverage")
        verbose_name_plural = _("coverage")
        constraints = [
            # Also the index for "coverage of these options" (option_id first).
            models.UniqueConstraint(fields=["option", "requirement"], name="solutions_coverage_unique"),
        ]

    def __str__(self):
        return f"{self.option_id}/{self.requirement_id}: {self.level}"


class Risk(models.Model):
    """One entry of a ticket's risk register."""

    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="solution_risks"
    )
    description = models.CharField(pgettext_lazy("risk register", "risk"), max_length=300)
    probability = models.CharField(_("probability"), max_length=10, choices=Level.choices)
    impact = models.CharField(_("impact"), max_length=10, choices=Level.choices)
    mitigation = models.TextField(_("mitigation"), blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    history = HistoricalRecords()

    class Meta:
        db_table = "solutions_risk"
        ordering = ["ticket", "id"]
        verbose_name = _("risk")
        verbose_name_plural = _("risks")
        indexes = [
            # The risk register of a ticket: WHERE ticket_id = … ORDER BY id.
            models.Index(fields=["ticket", "id"], name="solutions_risk_ticket_idx"),
        ]

    def __str__(self):
        return self.description
