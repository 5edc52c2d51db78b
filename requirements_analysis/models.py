"""Chapter 2 需求深度分析: requirement items with constraints and ranking, and stakeholder consensus.

Ranking (the chapter's output), computed in SQL by ``selectors.ranked_items``:

    score = 2 × value + 2 × urgency + (6 − effort)        (range 5–25)

value and urgency count double; effort counts reversed (1 = least work scores 5). Order: score
descending, then MoSCoW (must > should > could > won't), then ``position`` (the manual order).
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

SCALE_MIN = 1
SCALE_MAX = 5
SCORE_VALUE_WEIGHT = 2
SCORE_URGENCY_WEIGHT = 2
# Effort is reversed: (EFFORT_BASE - effort) is 5 for the least work and 1 for the most.
EFFORT_BASE = SCALE_MAX + 1


class RequirementKind(models.TextChoices):
    EXPLICIT = "explicit", _("Explicit requirement")
    IMPLICIT = "implicit", _("Implicit requirement")
    CONSTRAINT = "constraint", _("Constraint")


class CollectionMethod(models.TextChoices):
    INTERVIEW = "interview", _("Interview")
    QUESTIONNAIRE = "questionnaire", _("Questionnaire")
    SITE_SURVEY = "site_survey", _("On-site survey")
    TICKET = "ticket", _("Ticket conversation")


class ConstraintType(models.TextChoices):
    AMOUNT = "amount", _("Amount")
    DATE = "date", pgettext_lazy("constraint type", "Date")
    TEXT = "text", _("Text")


class MoSCoW(models.TextChoices):
    MUST = "must", _("Must")
    SHOULD = "should", _("Should")
    COULD = "could", _("Could")
    WONT = "wont", _("Won't")


# Rank of each MoSCoW class in the ranking (lower first).
MOSCOW_ORDER = {MoSCoW.MUST: 0, MoSCoW.SHOULD: 1, MoSCoW.COULD: 2, MoSCoW.WONT: 3}


class ConfirmationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    DISPUTED = "disputed", _("Disputed")


def _scale_validators():
    return [MinValueValidator(SCALE_MIN), MaxValueValidator(SCALE_MAX)]


class RequirementItem(models.Model):
    """One requirement of a ticket: what was said, what is meant, how it was gathered, and its rank inputs."""

    ticket = models.ForeignKey(
        "toolkit.Ticket",
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="requirement_items",
    )
    kind = models.CharField(
        _("kind"), max_length=12, choices=RequirementKind.choices, default=RequirementKind.EXPLICIT
    )
    summary = models.CharField(_("requirement"), max_length=200, help_text=_("The requirement in one line."))
    surface_need = models.TextField(
        _("surface need"), blank=True, help_text=_("What the customer says they want.")
    )
    essential_need = models.TextField(
        _("essential need"), blank=True, help_text=_("What they actually need to achieve.")
    )
    collection_method = models.CharField(
        _("collected by"), max_length=16, choices=CollectionMethod.choices, default=CollectionMethod.TICKET
    )
    source_person = models.CharField(_("from whom"), max_length=100)
    source_department = models.CharField(_("department"), max_length=100, blank=True)

    constraint_type = models.CharField(
        _("constraint type"), max_length=8, choices=ConstraintType.choices, blank=True
    )
    constraint_amount = models.DecimalField(
        _("amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    constraint_date = models.DateField(_("date"), null=True, blank=True)
    constraint_text = models.CharField(
        _("constraint value"),
        max_length=200,
        blank=True,
        help_text=_("For an amount: its unit, e.g. 元. For a text constraint: the condition itself."),
    )

    value = models.PositiveSmallIntegerField(_("value"), default=3, validators=_scale_validators())
    urgency = models.PositiveSmallIntegerField(_("urgency"), default=3, validators=_scale_validators())
    effort = models.PositiveSmallIntegerField(_("effort"), default=3, validators=_scale_validators())
    moscow = models.CharField(_("MoSCoW"), max_length=8, choices=MoSCoW.choices, default=MoSCoW.SHOULD)
    position = models.PositiveIntegerField(_("position"), default=0)

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        db_table = "requirements_item"
        ordering = ["ticket", "position", "id"]
        verbose_name = _("requirement item")
        verbose_name_plural = _("requirement items")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__gte=SCALE_MIN, value__lte=SCALE_MAX)
                & models.Q(urgency__gte=SCALE_MIN, urgency__lte=SCALE_MAX)
                & models.Q(effort__gte=SCALE_MIN, effort__lte=SCALE_MAX),
                name="requirement_scales_1_to_5",
            ),
        ]
        indexes = [
            # The analysis page and the export: WHERE ticket_id = … ORDER BY position, id.
            models.Index(fields=["ticket", "position"], name="requirement_ticket_pos_idx"),
        ]

    def __str__(self):
        return self.summary

    @property
    def score(self) -> int:
        """Same formula as selectors.score_expression(); see the module docstring."""
        return (
            SCORE_VALUE_WEIGHT * self.value
            + SCORE_URGENCY_WEIGHT * self.urgency
            + (EFFORT_BASE - self.effort)
        )

    @property
    def is_constraint(self) -> bool:
        return self.kind == RequirementKind.CONSTRAINT

    @property
    def is_must(self) -> bool:
        return self.moscow == MoSCoW.MUST

    @property
    def constraint_value(self):
        """The typed value of a constraint (Decimal, date or str), or None."""
        if self.constraint_type == ConstraintType.AMOUNT:
            return self.constraint_amount
        if self.constraint_type == ConstraintType.DATE:
            return self.constraint_date
        if self.constraint_type == ConstraintType.TEXT:
            return self.constraint_text
        return None

    def clean(self):
        """A constraint needs a type and a value of that type; other kinds carry no constraint value."""
        errors = {}
        if self.kind == RequirementKind.CONSTRAINT:
            if not self.constraint_type:
                errors["constraint_type"] = _("A constraint needs a type: amount, date or text.")
            elif self.constraint_type == ConstraintType.AMOUNT and self.constraint_amount is None:
                errors["constraint_amount"] = _("Enter the amount as a number, e.g. 100000.")
            elif self.constraint_type == ConstraintType.AMOUNT and self.constraint_amount < 0:
                errors["constraint_amount"] = _("The amount cannot be negative.")
            elif self.constraint_type == ConstraintType.DATE and self.constraint_date is None:
                errors["constraint_date"] = _("Enter the date as YYYY-MM-DD.")
            elif self.constraint_type == ConstraintType.TEXT and not self.constraint_text.strip():
                errors["constraint_text"] = _("Describe the constraint.")
        if errors:
            raise ValidationError(errors)
        if self.kind != RequirementKind.CONSTRAINT:
            # Not a constraint: drop any typed value left over from an earlier kind.
            self.constraint_type = ""
        if self.constraint_type != ConstraintType.AMOUNT:
            self.constraint_amount = None
        if self.constraint_type != ConstraintType.DATE:
            self.constraint_date = None
        if self.constraint_type not in (ConstraintType.AMOUNT, ConstraintType.TEXT):
            self.constraint_text = ""


class Stakeholder(models.Model):
    """A person who must agree to the requirement list, and where their agreement stands."""

    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="stakeholders"
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=100)
    department = models.CharField(_("department"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Optional: lets this user record their own confirmation."),
    )
    status = models.CharField(
        _("confirmation"),
        max_length=10,
        choices=ConfirmationStatus.choices,
        default=ConfirmationStatus.PENDING,
    )
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Why an earlier confirmation went back to pending (an item changed after it was given).
    reset_reason = models.CharField(_("reset because"), max_length=300, blank=True)
    reset_at = models.DateTimeField(_("reset at"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        db_table = "requirements_stakeholder"
        ordering = ["ticket", "id"]
        verbose_name = _("stakeholder")
        verbose_name_plural = _("stakeholders")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "name", "department"],
                name="stakeholder_unique_per_ticket",
                violation_error_message=_("This stakeholder is already on the list."),
            ),
        ]
        indexes = [
            # Consensus check and the panel: WHERE ticket_id = … GROUP BY status.
            models.Index(fields=["ticket", "status"], name="stakeholder_ticket_status_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.department})" if self.department else self.name
