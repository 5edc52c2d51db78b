"""The shared core: users, customers, contacts and the ticket every chapter works on."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    BusinessUrgency,
    CustomerTier,
    Frequency,
    ImpactScope,
    Priority,
    ProblemType,
    Source,
    Stage,
)


class User(AbstractUser):
    job_title = models.CharField(
        _("job title"), max_length=60, blank=True, help_text=_("Shown beside the name, e.g. 数据库工程师.")
    )
    manager = models.ForeignKey(
        "self",
        verbose_name=_("manager"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reports",
        help_text=_("Escalations for this user's tickets go here."),
    )

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.display_name

    @property
    def display_name(self):
        """Job title then name, as the document writes owners (技术工程师*)."""
        name = self.get_full_name() or self.username
        return f"{self.job_title}{name}" if self.job_title else name


class Customer(models.Model):
    name = models.CharField(_("customer name"), max_length=200, unique=True)
    tier = models.CharField(
        _("importance tier"), max_length=20, choices=CustomerTier.choices, default=CustomerTier.STANDARD
    )
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("customer")
        verbose_name_plural = _("customers")

    def __str__(self):
        return self.name

    @property
    def raises_priority(self):
        return self.tier == CustomerTier.VIP


class Contact(models.Model):
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="contacts"
    )
    name = models.CharField(_("contact"), max_length=100)
    details = models.CharField(_("contact details"), max_length=200, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="contact_unique_name_per_customer"),
        ]

    def __str__(self):
        return self.name


class TicketQuerySet(models.QuerySet):
    def open(self):
        return self.filter(stage__in=Stage.open_stages())

    def with_list_relations(self):
        """Everything a table row shows, in one query."""
        return self.select_related("customer", "contact", "owner", "recorded_by")


class Ticket(models.Model):
    number = models.CharField(_("ticket no."), max_length=32, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.PROTECT, related_name="tickets"
    )
    contact = models.ForeignKey(
        Contact, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="tickets"
    )
    contact_details = models.CharField(
        _("contact details"),
        max_length=200,
        blank=True,
        help_text=_("Phone, email or IM id as the customer gave it."),
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    description = models.TextField(
        _("description (symptom + impact)"),
        help_text=_("The customer's own words. Kept verbatim: later clarifications are added beside it."),
    )
    error_message = models.CharField(_("error message (if any)"), max_length=500, blank=True)
    problem_type = models.CharField(_("type"), max_length=20, choices=ProblemType.choices)

    impact_scope = models.CharField(
        _("impact scope"), max_length=20, choices=ImpactScope.choices, default=ImpactScope.ONE_USER
    )
    users_affected = models.PositiveIntegerField(_("users affected"), null=True, blank=True)
    frequency = models.CharField(
        _("frequency"), max_length=20, choices=Frequency.choices, default=Frequency.PERSISTENT
    )
    business_urgency = models.CharField(
        _("business urgency"), max_length=20, choices=BusinessUrgency.choices, default=BusinessUrgency.MEDIUM
    )
    peak_time = models.BooleanField(_("business peak time"), default=False)

    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices)
    suggested_priority = models.CharField(
        _("suggested priority"), max_length=2, choices=Priority.choices, blank=True
    )
    priority_override_reason = models.CharField(
        _("reason for overriding the suggestion"), max_length=300, blank=True
    )

    preliminary_judgement = models.CharField(_("preliminary judgement"), max_length=500, blank=True)
    judgement_unverified = models.BooleanField(
        _("to be verified"),
        default=False,
        help_text=_("Tick when the judgement is not yet certain (待验证)."),
    )

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.PROTECT,
        related_name="owned_tickets",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.PROTECT,
        related_name="recorded_tickets",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.NEW)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent incident"),
        null=True,
        blank=True,
        # Deleting an incident must never delete the tickets grouped under it.
        on_delete=models.SET_NULL,
        related_name="children",
    )

    objects = TicketQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-recorded_at", "-id"]
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        permissions = [
            ("view_contact_details", _("Can see customer contact details unmasked")),
            ("export_ticket", _("Can export tickets to Excel")),
            ("import_ticket", _("Can import tickets from Excel")),
        ]
        indexes = [
            # Default table order and keyset-friendly paging: ORDER BY recorded_at DESC, id DESC.
            models.Index(fields=["-recorded_at", "-id"], name="ticket_recorded_idx"),
            # priority= filter (the managers' most used one), alone and with the stage.
            models.Index(fields=["priority", "stage"], name="ticket_priority_stage_idx"),
            # stage= filter and the open() selector used by similar-ticket lookup.
            models.Index(fields=["stage", "-recorded_at"], name="ticket_stage_idx"),
            # problem_type= filter.
            models.Index(fields=["problem_type"], name="ticket_type_idx"),
            # source= filter.
            models.Index(fields=["source"], name="ticket_source_idx"),
            # occurred_after / occurred_before and sort=occurred_at.
            models.Index(fields=["occurred_at"], name="ticket_occurred_idx"),
            # Similar tickets: same error message among open tickets.
            models.Index(fields=["error_message"], name="ticket_error_idx"),
        ]

    def __str__(self):
        return self.number

    def get_absolute_url(self):
        return reverse("diagnosis:detail", kwargs={"number": self.number})

    @property
    def is_open(self):
        return self.stage in Stage.open_stages()

    @property
    def priority_overridden(self):
        return bool(self.suggested_priority) and self.priority != self.suggested_priority


class TicketNumberSequence(models.Model):
    """Last number handed out per day; a row lock makes numbers unique under concurrency."""

    day = models.DateField(primary_key=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("ticket number sequence")
        verbose_name_plural = _("ticket number sequences")

    def __str__(self):
        return f"{self.day:%Y%m%d}: {self.last_value}"


class StageChange(models.Model):
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="stage_changes"
    )
    from_stage = models.CharField(_("from"), max_length=20, choices=Stage.choices)
    to_stage = models.CharField(_("to"), max_length=20, choices=Stage.choices)
    reason = models.CharField(_("reason"), max_length=500)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("changed by"), on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        ordering = ["changed_at", "id"]
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")

    def __str__(self):
        return f"{self.ticket_id}: {self.from_stage} → {self.to_stage}"


class Clarification(models.Model):
    """A later addition beside the customer's original description, which is never edited."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="clarifications"
    )
    text = models.TextField(_("clarification"))
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("added by"), on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(_("added at"), default=timezone.now)

    class Meta:
        ordering = ["added_at", "id"]
        verbose_name = _("clarification")
        verbose_name_plural = _("clarifications")

    def __str__(self):
        return self.text[:50]


class ExportLog(models.Model):
    """Every export of customer data: who, when, which filter, how many rows."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    exported_at = models.DateTimeField(_("exported at"), default=timezone.now)
    table = models.CharField(_("table"), max_length=50)
    query_string = models.CharField(_("filter"), max_length=2000, blank=True)
    row_count = models.PositiveIntegerField(_("rows"))
    contact_details_masked = models.BooleanField(_("contact details masked"))

    class Meta:
        ordering = ["-exported_at"]
        verbose_name = _("export log entry")
        verbose_name_plural = _("export log")

    def __str__(self):
        return f"{self.user} {self.table} {self.exported_at:%Y-%m-%d %H:%M}"
