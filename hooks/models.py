"""Outbound event webhooks: an endpoint an admin subscribes to events, and the log of every delivery."""

import secrets
import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from toolkit.choices import DeliveryStatus
from toolkit.signals import TICKET_EVENTS

TEST_EVENT = "webhook.test"
EVENT_LABELS = {
    "ticket.created": _("Ticket created"),
    "ticket.updated": _("Ticket updated"),
    "ticket.stage_changed": _("Ticket stage changed"),
    "ticket.priority_changed": _("Ticket priority changed"),
    "ticket.replied": _("Customer-visible reply"),
    "sla.warning": _("SLA warning"),
    "sla.breached": _("SLA breached"),
    "design.decided": _("Solution design decided"),
}
assert set(EVENT_LABELS) == set(TICKET_EVENTS)  # noqa: S101 - a mismatch is a programming error
EVENT_CHOICES = [*EVENT_LABELS.items(), (TEST_EVENT, _("Test event"))]


def new_secret() -> str:
    return secrets.token_hex(32)


class WebhookEndpoint(models.Model):
    """A receiver of signed JSON events: its URL, its own signing secret, and the events it wants."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    # HMAC-SHA256 key of the X-Toolkit-Signature header; shown to admins so the receiver can check it.
    secret = models.CharField(_("signing secret"), max_length=64, default=new_secret, editable=False)
    events = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.name


class WebhookDelivery(models.Model):
    """One event to one endpoint: created with the change that caused it, claimed before each attempt,
    retried with backoff, and kept as the visible delivery log."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(_("event"), max_length=40, choices=EVENT_CHOICES)
    # X-Delivery-Id and the body's delivery_id: a receiver drops a repeat of an id it has seen.
    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True, editable=False)
    # The exact JSON posted at every attempt (built when the event happened).
    payload = models.TextField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    next_attempt_at = models.DateTimeField(_("next attempt at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # Retry pick-up: WHERE status IN (pending, sending) AND next_attempt_at <= now.
            models.Index(fields=["status", "next_attempt_at"], name="hookdelivery_due_idx"),
            # The delivery log: newest first, on its own or filtered by endpoint, status or event.
            models.Index(fields=["-created_at", "-id"], name="hookdelivery_log_idx"),
            models.Index(fields=["endpoint", "-created_at"], name="hookdelivery_endpoint_idx"),
            models.Index(fields=["status", "-created_at"], name="hookdelivery_status_idx"),
            models.Index(fields=["event", "-created_at"], name="hookdelivery_event_idx"),
        ]

    def __str__(self):
        return f"{self.event} → {self.endpoint_id} ({self.delivery_id})"
