"""Private links for customers: a report link per customer, a status link per ticket.

Tokens are ``secrets.token_urlsafe(32)`` (256 bits), as the survey's; only the SHA-256 hex digest is
stored, so a link can never be shown again: "show again" issues a new link, which revokes the old one.
At most one working link per customer and per ticket (partial unique constraints). A revoked link
keeps who revoked it, when and why.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class RevocableLink(models.Model):
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("revoked by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    revoke_reason = models.CharField(_("reason for revoking"), max_length=500, blank=True)

    class Meta:
        abstract = True

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ReportLink(RevocableLink):
    """A customer's private report form link (and its QR code), to send or print."""

    customer = models.ForeignKey(
        "toolkit.Customer", verbose_name=_("customer"), on_delete=models.PROTECT, related_name="report_links"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("report link")
        verbose_name_plural = _("report links")
        constraints = [
            models.UniqueConstraint(
                fields=["customer"], condition=Q(revoked_at__isnull=True), name="portal_one_report_link"
            )
        ]
        indexes = [
            # The customer's links, newest first (the report-link page and the ticket card).
            models.Index(fields=["customer", "-created_at"], name="portal_reportlink_customer_idx"),
        ]

    def __str__(self):
        return f"{self.customer_id} {self.created_at:%Y-%m-%d %H:%M}"


class StatusLink(RevocableLink):
    """A ticket's private status page link: made by the customer's report, or issued by an engineer."""

    ticket = models.ForeignKey(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="status_links"
    )
    # Empty when the customer's own report made it.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("status link")
        verbose_name_plural = _("status links")
        constraints = [
            models.UniqueConstraint(
                fields=["ticket"], condition=Q(revoked_at__isnull=True), name="portal_one_status_link"
            )
        ]
        indexes = [
            # The ticket card: the ticket's links, newest first.
            models.Index(fields=["ticket", "-created_at"], name="portal_statuslink_ticket_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.created_at:%Y-%m-%d %H:%M}"


class Report(models.Model):
    """A ticket the customer logged through a report link: which link, when, in which language."""

    ticket = models.OneToOneField(
        "toolkit.Ticket", verbose_name=_("ticket"), on_delete=models.CASCADE, related_name="portal_report"
    )
    report_link = models.ForeignKey(
        ReportLink, verbose_name=_("report link"), on_delete=models.PROTECT, related_name="reports"
    )
    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        verbose_name = _("customer report")
        verbose_name_plural = _("customer reports")
        indexes = [
            # How many reports a link brought in (the report-link page).
            models.Index(fields=["report_link", "-submitted_at"], name="portal_report_link_idx"),
        ]

    def __str__(self):
        return f"{self.ticket_id} {self.submitted_at:%Y-%m-%d %H:%M}"
