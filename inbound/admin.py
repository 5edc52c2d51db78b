"""Inbound mail in the admin: every mail taken, failed ones first to look at, and "process again"."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from toolkit.admin_privacy import ContactPrivacyAdminMixin

from .models import InboundMail, InboundStatus

RAW_PREVIEW_BYTES = 8 * 1024


@admin.register(InboundMail)
class InboundMailAdmin(ContactPrivacyAdminMixin, admin.ModelAdmin):
    # Senders' addresses are contact details; subjects and errors may hold phone numbers.
    private_fields = {"from_address": "details", "subject": "text", "error": "text", "note": "text"}
    list_display = ["received_at", "status", "from_address", "subject", "ticket", "is_reply", "attempts"]
    list_filter = ["status", "is_reply", "received_at"]
    list_select_related = ["ticket"]
    search_fields = ["message_id", "from_address", "subject", "ticket__number"]
    date_hierarchy = "received_at"
    actions = ["process_again"]
    fields = [
        "status",
        "error",
        "note",
        "ticket",
        "is_reply",
        "message_id",
        "from_address",
        "subject",
        "sent_at",
        "received_at",
        "processed_at",
        "attempts",
        "folder",
        "uid",
        "size",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False  # mail arrives from the mailbox only

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        # The raw mail holds every address in it: only for those who may see contact details.
        if obj is not None and self.may_see(request, obj):
            return [*fields, "raw_preview"]
        return fields

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "raw_preview"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        # Every field is read-only: no save buttons that would save nothing.
        extra_context = {
            **(extra_context or {}),
            "show_save": False,
            "show_save_and_continue": False,
            "show_save_and_add_another": False,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    @admin.display(description=_("raw message (start)"))
    def raw_preview(self, obj):
        try:
            with obj.raw.open("rb") as handle:
                head = handle.read(RAW_PREVIEW_BYTES)
        except (OSError, ValueError):
            return gettext("(not readable from the storage)")
        return head.decode("utf-8", errors="replace")

    @admin.action(description=_("Process the selected failed mails again"), permissions=["change"])
    def process_again(self, request, queryset):
        from . import services  # here, not at the top: it loads the IMAP client, which web pages never need

        done = failed = 0
        for mail in queryset.filter(status=InboundStatus.FAILED):
            try:
                mail = services.mail_retry(mail=mail, by=request.user)
            except (ValidationError, PermissionDenied) as refused:
                self.message_user(
                    request,
                    f"{mail}: {' '.join(getattr(refused, 'messages', [str(refused)]))}",
                    messages.ERROR,
                )
                continue
            if mail.status == InboundStatus.FAILED:
                failed += 1
            else:
                done += 1
        if done:
            self.message_user(
                request,
                gettext("Mails processed: %(count)d.") % {"count": done},
                messages.SUCCESS,
            )
        if failed:
            self.message_user(
                request,
                gettext("Mails that failed again (their errors are updated): %(count)d.") % {"count": failed},
                messages.WARNING,
            )
