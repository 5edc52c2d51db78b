"""Admin pages: webhook endpoints (subscribed events, the signing secret, send a test event) and the
read-only delivery log (resend what failed)."""

from django import forms
from django.contrib import admin, messages
from django.db import transaction
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from toolkit import webhooks

from . import services
from .models import EVENT_LABELS, WebhookDelivery, WebhookEndpoint


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=list(EVENT_LABELS.items()),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("The events this endpoint receives."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["name", "url", "events", "active"]

    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"class": "vURLField"}),  # the admin's wide URL input
    )

    def clean_url(self):
        url = self.cleaned_data["url"]
        webhooks.validate_url(url)  # no private or loopback address unless the setting allows it
        return url

    def clean_events(self):
        chosen = set(self.cleaned_data["events"])
        return [event for event in EVENT_LABELS if event in chosen]


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    form = WebhookEndpointForm
    list_display = ["name", "url", "active", "event_list", "created_at"]
    list_filter = ["active"]
    search_fields = ["name", "url"]
    readonly_fields = ["signing_secret", "created_at"]
    actions = ["send_test_event", "rotate_secret"]

    @admin.display(description=_("events"))
    def event_list(self, endpoint):
        return ", ".join(str(EVENT_LABELS.get(event, event)) for event in endpoint.events)

    @admin.display(description=_("signing secret"))
    def signing_secret(self, endpoint):
        if endpoint.pk is None:
            return _("Made when the endpoint is saved.")
        return format_html(
            "<code>{}</code><br><small>{}</small>",
            endpoint.secret,
            _(
                "Receivers check X-Toolkit-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "
                '"<t>.<body>" with this secret>.'
            ),
        )

    @admin.action(description=_("Send a test event"), permissions=["change"])
    def send_test_event(self, request, queryset):
        with transaction.atomic():
            for endpoint in queryset:
                services.send_test_event(endpoint=endpoint)
        count = queryset.count()
        self.message_user(
            request,
            _("Test events queued: %(count)d.") % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Make a new signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        count = 0
        for endpoint in queryset:
            endpoint.secret = services.new_endpoint_secret()
            endpoint.save(update_fields=["secret"])
            count += 1
        self.message_user(
            request,
            _("New signing secrets made: %(count)d.") % {"count": count},
            messages.SUCCESS,
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: read-only, newest first; failed deliveries can be sent again."""

    list_display = ["created_at", "event", "endpoint", "status", "attempts", "response_code", "sent_at"]
    list_filter = ["status", "event", "endpoint"]
    list_select_related = ["endpoint"]
    search_fields = ["=delivery_id"]
    actions = ["send_again"]
    fields = [
        "endpoint",
        "event",
        "delivery_id",
        "status",
        "attempts",
        "response_code",
        "created_at",
        "next_attempt_at",
        "sent_at",
        "last_error",
        "payload",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send again now"), permissions=["view"])
    def send_again(self, request, queryset):
        if not request.user.has_perm("hooks.change_webhookendpoint"):
            self.message_user(
                request, _("Only those who manage webhook endpoints may resend."), messages.ERROR
            )
            return
        with transaction.atomic():
            count = services.deliveries_retry(delivery_ids=queryset.values_list("pk", flat=True))
        self.message_user(
            request, _("Deliveries queued again: %(count)d.") % {"count": count}, messages.SUCCESS
        )
