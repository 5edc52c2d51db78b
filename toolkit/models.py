"""The shared core: users, customers, contacts and the ticket every chapter works on."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Upper
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .choices import (
    BusinessUrgency,
    Channel,
    CustomerTier,
    DeliveryStatus,
    EventKind,
    Frequency,
    ImpactScope,
    NotificationLevel,
    Priority,
    ProblemType,
    SlaClock,
    SlaState,
    SlaTargetKind,
    Source,
    Stage,
    ViewSurface,
    WebhookKind,
)
from .webhooks import validate_url as validate_webhook_url


def language_choices():
    """settings.LANGUAGES, read when a form or check asks (not at import)."""
    return settings.LANGUAGES


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
    # Empty follows the team's language (settings.LANGUAGE_CODE) as it is when a message is written.
    language = models.CharField(
        _("language for messages"),
        max_length=10,
        choices=language_choices,
        blank=True,
        help_text=_("Reminders, notifications and e-mails to this user are written in it."),
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
    # Set on the customer that holds senders no customer is known for (inbound e-mail, the report form),
    # so an engineer can see them and move each ticket to its real customer.
    unmatched = models.BooleanField(_("unmatched senders"), default=False, editable=False)
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
    # Where replies go and how inbound mail is matched to a customer (case-insensitive, see the index).
    email = models.EmailField(_("email"), blank=True)
    # The language mail to this contact is written in (replies, survey); empty: the site default.
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        constraints = [
            models.UniqueConstraint(fields=["customer", "name"], name="contact_unique_name_per_customer"),
        ]
        indexes = [
            # Inbound mail: WHERE UPPER(email) = UPPER(sender) (``email__iexact``).
            models.Index(Upper("email"), name="contact_email_idx"),
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
    # Kept up to date by the SLA engine (toolkit.sla): the worst state of the ticket's running targets,
    # and the nearest due time of a target not yet met, for sla= and sort by time left.
    sla_state = models.CharField(_("SLA"), max_length=10, choices=SlaState.choices, blank=True)
    sla_due_at = models.DateTimeField(_("SLA due"), null=True, blank=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent incident"),
        null=True,
        blank=True,
        # Deleting an incident must never delete the tickets grouped under it.
        on_delete=models.SET_NULL,
        related_name="children",
    )
    # Set when the ticket is cancelled as a duplicate of another (services.ticket_cancel_as_duplicate);
    # deleting the other ticket keeps this one (its history still names it).
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="duplicates",
        editable=False,
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
            # Each of the table's filters with its default order (recorded_at DESC, id DESC), so page 1 of
            # "priority=P1" reads 50 index entries in order instead of sorting the 20,000 matches.
            models.Index(fields=["priority", "-recorded_at", "-id"], name="ticket_priority_recorded_idx"),
            models.Index(fields=["problem_type", "-recorded_at", "-id"], name="ticket_type_recorded_idx"),
            # The triage view, priority and type together (P0/P1 of one type): page 1 and the count read
            # only the matching index entries, the count without touching the table.
            models.Index(
                fields=["priority", "problem_type", "-recorded_at", "-id"],
                name="ticket_prio_type_recorded_idx",
            ),
            models.Index(fields=["source", "-recorded_at", "-id"], name="ticket_source_recorded_idx"),
            models.Index(fields=["owner", "-recorded_at", "-id"], name="ticket_owner_recorded_idx"),
            models.Index(fields=["customer", "-recorded_at", "-id"], name="ticket_customer_recorded_idx"),
            models.Index(fields=["sla_state", "-recorded_at", "-id"], name="ticket_sla_recorded_idx"),
            # The dashboard's open tickets by priority: WHERE stage IN (open) GROUP BY priority.
            models.Index(fields=["priority", "stage"], name="ticket_priority_stage_idx"),
            # stage= filter and the open() selector used by similar-ticket lookup.
            models.Index(fields=["stage", "-recorded_at"], name="ticket_stage_idx"),
            # occurred_after / occurred_before and sort=occurred_at.
            models.Index(fields=["occurred_at"], name="ticket_occurred_idx"),
            # Similar tickets: same error message among open tickets.
            models.Index(fields=["error_message"], name="ticket_error_idx"),
            # sla= filter and sort by time left.
            models.Index(fields=["sla_state", "sla_due_at"], name="ticket_sla_idx"),
            # My work's open tickets and the table's owner=me&sort=sla_due: ORDER BY sla_due_at ASC
            # NULLS LAST, id read in order for one owner instead of sorting all their tickets.
            models.Index(fields=["owner", "sla_due_at", "id"], name="ticket_owner_sla_due_idx"),
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


class AppendOnlyError(Exception):
    """An audit row was about to be changed or deleted: audit logs only grow."""


class AppendOnlyQuerySet(models.QuerySet):
    # Bulk update/delete skip Model.save/delete: refuse them here too (PostgreSQL also has a trigger).
    def update(self, **kwargs):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be changed")

    def delete(self):
        raise AppendOnlyError(f"{self.model.__name__} rows cannot be deleted")


class AppendOnlyModel(models.Model):
    """An audit row: inserted once, never updated or deleted, by anyone (admins included)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AppendOnlyError(f"{type(self).__name__} rows cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError(f"{type(self).__name__} rows cannot be deleted")


class ExportLog(AppendOnlyModel):
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


class ContactDetailView(AppendOnlyModel):
    """Who saw a ticket's contact details unmasked, where and when.

    One row per user, ticket and surface per hour (``hour`` is the start of that hour): enough to
    answer "who looked at this customer's phone number", without a row for every page reload.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.PROTECT, related_name="+"
    )
    # PROTECT: an audited ticket cannot disappear from under its audit trail.
    ticket = models.ForeignKey(Ticket, verbose_name=_("ticket"), on_delete=models.PROTECT, related_name="+")
    surface = models.CharField(_("where"), max_length=10, choices=ViewSurface.choices)
    viewed_at = models.DateTimeField(_("viewed at"), default=timezone.now)
    hour = models.DateTimeField(_("hour"), editable=False)

    class Meta:
        ordering = ["-viewed_at", "-id"]
        verbose_name = _("contact-detail view")
        verbose_name_plural = _("contact-detail views")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "ticket", "surface", "hour"], name="contactdetailview_once_per_hour"
            )
        ]
        indexes = [
            # "Who saw this ticket's contact details": WHERE ticket_id = … ORDER BY viewed_at DESC.
            models.Index(fields=["ticket", "-viewed_at"], name="contactview_ticket_idx"),
        ]

    def __str__(self):
        return f"{self.user} {self.ticket} {self.surface} {self.viewed_at:%Y-%m-%d %H:%M}"


class SlaPolicy(models.Model):
    """Targets for one priority. Minutes count on the policy's clock (24×7 or business hours)."""

    priority = models.CharField(_("priority"), max_length=2, choices=Priority.choices, unique=True)
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    clock = models.CharField(_("clock"), max_length=10, choices=SlaClock.choices)
    breach_repeat_minutes = models.PositiveIntegerField(
        _("repeat breach reminder every (minutes)"), help_text=_("0 reminds of a breach once.")
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["priority"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")

    def __str__(self):
        return self.priority


class BusinessCalendar(models.Model):
    """The team's working hours (one row). Holidays and 调休 come from chinese-calendar plus CalendarDay."""

    work_start = models.TimeField(_("working day starts"), default="09:00")
    work_end = models.TimeField(_("working day ends"), default="18:00")
    use_china_holidays = models.BooleanField(
        _("mainland China holidays and make-up working days"), default=True
    )

    class Meta:
        verbose_name = _("business calendar")
        verbose_name_plural = _("business calendar")

    def __str__(self):
        return f"{self.work_start:%H:%M}–{self.work_end:%H:%M}"

    def clean(self):
        if self.work_start and self.work_end and self.work_end <= self.work_start:
            raise ValidationError({"work_end": _("The working day must end after it starts.")})


class CalendarDay(models.Model):
    """An exception to the calendar: a holiday or a working day the package does not know (yet)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=100, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("calendar exception")
        verbose_name_plural = _("calendar exceptions")

    def __str__(self):
        return f"{self.date} {self.note}"


class TicketSla(models.Model):
    """One SLA target of one ticket: its due time, warning points and where the scan stands."""

    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="slas"
    )
    target = models.CharField(_("target"), max_length=12, choices=SlaTargetKind.choices)
    started_at = models.DateTimeField(_("clock started at"))
    target_minutes = models.PositiveIntegerField(_("target (minutes)"))
    clock = models.CharField(_("clock"), max_length=10, choices=SlaClock.choices)
    warn50_at = models.DateTimeField(_("50% at"), null=True)
    warn80_at = models.DateTimeField(_("80% at"), null=True)
    due_at = models.DateTimeField(_("due at"), null=True)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    paused_since = models.DateTimeField(_("paused since"), null=True, blank=True)
    state = models.CharField(_("state"), max_length=10, choices=SlaState.choices, default=SlaState.OK)
    # When the scan must look at this row next; null once met, stopped or paused.
    next_check_at = models.DateTimeField(_("next check at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket SLA target")
        verbose_name_plural = _("ticket SLA targets")
        constraints = [models.UniqueConstraint(fields=["ticket", "target"], name="ticketsla_unique_target")]
        indexes = [
            # The periodic scan: WHERE next_check_at <= now ORDER BY next_check_at.
            models.Index(fields=["next_check_at"], name="ticketsla_next_check_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.target}"


class Reminder(models.Model):
    """A threshold reached (50, 80 or 100%, and each repeat of a breach). Unique: recorded once."""

    ticket_sla = models.ForeignKey(
        TicketSla, verbose_name=_("SLA target"), on_delete=models.CASCADE, related_name="reminders"
    )
    threshold = models.PositiveSmallIntegerField(_("threshold (%)"))
    repeat = models.PositiveIntegerField(_("repeat"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket_sla", "threshold", "repeat"], name="reminder_once_per_threshold_and_repeat"
            )
        ]

    def __str__(self):
        return f"{self.ticket_sla} {self.threshold}% #{self.repeat}"


class Event(models.Model):
    """Something people are told about (toolkit.events.notify): a ticket assigned, a design decided, …

    Stored as its kind and plain parameters (numbers, names, titles), never as translated text: each
    notification and e-mail is written from them in its reader's language when it is shown or sent.
    """

    kind = models.CharField(_("kind"), max_length=30, choices=EventKind.choices)
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Who did it (never told about it themselves); kept as a name in params too, should the user go.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # A path on this site (the ticket, the design, the article).
    link = models.CharField(_("link"), max_length=300, blank=True)
    params = models.JSONField(_("details"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("event")
        verbose_name_plural = _("events")

    def __str__(self):
        return f"{self.kind} {self.created_at:%Y-%m-%d %H:%M}"


class Notification(models.Model):
    """In-app notification (the bell). Unique per reminder and user, and per event and user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    # Null for notifications about no ticket (a failing chat webhook, told to admins).
    ticket = models.ForeignKey(
        Ticket, verbose_name=_("ticket"), null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    reminder = models.ForeignKey(
        Reminder,
        verbose_name=_("reminder"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # Event notifications have no stored message: their text is written from the event when shown.
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    level = models.CharField(_("level"), max_length=10, choices=NotificationLevel.choices)
    message = models.CharField(_("message"), max_length=300, blank=True)
    # Where opening it leads when it is not about a ticket (a path on this site).
    link = models.CharField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(fields=["reminder", "user"], name="notification_once_per_reminder_user"),
            models.UniqueConstraint(fields=["event", "user"], name="notification_once_per_event_user"),
            # About a reminder, an event, or neither (a failing webhook, an overdue task), never both.
            models.CheckConstraint(
                condition=models.Q(reminder__isnull=True) | models.Q(event__isnull=True),
                name="notification_reminder_or_event",
            ),
        ]
        indexes = [
            # The bell: unread count per user.
            models.Index(fields=["user", "read_at"], name="notification_unread_idx"),
        ]

    def __str__(self):
        return self.message


class ChatWebhook(models.Model):
    """A team chat robot (WeCom, DingTalk or Feishu) that receives reminders."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=10, choices=WebhookKind.choices)
    url = models.URLField(_("webhook URL"), max_length=500, validators=[validate_webhook_url])
    active = models.BooleanField(_("active"), default=True)
    # The circuit breaker (toolkit.notifications): failures in a row open it until circuit_open_until,
    # then one delivery tries again; a success closes it.
    consecutive_failures = models.PositiveIntegerField(_("failures in a row"), default=0, editable=False)
    circuit_open_until = models.DateTimeField(_("paused until"), null=True, blank=True, editable=False)
    last_failure_at = models.DateTimeField(_("last failure at"), null=True, blank=True, editable=False)
    last_error = models.TextField(_("last error"), blank=True, editable=False)
    # Set when admins were told about the current run of failures; cleared by the next success.
    admins_alerted_at = models.DateTimeField(_("admins told at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("chat webhook")
        verbose_name_plural = _("chat webhooks")

    def __str__(self):
        return self.name


class Delivery(models.Model):
    """One reminder or event to one email address or webhook. Unique, claimed before sending, retried
    with backoff."""

    # Exactly one of reminder and event (see the check constraint).
    reminder = models.ForeignKey(
        Reminder,
        verbose_name=_("reminder"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=254)
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    # A chat message's body exactly as first posted: a retry posts the same bytes with the same
    # X-Delivery-Id, so a receiver (or a person reading the chat) sees one message, not two versions.
    payload = models.TextField(_("message sent"), blank=True)
    # The e-mail recipient's language when the reminder or event fanned out; empty: the team's (chat).
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["reminder", "channel", "recipient"], name="delivery_once_per_reminder_recipient"
            ),
            models.UniqueConstraint(
                fields=["event", "channel", "recipient"], name="delivery_once_per_event_recipient"
            ),
            models.CheckConstraint(
                condition=models.Q(reminder__isnull=False, event__isnull=True)
                | models.Q(reminder__isnull=True, event__isnull=False),
                name="delivery_reminder_xor_event",
            ),
        ]
        indexes = [
            # Retry pick-up: WHERE status = pending AND next_attempt_at <= now.
            models.Index(fields=["status", "next_attempt_at"], name="delivery_due_idx"),
        ]

    def __str__(self):
        return f"{self.channel} → {self.recipient}"
