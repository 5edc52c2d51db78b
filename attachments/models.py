"""A file attached to a ticket, or to something on it (a clarification, a reply or note, a progress-log
entry), or to a knowledge article (then it belongs to no ticket)."""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from toolkit.models import Ticket

from . import types
from .storage import attachment_storage


class AttachmentQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted_at__isnull=True)


class Attachment(models.Model):
    ticket = models.ForeignKey(
        Ticket,
        verbose_name=_("ticket"),
        on_delete=models.CASCADE,
        related_name="attachments",
        null=True,
        blank=True,
    )
    # What on the ticket the file belongs to (a clarification, a message, a progress entry) or the
    # article; both empty: the ticket itself.
    content_type = models.ForeignKey(
        ContentType, verbose_name=_("attached to (kind)"), on_delete=models.PROTECT, null=True, blank=True
    )
    object_id = models.PositiveBigIntegerField(_("attached to (id)"), null=True, blank=True)
    target = GenericForeignKey("content_type", "object_id")
    # A random name in the storage (attachments/storage.py); the uploader's name is kept beside it only.
    file = models.FileField(_("file"), storage=attachment_storage, max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type_detected = models.CharField(_("content type"), max_length=127)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # Name of the cached thumbnail in the same storage, made at the first request for it.
    thumbnail = models.CharField(_("thumbnail"), max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    uploaded_by_customer = models.BooleanField(_("uploaded by the customer"), default=False)
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    deleted_at = models.DateTimeField(_("deleted at"), null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deleted by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    delete_reason = models.CharField(_("reason for deleting"), max_length=500, blank=True)

    objects = AttachmentQuerySet.as_manager()
    history = HistoricalRecords(excluded_fields=["thumbnail"])

    class Meta:
        ordering = ["uploaded_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")
        indexes = [
            # A ticket's files (the ticket page's card, the per-ticket limits): WHERE ticket_id = …
            models.Index(fields=["ticket", "uploaded_at"], name="attach_ticket_idx"),
            # The files of a list of targets (timelines, articles): WHERE (content_type_id, object_id) IN …
            models.Index(fields=["content_type", "object_id"], name="attach_target_idx"),
        ]

    def __str__(self):
        return self.original_name

    def get_absolute_url(self):
        return reverse("attachments:download", kwargs={"pk": self.pk})

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None

    @property
    def is_inline_image(self) -> bool:
        return self.content_type_detected in types.INLINE_IMAGES

    @property
    def has_thumbnail(self) -> bool:
        return self.content_type_detected in types.THUMBNAIL_SOURCES

    @property
    def short_kind(self) -> str:
        """A few letters for the file's icon: PDF, TXT, XLSX …"""
        return types.extension(self.content_type_detected).lstrip(".").upper()[:4]

    @property
    def kind_label(self) -> str:
        return types.kind_label(self.content_type_detected)
