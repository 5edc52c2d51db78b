"""One row per mail taken from the inbound mailbox: the claim that makes each mail count once."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class InboundStatus(models.TextChoices):
    PROCESSED = "processed", _("Processed")
    IGNORED = "ignored", _("Ignored")
    FAILED = "failed", _("Failed")


def raw_upload_to(instance, filename):
    # Content-addressed (the name is the bytes' SHA-256): writing the same mail twice writes one file.
    return f"inbound/{filename}"


class InboundMail(models.Model):
    # The mail's Message-ID (normalised: no angle brackets), or "raw-sha256:<digest of its bytes>" for a
    # mail without one. Unique: inserting this row is how a poller claims the mail (see services).
    message_id = models.CharField(_("Message-ID"), max_length=255, unique=True)
    folder = models.CharField(_("folder"), max_length=200, blank=True)
    uid = models.PositiveBigIntegerField(_("mailbox UID"), null=True, blank=True)
    from_address = models.CharField(_("sender"), max_length=254, blank=True)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    received_at = models.DateTimeField(_("received at"), default=timezone.now)
    # The mail exactly as the server gave it, through the storage API (MEDIA_ROOT or S3 by setting):
    # mails with attachments run to tens of megabytes, which would bloat the database, its backups and
    # every admin query if kept in a column.
    raw = models.FileField(_("raw message"), upload_to=raw_upload_to, max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=InboundStatus.choices,
        help_text=_(
            "Ignored: an auto-reply, bounce or mail loop. "
            "Failed: kept for an admin to look at and process again."
        ),
    )
    is_reply = models.BooleanField(_("reply to a ticket"), default=False)
    ticket = models.ForeignKey(
        "toolkit.Ticket",
        verbose_name=_("ticket"),
        null=True,
        blank=True,
        # The mail stays (for the record) when its ticket is deleted.
        on_delete=models.SET_NULL,
        related_name="+",
    )
    error = models.TextField(_("error"), blank=True)
    # Why a mail was ignored, and attachments the ticket refused.
    note = models.TextField(_("note"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        verbose_name = _("inbound mail")
        verbose_name_plural = _("inbound mail")
        indexes = [
            # The admin list: WHERE status = … ORDER BY received_at DESC (failed ones first of all).
            models.Index(fields=["status", "-received_at"], name="inboundmail_status_idx"),
            # The admin list unfiltered, and its date drill-down: ORDER BY received_at DESC.
            models.Index(fields=["-received_at", "-id"], name="inboundmail_received_idx"),
        ]

    def __str__(self):
        return self.subject or self.message_id
