"""Admin for reminders on their way out: deliveries (with retry), chat webhooks, notifications.

Imported at the end of toolkit/admin.py.
"""

from django.conf import settings
from django.contrib import admin, messages
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from . import notifications, webhooks
from .choices import DeliveryStatus
from .models import ChatWebhook, Delivery, Notification


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "id",
        "ticket_number",
        "threshold",
        "event_kind",
        "channel",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
        "short_error",
    ]
    list_display_links = ["id", "ticket_number"]
    list_filter = ["status", "channel"]
    list_select_related = ["reminder__ticket_sla__ticket", "event__ticket"]
    search_fields = ["recipient", "reminder__ticket_sla__ticket__number", "event__ticket__number"]
    ordering = ["-id"]
    readonly_fields = [
        "reminder",
        "event",
        "channel",
        "recipient",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "sent_at",
        "last_error",
        "payload",
    ]
    actions = ["retry"]

    @admin.display(description=_("ticket"), ordering="reminder__ticket_sla__ticket__number")
    def ticket_number(self, delivery):
        if delivery.reminder is not None:
            return delivery.reminder.ticket_sla.ticket.number
        ticket = delivery.event.ticket if delivery.event is not None else None
        return ticket.number if ticket is not None else "-"

    @admin.display(description=_("threshold (%)"), ordering="reminder__threshold")
    def threshold(self, delivery):
        return delivery.reminder.threshold if delivery.reminder is not None else "-"

    @admin.display(description=_("event"), ordering="event__kind")
    def event_kind(self, delivery):
        return delivery.event.get_kind_display() if delivery.event is not None else "-"

    @admin.display(description=_("last error"))
    def short_error(self, delivery):
        error = delivery.last_error
        return error if len(error) <= 80 else error[:79] + "…"

    def has_add_permission(self, request):
        return False  # deliveries come from reminders and events only

    def has_retry_permission(self, request):
        # Whoever may look at deliveries (the admin role) may send failed ones again.
        return request.user.has_perm("toolkit.view_delivery")

    @admin.action(description=_("Retry failed deliveries"), permissions=["retry"])
    def retry(self, request, queryset):
        count = queryset.filter(status=DeliveryStatus.FAILED).update(
            status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=timezone.now(), claimed_at=None
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d failed delivery will be sent again.",
                "%(count)d failed deliveries will be sent again.",
                count,
            )
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )


@admin.register(ChatWebhook)
class ChatWebhookAdmin(admin.ModelAdmin):
    # The URL's address is checked on save (the model field's validator): no private addresses
    # unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES.
    list_display = ["name", "kind", "active", "address", "circuit", "consecutive_failures", "last_failure_at"]
    list_filter = ["kind", "active"]
    search_fields = ["name"]
    readonly_fields = [
        "circuit",
        "consecutive_failures",
        "last_failure_at",
        "last_error",
        "admins_alerted_at",
    ]
    actions = ["send_test", "resume"]
    # Robots are reached over HTTPS; an address typed without a scheme means https://.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    @admin.display(description=_("webhook URL"))
    def address(self, webhook):
        # The URL holds the robot's secret (key=, access_token=, hook id): not shown in the list.
        return webhooks._redact(webhook.url)

    @admin.display(description=_("state"))
    def circuit(self, webhook):
        until = webhook.circuit_open_until
        if until is None:
            return gettext("working") if not webhook.consecutive_failures else gettext("failing")
        if until > timezone.now():
            return gettext("paused until %(time)s") % {
                "time": timezone.localtime(until).strftime("%Y-%m-%d %H:%M")
            }
        return gettext("paused, trying again")

    @admin.action(description=_("Resume paused webhooks now"), permissions=["change"])
    def resume(self, request, queryset):
        count = notifications.webhooks_resume(webhook_ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            gettext("Webhooks resumed: %(count)d. Their waiting messages go with the next scan.")
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )

    @admin.action(description=_("Send a test message"), permissions=["change"])
    def send_test(self, request, queryset):
        message = webhooks.ChatMessage(
            title=gettext("SLA test"),
            text=gettext("Test message from Service Toolkit: this robot will receive SLA reminders."),
            link=settings.SITE_URL,
        )
        for webhook in queryset:
            try:
                webhooks.post(webhook.kind, webhook.url, webhooks.build_payload(webhook.kind, message))
            except webhooks.WebhookError as error:
                self.message_user(
                    request,
                    gettext("%(name)s: %(error)s") % {"name": webhook.name, "error": error},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    gettext("%(name)s: test message sent.") % {"name": webhook.name},
                    messages.SUCCESS,
                )


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["created_at", "user", "ticket", "level", "text", "read_at"]
    list_filter = ["level", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["user", "ticket", "event"]
    search_fields = ["message", "ticket__number", "user__username"]
    readonly_fields = ["user", "ticket", "reminder", "event", "level", "text", "created_at", "read_at"]

    @admin.display(description=_("message"))
    def text(self, notification):
        # An event's text is written when shown (in the admin's language), not stored.
        return notifications.notification_text(notification)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # what a person was told is a record
